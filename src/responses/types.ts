/*
 * The shapes rxchat reads from OpenAI's Responses API (`POST /v1/responses`), written by hand so
 * that the core carries no zod. Lenient like the chat chunk types: every object keeps unknown
 * fields, every field rxchat reads is optional and checked for its type when present
 * (./validate.ts), and event types rxchat does not know (hosted tools, new families) pass through.
 */

/** Token usage of a response, as the Responses API names it (on the terminal event only). */
export interface ResponseUsage {
  /** Tokens of the input (instructions, conversation, tools). */
  input_tokens?: number | null;
  /** Details of the input tokens: `cached_tokens`. */
  input_tokens_details?: {
    /** Input tokens served from the prompt cache. */
    cached_tokens?: number | null;
    /** Other details, kept untyped. */
    [key: string]: unknown;
  } | null;
  /** Tokens the model generated, reasoning included. */
  output_tokens?: number | null;
  /** Details of the output tokens: `reasoning_tokens`. */
  output_tokens_details?: {
    /** Output tokens spent on reasoning. */
    reasoning_tokens?: number | null;
    /** Other details, kept untyped. */
    [key: string]: unknown;
  } | null;
  /** Input plus output tokens, as the server reported it. */
  total_tokens?: number | null;
  /** Provider extras, kept untyped. */
  [key: string]: unknown;
}

/** A content part of an output item (`output_text`, `refusal`, `summary_text`, `reasoning_text`, …). */
export interface ResponseContentPart {
  /** The part's kind. */
  type?: string | null;
  /** The text of an `output_text`, `summary_text` or `reasoning_text` part. */
  text?: string | null;
  /** The text of a `refusal` part. */
  refusal?: string | null;
  /** Other fields (`annotations`, `logprobs`, …), kept as received. */
  [key: string]: unknown;
}

/**
 * One item of a response's output: a `message`, a `function_call`, a `custom_tool_call`, a
 * `reasoning` item, or a hosted tool's item (`web_search_call`, `mcp_call`, …).
 */
export interface ResponseOutputItem {
  /** The item's kind. */
  type?: string | null;
  /** The item's id (`msg_…`, `fc_…`, `rs_…`); some servers change it mid-stream. */
  id?: string | null;
  /** `in_progress`, `completed`, `incomplete`. */
  status?: string | null;
  /** Function and custom tool calls: the id the tool's answer quotes. */
  call_id?: string | null;
  /** Function and custom tool calls: the tool's name. */
  name?: string | null;
  /** Function calls: the JSON arguments text (never parsed here). */
  arguments?: string | null;
  /** Custom tool calls: the free-form input text. */
  input?: string | null;
  /** Messages: the content parts; reasoning items: `reasoning_text` parts. */
  content?: ResponseContentPart[] | null;
  /** Reasoning items: the summary parts. */
  summary?: ResponseContentPart[] | null;
  /** Other fields, kept as received. */
  [key: string]: unknown;
}

/** The response object carried by the lifecycle and terminal events. */
export interface ResponseObject {
  /** The response's id (`resp_…`). */
  id?: string | null;
  /** `'response'`. */
  object?: string | null;
  /** When it was created, in Unix seconds. */
  created_at?: number | null;
  /** The model that answers. */
  model?: string | null;
  /** `queued`, `in_progress`, `completed`, `incomplete`, `failed`, `cancelled`. */
  status?: string | null;
  /** The output items so far (all of them on the terminal event). */
  output?: ResponseOutputItem[] | null;
  /** Usage, on the terminal event only. */
  usage?: ResponseUsage | null;
  /** Why it failed (`response.failed`). */
  error?: {
    /** The provider's error code (`server_error`, `rate_limit_exceeded`, …). */
    code?: string | number | null;
    /** The provider's message. */
    message?: string | null;
    /** Other fields, kept untyped. */
    [key: string]: unknown;
  } | null;
  /** Why it stopped early (`response.incomplete`): `max_output_tokens`, `content_filter`, … */
  incomplete_details?: {
    /** The reason. */
    reason?: string | null;
    /** Other fields, kept untyped. */
    [key: string]: unknown;
  } | null;
  /** Other fields (`instructions`, `tools`, `metadata`, …), kept as received. */
  [key: string]: unknown;
}

/**
 * One event of a Responses stream exactly as received: its `type` (equal to the SSE `event:`
 * name, e.g. `response.output_text.delta`) and its fields. rxchat checks the type of the fields it
 * reads when they are present; every other field, and every event type it does not know, passes
 * through as received. Read the fields of the event type you handle:
 *
 * - `response.created` / `.queued` / `.in_progress` / `.completed` / `.incomplete` / `.failed`:
 *   `response`;
 * - `response.output_item.added` / `.done`: `output_index`, `item`;
 * - `response.content_part.added` / `.done`, `response.reasoning_summary_part.*`: `part`;
 * - `response.output_text.delta`, `response.refusal.delta`,
 *   `response.function_call_arguments.delta`, `response.reasoning_summary_text.delta`,
 *   `response.reasoning_text.delta`, `response.custom_tool_call_input.delta`: `delta`;
 * - their `.done` events: `text`, `refusal`, `arguments` or `input`, whole;
 * - `error`: `code`, `message`, `param`.
 *
 * @example
 * ```ts
 * client.responses({ model: 'gpt-5', input: 'Hi' }).subscribe((e) => {
 *   if (e.type === 'responses' && e.event.type === 'response.output_text.delta') {
 *     process.stdout.write(e.event.delta ?? '');
 *   }
 * });
 * ```
 */
