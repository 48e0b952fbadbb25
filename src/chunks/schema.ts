import { z } from 'zod';

/*
 * Lenient schemas for what OpenAI-compatible servers stream. Only the fields rxchat reads are
 * typed; every object is loose, so unknown fields (`obfuscation`, `x_groq`, `timings`,
 * `content_filter_results`, `reasoning_details`, …) are accepted and kept. `nullish()` everywhere
 * because providers write absent fields as `null`, omit them, or spell them out (QUIRKS C1, C6).
 * A chunk fails validation only when a field we read has a type no provider could mean.
 */

const optionalString = z.string().nullish();
const optionalNumber = z.number().nullish();

/** Token counts. Extra provider fields (`cost`, `queue_time`, `*_details`) are kept. */
export const usageSchema = z.looseObject({
  prompt_tokens: optionalNumber,
  completion_tokens: optionalNumber,
  total_tokens: optionalNumber,
});

/**
 * One fragment of a tool call inside `delta.tool_calls`. Every field may be missing (T3, T5, T8).
 * A function call streams `function: { name, arguments }`; a custom (freeform) tool call, OpenAI's
 * `type: 'custom'`, streams `custom: { name, input }` with `input` in string fragments.
 */
export const toolCallDeltaSchema = z.looseObject({
  index: optionalNumber,
  id: optionalString,
  type: optionalString,
  function: z
    .looseObject({
      name: optionalString,
      arguments: optionalString,
    })
    .nullish(),
  custom: z
    .looseObject({
      name: optionalString,
      input: optionalString,
    })
    .nullish(),
});

/** A part of an array-valued `delta.content` (Mistral's typed parts, QUIRKS C7). */
export const contentPartSchema = z.looseObject({
  type: optionalString,
  text: optionalString,
  thinking: z
    .union([z.string(), z.array(z.looseObject({ type: optionalString, text: optionalString }))])
    .nullish(),
});

/** The `delta` of one streamed choice. */
export const deltaSchema = z.looseObject({
  role: optionalString,
  content: z.union([z.string(), z.array(contentPartSchema)]).nullish(),
  reasoning_content: optionalString,
  reasoning: optionalString,
  refusal: optionalString,
  tool_calls: z.array(toolCallDeltaSchema).nullish(),
});

/** Log probabilities of one chunk: arrays of token records, appended across chunks. */
export const logprobsSchema = z.looseObject({
  content: z.array(z.unknown()).nullish(),
  refusal: z.array(z.unknown()).nullish(),
});

/** One entry of `choices`. `index` may be missing (then 0) and `delta` absent (Azure I3). */
export const chunkChoiceSchema = z.looseObject({
  index: optionalNumber,
  delta: deltaSchema.nullish(),
  finish_reason: optionalString,
  logprobs: logprobsSchema.nullish(),
});

/**
 * A `chat.completion.chunk` as providers really send it: ids may be empty or change, `choices`
 * may be empty or absent, usage may sit on any chunk or inside `x_groq`.
 */
export const chatCompletionChunkSchema = z.looseObject({
  id: optionalString,
  object: optionalString,
  created: optionalNumber,
  model: optionalString,
  choices: z.array(chunkChoiceSchema).nullish(),
  usage: usageSchema.nullish(),
  x_groq: z.looseObject({ usage: usageSchema.nullish() }).nullish(),
});
