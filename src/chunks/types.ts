import type { ResponseStreamEvent } from '../responses/types';
import type { ChatResponseEvent } from '../transport/types';

/*
 * The shapes rxchat reads from a stream, written by hand so that the core carries no zod. The zod
 * schemas in ./schema.ts (published as `rxchat/schemas`) say the same: every object is loose
 * (unknown fields kept) and every field is optional and may be `null` (QUIRKS C1, C6).
 * test/chunks/schema-types.test.ts checks that these types and `z.infer` of the schemas agree.
 */

/** Token usage as the server reported it; provider extras are kept as unknown fields. */
export interface Usage {
  /** Tokens in the prompt (all messages and tools sent), as the provider counted them. */
  prompt_tokens?: number | null;
  /** Tokens the model generated, reasoning tokens included where the provider bills them. */
  completion_tokens?: number | null;
  /** Prompt plus completion tokens, as the provider reported it (never computed here). */
  total_tokens?: number | null;
  /** Provider extras (`cost`, `queue_time`, `prompt_tokens_details`, …), kept untyped. */
  [key: string]: unknown;
}

/** A streamed chunk exactly as received (validated leniently, unknown fields kept). */
export interface ChatCompletionChunk {
  /** The completion's id (`chatcmpl-…`); may be empty or missing, and may change mid-stream. */
  id?: string | null;
  /** `'chat.completion.chunk'` normally; not checked. */
  object?: string | null;
  /** When the completion was created, in Unix seconds; some providers send 0 or nothing. */
  created?: number | null;
  /** The model that answered, as the provider names it (may differ from the requested one). */
  model?: string | null;
  /** The choices this chunk adds to; empty on usage-only and filter-only chunks. */
  choices?: ChatCompletionChunkChoice[] | null;
  /** Usage, on the last chunk (with `stream_options.include_usage`) or, by some, on every one. */
  usage?: Usage | null;
  /** Groq's extension object: it reports usage here instead of in `usage`. */
  x_groq?: {
    /** Groq's usage for the stream, on its last chunk. */
    usage?: Usage | null;
    /** Groq's other fields (`id`, …), kept untyped. */
    [key: string]: unknown;
  } | null;
  /** Fields rxchat does not read (`system_fingerprint`, `obfuscation`, …), kept as received. */
  [key: string]: unknown;
}

/** One entry of a chunk's `choices`. */
export interface ChatCompletionChunkChoice {
  /** Which choice this is, when the request asked for `n > 1`; missing or `null` means 0. */
  index?: number | null;
  /** What this chunk adds to the choice; absent on some providers' filter-only chunks. */
  delta?: ChatCompletionDelta | null;
  /**
   * Why the choice ended (`'stop'`, `'length'`, `'tool_calls'`, `'content_filter'`, …);
   * `null` or absent until its last chunk.
   */
  finish_reason?: string | null;
  /** Log probabilities of this chunk's tokens, when the request asked for `logprobs`. */
  logprobs?: {
    /** Token records (`{ token, logprob, bytes, top_logprobs }`) for this chunk's content. */
    content?: unknown[] | null;
    /** Token records for this chunk's refusal text. */
    refusal?: unknown[] | null;
    /** Other fields of the provider's log probabilities, kept untyped. */
    [key: string]: unknown;
  } | null;
  /** Fields rxchat does not read (`content_filter_results`, …), kept as received. */
  [key: string]: unknown;
}

/** The `delta` of a streamed choice. */
export interface ChatCompletionDelta {
  /** `'assistant'`, usually on the first chunk only. */
  role?: string | null;
  /** The next piece of answer text: a string, or typed parts (Mistral) with text and thinking. */
  content?: string | ContentPart[] | null;
  /** The next piece of reasoning, where DeepSeek, Alibaba, xAI and Z.ai put it. */
  reasoning_content?: string | null;
  /** The next piece of reasoning, where Groq, OpenRouter and vLLM put it. */
  reasoning?: string | null;
  /** The next piece of a refusal (OpenAI's structured outputs), instead of content. */
  refusal?: string | null;
  /** Fragments of tool calls, to be joined by `index` and `id`. */
  tool_calls?: ToolCallDelta[] | null;
  /** Fields rxchat does not read (`reasoning_details`, `audio`, …), kept as received. */
  [key: string]: unknown;
}

