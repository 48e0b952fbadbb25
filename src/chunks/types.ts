import type { z } from 'zod';
import type {
  chatCompletionChunkSchema,
  chunkChoiceSchema,
  contentPartSchema,
  deltaSchema,
  toolCallDeltaSchema,
  usageSchema,
} from './schema';
import type { ChatResponseEvent } from '../transport/types';

/**
 * Token usage as the server reported it; provider extras are kept as unknown fields.
 *
 * @interface
 */
export type Usage = z.infer<typeof usageSchema>;
/**
 * A streamed chunk exactly as received (validated leniently, unknown fields kept).
 *
 * @interface
 */
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;
/**
 * One entry of a chunk's `choices`.
 *
 * @interface
 */
export type ChatCompletionChunkChoice = z.infer<typeof chunkChoiceSchema>;
/**
 * The `delta` of a streamed choice.
 *
 * @interface
 */
export type ChatCompletionDelta = z.infer<typeof deltaSchema>;
/**
 * A fragment of a tool call inside a delta.
 *
 * @interface
 */
export type ToolCallDelta = z.infer<typeof toolCallDeltaSchema>;
/**
 * A typed part of an array-valued `delta.content`.
 *
 * @interface
 */
export type ContentPart = z.infer<typeof contentPartSchema>;

export type { ChatResponseEvent };

/**
 * What {@link parseChunks} emits: every validated chunk as received, then exactly one usage
 * event, then completion. `ChatClient.stream` adds a `response` event before each attempt's
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
      /** The discriminant: the end of a successful stream (the last event before completion). */
      type: 'usage';
      /** The last usage the server reported (in any chunk, or Groq's `x_groq`); `null` if none. */
      usage: Usage | null;
    };

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
