import type { Observable } from 'rxjs';
import type { ChatStreamEvent, Usage } from '../chunks/types';
import type { HeaderValue, QueryParams } from '../client/http-request';
import type { ChatRequest } from '../client/request';
import type { ChatTimeoutConfig } from '../operators/chat-timeout';
import type { RetryConfig } from '../operators/retry-before-output';
import type { ResponsesRequest } from '../responses/types';
import type { StandardSchema } from '../structured/standard-schema';

/**
 * The schema of a tool's arguments: a zod 4 schema, or any Standard Schema
 * (`~standard.validate`). Its JSON Schema, sent to the model, comes from `toJSONSchema()` (zod 4
 * schemas have it) or, failing that, from the Standard JSON Schema interface
 * (`~standard.jsonSchema.input()`). rxchat never imports zod: it only calls these methods.
 */
export interface ToolSchema<Output = unknown> extends StandardSchema<Output> {
  /** zod 4: the schema as JSON Schema, sent to the model as the tool's `parameters`. */
  toJSONSchema?: () => unknown;
}

/** The arguments a tool's `execute` gets: its schema's output type. */
export type ToolArgs<S> = S extends ToolSchema<infer Output> ? Output : unknown;

/** What `execute` gets besides the arguments. */
export interface ToolContext {
  /** Aborted when the loop is unsubscribed from (or fails) while the tool runs. */
  signal: AbortSignal;
  /** The id of the call being answered (`call_…`). */
  toolCallId: string;
  /** The step whose answer made the call (1 for the first request). */
  step: number;
}

/** One tool of {@link RunToolsOptions.tools}; its key in `tools` is the name the model calls. */
export interface ToolDefinition<S extends ToolSchema = ToolSchema> {
  /** What the tool does and when to call it, for the model. */
  description?: string;
  /** The arguments' schema (e.g. `z.object({ city: z.string() })`): sent as JSON Schema, and used to validate. */
  parameters: S;
  /** Sent as the tool's `strict` flag (chat and Responses); left out when not given. */
  strict?: boolean;
  /**
   * Runs the tool with the validated arguments. The result: a value, a Promise, or an
   * Observable (its last value; unsubscribed when the loop is). Strings go to the model as they
   * are, anything else as JSON.
   */
  execute(args: ToolArgs<S>, context: ToolContext): unknown;
}

/** The tools of a loop, by name: each key's schema types its `execute` arguments. */
export type ToolSet<T extends Record<string, ToolSchema> = Record<string, ToolSchema>> = {
  [K in keyof T]: ToolDefinition<T[K]>;
};

/**
 * The options of one request, as `ChatRequestOptions` has them (the same fields and types; a
 * test keeps the two equal): passed to each step's request.
 */
export interface ToolStepRequestOptions {
  /** Extra headers for each step's request. */
  headers?: Record<string, HeaderValue>;
  /** Query parameters for each step's request. */
  query?: QueryParams;
  /** Retry settings for each step's request (before its output, as for `stream()`). */
  retry?: RetryConfig<ChatStreamEvent> | false;
  /** Timeouts for each step's request. */
  timeout?: ChatTimeoutConfig | false;
  /** Aborts the loop: the request in flight, and every running tool. */
  signal?: AbortSignal;
  /** More secret header names for each step's request. */
  secretHeaders?: string[];
}

/** Options of `client.runTools()`: the tools, the loop's limits, and each step's request options. */
export interface RunToolsOptions<
  T extends Record<string, ToolSchema> = Record<string, ToolSchema>,
> extends ToolStepRequestOptions {
  /** The tools the model may call, by name. Added to the request's own `tools`. */
  tools: ToolSet<T>;
  /** The most requests (steps); the calls of the last one are not run. Default 5. */
  maxSteps?: number;
  /** How many calls of one step run at once. Default `Infinity` (all of them). */
  concurrency?: number;
  /**
   * How many invalid calls (an unknown tool, arguments that are not JSON or fail the schema) are
   * answered to the model with what is wrong, over the whole loop; one more fails the loop with
   * `validation_error`. Default 3.
   */
  maxInvalidCalls?: number;
  /**
   * A tool that throws, rejects, errors or completes without a value: `'answer'` (default) tells
   * the model `Error: <message>` as the tool's result; `'throw'` fails the loop with the error.
   */
  toolErrors?: 'answer' | 'throw';
}

/** A request of the loop: chat (`messages`) or Responses (`input`, no `messages`). */
export type RunToolsRequest = ChatRequest | ResponsesRequest;

/** The kinds of a step's stream events that the loop passes on (tagged with their step). */
export interface StepEventKind {
  /** A step's `response`, `chunk` and `responses` events; its `usage` goes into `step_finish`. */
  type: 'response' | 'chunk' | 'responses';
}

/** A step's stream event (anything but its `usage`), tagged with the step (1, 2, …). */
export type RunToolsStepEvent = Extract<ChatStreamEvent, StepEventKind> & {
  /** The step (request) the event belongs to, from 1. */
  step: number;
};

export type { RunToolsStepFinish, RunToolsToolResult } from '../chunks/types';
import type { RunToolsStepFinish, RunToolsToolResult } from '../chunks/types';

/**
 * What `client.runTools()` emits: every event of each step tagged with its `step` (but the
 * step's `usage`), a `step_finish` per step, a `tool_result` per call run, then one `usage` with
 * the total of every step (`null` if no step reported any).
 */
export type RunToolsEvent =
  | RunToolsStepEvent
  | RunToolsStepFinish
  | RunToolsToolResult
  | {
      /** The discriminant: the loop's end. */
      type: 'usage';
      /** Every step's usage summed (prompt, completion, total tokens); `null` if none reported. */
      usage: Usage | null;
    };

/** What the loop needs of a client: its two streaming methods. */
export interface ToolLoopClient {
  /** Streams a chat completion. */
  stream(request: ChatRequest, options?: ToolStepRequestOptions): Observable<ChatStreamEvent>;
  /** Streams a Responses API response. */
  responses(
    request: ResponsesRequest,
    options?: ToolStepRequestOptions,
  ): Observable<ChatStreamEvent>;
}