/** A fragment of a tool call inside a delta. */
export interface ToolCallDelta {
  /**
   * Which call of the choice this fragment continues (0, 1, …). Absent from some providers
   * (Mistral, Gemini, Ollama), and reused by some gateways; fragments then join by `id`.
   */
  index?: number | null;
  /** The call's id (`call_…`), usually on its first fragment only. */
  id?: string | null;
  /** `'function'` or `'custom'`, usually on the first fragment only. */
  type?: string | null;
  /** A fragment of a function call: the name once, then pieces of the arguments. */
  function?: {
    /** The function's name, usually whole and on the first fragment only. */
    name?: string | null;
    /** The next piece of the JSON arguments text (pieces are concatenated, never parsed). */
    arguments?: string | null;
    /** Other fields of the fragment, kept untyped. */
    [key: string]: unknown;
  } | null;
  /** A fragment of a custom (freeform) tool call: the name once, then pieces of the input. */
  custom?: {
    /** The tool's name, usually whole and on the first fragment only. */
    name?: string | null;
    /** The next piece of the free-form input text. */
    input?: string | null;
    /** Other fields of the fragment, kept untyped. */
    [key: string]: unknown;
  } | null;
  /** Fields rxchat does not read, kept as received. */
  [key: string]: unknown;
}

/** A typed part of an array-valued `delta.content`. */
export interface ContentPart {
  /** `'text'` (answer text) or `'thinking'` (reasoning); parts of other types are ignored. */
  type?: string | null;
  /** The answer text of a `'text'` part. */
  text?: string | null;
  /** The reasoning of a `'thinking'` part: a string, or a list of `{ type, text }` parts. */
  thinking?:
    | string
    | {
        /** The inner part's type (`'text'`); only `text` is read. */
        type?: string | null;
        /** A piece of reasoning text. */
        text?: string | null;
        /** Other fields of the inner part, kept untyped. */
        [key: string]: unknown;
      }[]
    | null;
  /** Fields rxchat does not read, kept as received. */
  [key: string]: unknown;
}

export type { ChatResponseEvent };

/**
 * What {@link parseChunks} emits: every validated chunk as received, then exactly one usage
 * event, then completion ({@link parseResponseEvents} emits `responses` events instead of chunks;
 * `client.runTools()` adds `step_finish` and `tool_result` events between its steps). `ChatClient.stream` adds a `response` event before each attempt's
 * chunks. Operators ignore kinds they do not know, so more may be added.
 */
export type ChatStreamEvent =
  | ChatResponseEvent
  | {
      /** The discriminant: one chunk as received. */
      type: 'chunk';
      /** The validated chunk, unknown fields kept. */
      chunk: ChatCompletionChunk;
    }
  | {
      /**
       * The discriminant: one event of a Responses API stream (`client.responses()`,
       * `parseResponseEvents()`), as received.
       */
      type: 'responses';
      /** The validated event (its `type` is the server's, e.g. `response.output_text.delta`). */
      event: ResponseStreamEvent;
    }
  | RunToolsStepFinish
  | RunToolsToolResult
  | {
      /** The discriminant: the end of a successful stream (the last event before completion). */
      type: 'usage';
      /** The last usage the server reported (in any chunk, or Groq's `x_groq`); `null` if none. */
      usage: Usage | null;
    };

/**
 * `client.runTools()`: the end of one step: its usage, finish reason and normalised
 * completion.
 */
export interface RunToolsStepFinish {
  /** The discriminant. */
  type: 'step_finish';
  /** The step, from 1. */
  step: number;
  /** The step's usage as its stream reported it; `null` if none. */
  usage: Usage | null;
  /** The step's finish reason (choice 0): `'tool_calls'`, `'stop'`, `'length'`, …; `null` if none. */
  finishReason: string | null;
  /** The step's answer, folded as `finalCompletion()` folds it. */
  completion: ChatCompletion;
}