export interface ResponseStreamEvent {
  /** The event type, e.g. `response.output_text.delta` (any string: unknown types pass). */
  type: string;
  /** The event's place in the stream, growing by one from 0 (absent from some servers). */
  sequence_number?: number | null;
  /** Which output item the event is about (rxchat keys items by it, not by `item_id`). */
  output_index?: number | null;
  /** The item's id (some servers change it between events of one item). */
  item_id?: string | null;
  /** Which content part of the item. */
  content_index?: number | null;
  /** Which summary part of a reasoning item. */
  summary_index?: number | null;
  /** The next piece of text (or arguments, or input) of a `*.delta` event. */
  delta?: string | null;
  /** The whole text of an `output_text.done`, `reasoning_*_text.done` event. */
  text?: string | null;
  /** The whole refusal of a `refusal.done` event. */
  refusal?: string | null;
  /** The whole arguments of a `function_call_arguments.done` event. */
  arguments?: string | null;
  /** The whole input of a `custom_tool_call_input.done` event. */
  input?: string | null;
  /** The tool's name, which some servers repeat on `function_call_arguments.done`. */
  name?: string | null;
  /** The item of an `output_item.added` / `.done` event. */
  item?: ResponseOutputItem | null;
  /** The part of a `content_part.*` or `reasoning_summary_part.*` event. */
  part?: ResponseContentPart | null;
  /** The response of a lifecycle or terminal event. */
  response?: ResponseObject | null;
  /** `error` events: the provider's error code (a few servers send an HTTP status number). */
  code?: string | number | null;
  /** `error` events: the provider's message. */
  message?: string | null;
  /** `error` events: the request field at fault. */
  param?: string | null;
  /** Every other field, kept as received. */
  [key: string]: unknown;
}

/** A typed part of an input message: `input_text`, `input_image`, `input_file`, `output_text`, … */
export interface ResponseInputPart {
  /** The part's kind. */
  type: string;
  /** The kind's fields (`text`, `image_url`, `file_id`, …), sent as given. */
  [key: string]: unknown;
}

/** A tool of a Responses request: `{ type: 'function', name, parameters }`, or a hosted tool. */
export interface ResponseTool {
  /** `'function'`, `'custom'`, `'web_search'`, `'file_search'`, `'mcp'`, … */
  type: string;
  /** The kind's fields (`name`, `description`, `parameters`, `strict`, …), sent as given. */
  [key: string]: unknown;
}

/** An input item of a Responses request: a message, a tool's output, or any other item kind. */
export interface ResponseInputItem {
  /** `'message'` (may be left out for messages), `'function_call_output'`, `'function_call'`, … */
  type?: string;
  /** Messages: `'user'`, `'assistant'`, `'system'`, `'developer'`. */
  role?: string;
  /** Messages: the text, or typed parts (`input_text`, `input_image`, `output_text`, …). */
  content?: string | ResponseInputPart[];
  /** `function_call_output` (and `function_call`) items: the call they belong to. */
  call_id?: string;
  /** `function_call_output` items: the tool's result, as text. */
  output?: unknown;
  /** The kind's other fields, sent as given. */
  [key: string]: unknown;
}

/**
 * A Responses API request (`POST /v1/responses`). `stream: true` is added on sending; fields not
 * named here pass through to the server as given.
 */
export interface ResponsesRequest {
  /** The model, e.g. `'gpt-5'`. */
  model: string;
  /** The input: a text, or a list of items (messages, tool outputs, …). */
  input?: string | ResponseInputItem[];
  /** System (developer) instructions for this response. */
  instructions?: string | null;
  /** Tools the model may call: `{ type: 'function', name, parameters }`, hosted tools, … */
  tools?: ResponseTool[];
  /** `'auto'`, `'none'`, `'required'` or a specific tool. */
  tool_choice?: unknown;
  /** The most tokens the response may generate (reasoning included). */
  max_output_tokens?: number | null;
  /** Reasoning settings: `{ effort, summary }`. */
  reasoning?: {
    /** `'minimal'`, `'low'`, `'medium'`, `'high'`. */
    effort?: string | null;
    /** `'auto'`, `'concise'`, `'detailed'`: ask for a reasoning summary. */
    summary?: string | null;
    /** Other reasoning settings, sent as given. */
    [key: string]: unknown;
  } | null;
  /** Text output settings: `{ format: { type: 'json_schema', … } }`, `verbosity`. */
  text?: {
    /** `{ type: 'text' }`, `{ type: 'json_object' }` or `{ type: 'json_schema', name, schema, strict }`. */
    format?: unknown;
    /** Other text settings (`verbosity`), sent as given. */
    [key: string]: unknown;
  } | null;
  /** Continues the conversation of a stored response. */
  previous_response_id?: string | null;
  /** Whether the server keeps the response (needed for `previous_response_id` and background). */
  store?: boolean | null;
  /**
   * Runs the response in the background: a stream cut after output resumes from the last
   * event received (`GET /responses/{id}?starting_after=N`), and unsubscribing cancels it.
   */
  background?: boolean | null;
  /** Up to 16 key-value pairs stored with the response. */
  metadata?: Record<string, string> | null;
  /** Sampling temperature. */
  temperature?: number | null;
  /** Nucleus sampling. */
  top_p?: number | null;
  /** Other fields (`parallel_tool_calls`, `truncation`, `include`, `prompt_cache_key`, …). */
  [key: string]: unknown;
}
