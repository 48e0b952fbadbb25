import { z } from 'zod';

/*
 * Lenient schemas for what OpenAI-compatible servers stream. Only the fields rxchat reads are
 * typed; every object is loose, so unknown fields (`obfuscation`, `x_groq`, `timings`,
 * `content_filter_results`, `reasoning_details`, …) are accepted and kept. `nullish()` everywhere
 * because providers write absent fields as `null`, omit them, or spell them out (QUIRKS C1, C6).
 * A chunk fails validation only when a field we read has a type no provider could mean.
 *
 * Only `rxchat/schemas` (src/schemas.ts) exports them: the core checks the same rules by hand
 * (./validate.ts) and its types are written by hand (./types.ts), so that it carries no zod.
 * Tests hold both to these schemas.
 */

const optionalString = z.string().nullish();
const optionalNumber = z.number().nullish();

/**
 * Validates a usage object: the three token counts, each a number, `null` or absent. Extra
 * provider fields (`cost`, `queue_time`, `prompt_tokens_details`, …) are kept untyped.
 */
export const usageSchema = z.looseObject({
  /** Tokens in the prompt (all messages and tools sent), as the provider counted them. */
  prompt_tokens: optionalNumber,
  /** Tokens the model generated, reasoning tokens included where the provider bills them. */
  completion_tokens: optionalNumber,
  /** Prompt plus completion tokens, as the provider reported it (never computed here). */
  total_tokens: optionalNumber,
});

/**
 * Validates one fragment of a tool call inside `delta.tool_calls`. Every field may be missing,
 * `null` or empty (QUIRKS T3, T5, T8). A function call streams `function: { name, arguments }`;
 * a custom (freeform) tool call, OpenAI's `type: 'custom'`, streams `custom: { name, input }`
 * with `input` in string fragments.
 */
export const toolCallDeltaSchema = z.looseObject({
  /**
   * Which call of the choice this fragment continues (0, 1, …). Absent from some providers
   * (Mistral, Gemini, Ollama), and reused by some gateways; fragments then join by `id`.
   */
  index: optionalNumber,
  /** The call's id (`call_…`), usually on its first fragment only. */
  id: optionalString,
  /** `'function'` or `'custom'`, usually on the first fragment only. */
  type: optionalString,
  /** A fragment of a function call: the name once, then pieces of the arguments. */
  function: z
    .looseObject({
      /** The function's name, usually whole and on the first fragment only. */
      name: optionalString,
      /** The next piece of the JSON arguments text (pieces are concatenated, never parsed). */
      arguments: optionalString,
    })
    .nullish(),
  /** A fragment of a custom (freeform) tool call: the name once, then pieces of the input. */
  custom: z
    .looseObject({
      /** The tool's name, usually whole and on the first fragment only. */
      name: optionalString,
      /** The next piece of the free-form input text. */
      input: optionalString,
    })
    .nullish(),
});

/**
 * Validates a part of an array-valued `delta.content` (Mistral's typed parts, QUIRKS C7): any
 * object, with `type` and `text` strings when present and `thinking` a string or a list of parts.
 */
export const contentPartSchema = z.looseObject({
  /** `'text'` (answer text) or `'thinking'` (reasoning); parts of other types are ignored. */
  type: optionalString,
  /** The answer text of a `'text'` part. */
  text: optionalString,
  /** The reasoning of a `'thinking'` part: a string, or a list of `{ type, text }` parts. */
  thinking: z
    .union([
      z.string(),
      z.array(
        z.looseObject({
          /** The inner part's type (`'text'`); only `text` is read. */
          type: optionalString,
          /** A piece of reasoning text. */
          text: optionalString,
        }),
      ),
    ])
    .nullish(),
});

/**
 * Validates the `delta` of one streamed choice: every field optional and nullable, `content` a
 * string or a list of typed parts; unknown fields (`reasoning_details`, `audio`, …) are kept.
 */
export const deltaSchema = z.looseObject({
  /** `'assistant'`, usually on the first chunk only. */
  role: optionalString,
  /** The next piece of answer text: a string, or typed parts (Mistral) with text and thinking. */
  content: z.union([z.string(), z.array(contentPartSchema)]).nullish(),
  /** The next piece of reasoning, where DeepSeek, Alibaba, xAI and Z.ai put it. */
  reasoning_content: optionalString,
  /** The next piece of reasoning, where Groq, OpenRouter and vLLM put it. */
  reasoning: optionalString,
  /** The next piece of a refusal (OpenAI's structured outputs), instead of content. */
  refusal: optionalString,
  /** Fragments of tool calls, to be joined by `index` and `id`. */
  tool_calls: z.array(toolCallDeltaSchema).nullish(),
});

/**
 * Validates the log probabilities of one chunk: `content` and `refusal` are arrays (of token
 * records, not checked further), `null` or absent. They are appended across chunks.
 */
export const logprobsSchema = z.looseObject({
  /** Token records (`{ token, logprob, bytes, top_logprobs }`) for this chunk's content. */
  content: z.array(z.unknown()).nullish(),
  /** Token records for this chunk's refusal text. */
  refusal: z.array(z.unknown()).nullish(),
});

/**
 * Validates one entry of a chunk's `choices`: `index` may be missing (then 0) and `delta`
 * absent (Azure, QUIRKS I3); unknown fields (`content_filter_results`, …) are kept.
 */
export const chunkChoiceSchema = z.looseObject({
  /** Which choice this is, when the request asked for `n > 1`; missing or `null` means 0. */
  index: optionalNumber,
  /** What this chunk adds to the choice; absent on some providers' filter-only chunks. */
  delta: deltaSchema.nullish(),
  /**
   * Why the choice ended (`'stop'`, `'length'`, `'tool_calls'`, `'content_filter'`, …);
   * `null` or absent until its last chunk.
   */
  finish_reason: optionalString,
  /** Log probabilities of this chunk's tokens, when the request asked for `logprobs`. */
  logprobs: logprobsSchema.nullish(),
});

/**
 * Validates a `chat.completion.chunk` as providers really send it: any object whose fields rxchat
 * reads have plausible types. Ids may be empty or change, `choices` may be empty or absent, usage
 * may sit on any chunk or inside `x_groq`; unknown fields (`system_fingerprint`,
 * `obfuscation`, …) are kept.
 */
export const chatCompletionChunkSchema = z.looseObject({
  /** The completion's id (`chatcmpl-…`); may be empty or missing, and may change mid-stream. */
  id: optionalString,
  /** `'chat.completion.chunk'` normally; not checked. */
  object: optionalString,
  /** When the completion was created, in Unix seconds; some providers send 0 or nothing. */
  created: optionalNumber,
  /** The model that answered, as the provider names it (may differ from the requested one). */
  model: optionalString,
  /** The choices this chunk adds to; empty on usage-only and filter-only chunks. */
  choices: z.array(chunkChoiceSchema).nullish(),
  /** Usage, on the last chunk (with `stream_options.include_usage`) or, by some, on every one. */
  usage: usageSchema.nullish(),
  /** Groq's extension object: it reports usage here instead of in `usage`. */
  x_groq: z
    .looseObject({
      /** Groq's usage for the stream, on its last chunk. */
      usage: usageSchema.nullish(),
    })
    .nullish(),
});