/** The outcome of one tool call, in call order after its step's `step_finish`. */
export type RunToolsToolResult = {
  /** The discriminant. */
  type: 'tool_result';
  /** The step whose answer made the call. */
  step: number;
  /** The call's id. */
  id: string;
  /** The tool's name, as the model called it. */
  name: string;
} & (
  | {
      /** What the tool returned (the last value of an Observable tool). */
      result: unknown;
    }
  | {
      /** What went wrong (an invalid call, or a tool that failed), as told to the model. */
      error: string;
    }
);

/** A complete call of a function tool, as in OpenAI's non-streaming response. */
export interface FunctionToolCall {
  /** The call's id (`call_…`), to quote in the `tool` message that answers it; `''` if none came. */
  id: string;
  /** The discriminant: a function call. */
  type: 'function';
  /** `arguments` is the concatenated string (normally JSON, but never parsed here). */
  function: {
    /** The function's name; `''` if none came. */
    name: string;
    /** The arguments as the model wrote them: normally a JSON object, never parsed here. */
    arguments: string;
  };
}

/** A complete call of a custom (freeform) tool, as in OpenAI's non-streaming response. */
export interface CustomToolCall {
  /** The call's id (`call_…`), to quote in the `tool` message that answers it; `''` if none came. */
  id: string;
  /** The discriminant: a custom (freeform) tool call. */
  type: 'custom';
  /** `input` is the concatenated free-form text the model wrote for the tool. */
  custom: {
    /** The tool's name; `''` if none came. */
    name: string;
    /** The free-form text the model wrote for the tool, concatenated. */
    input: string;
  };
}

/**
 * A complete tool call: a function call, or a custom (freeform) tool call. Narrow on `type`.
 *
 * @example
 * ```ts
 * for (const call of completion.choices[0]?.message.tool_calls ?? []) {
 *   if (call.type === 'function') run(call.function.name, JSON.parse(call.function.arguments));
 *   else run(call.custom.name, call.custom.input);
 * }
 * ```
 */
export type ToolCall = FunctionToolCall | CustomToolCall;

/** The assistant message of one choice of a {@link ChatCompletion}. */
export interface ChatCompletionMessage {
  /** The first role the stream named; `'assistant'` when it named none. */
  role: string;
  /** Concatenated text; `null` when no text arrived. */
  content: string | null;
  /** Concatenated reasoning (`reasoning_content`, `reasoning` or thinking parts); `null` if none. */
  reasoning: string | null;
  /** Concatenated refusal text; `null` if none. */
  refusal: string | null;
  /** Complete tool calls (function and custom ones) in the order they started; empty when none. */
  tool_calls: ToolCall[];
}

/** Log probabilities of a choice: the token records of every chunk, appended. */
export interface ChoiceLogprobs {
  /** The token records of the content, in order; `null` when no chunk sent any. */
  content: unknown[] | null;
  /** The token records of the refusal, in order; `null` when no chunk sent any. */
  refusal: unknown[] | null;
}

/** One choice of a {@link ChatCompletion}. */
export interface ChatCompletionChoice {
  /** The choice's index (0 unless the request asked for `n > 1`). */
  index: number;
  /** What the model wrote for this choice, folded from its deltas. */
  message: ChatCompletionMessage;
  /** The last non-null finish reason seen; `null` when none came. */
  finish_reason: string | null;
  /** Present only when the server sent log probabilities for this choice. */
  logprobs?: ChoiceLogprobs;
}

/**
 * The normalised final completion that {@link finalCompletion} and `rxchat inspect` produce: the
 * shape of OpenAI's non-streaming response, folded from the chunks.
 */
export interface ChatCompletion {
  /** The first non-empty chunk id. */
  id: string;
  /** The first non-empty model name. */
  model: string;
  /** The first non-zero `created` timestamp, else 0. */
  created: number;
  /** Choices by ascending index. */
  choices: ChatCompletionChoice[];
  /** The last usage the server reported; `null` if none. */
  usage: Usage | null;
}
