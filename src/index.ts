/**
 * rxchat: chat completions from any OpenAI-compatible endpoint as cold RxJS Observables. This is
 * the browser-safe core (fetch by default); in Node, `rxchat` resolves to `rxchat/node`, the same
 * API with undici as the default transport. Named exports only; every module is free of side
 * effects.
 *
 * @module rxchat
 */

export {
  isRetryableStatus,
  isTransientProviderError,
  RX_CHAT_ERROR_CODES,
  RxChatError,
} from './errors';
export type {
  ProviderErrorDetails,
  RxChatErrorClass,
  RxChatErrorCode,
  RxChatErrorConstructor,
  RxChatErrorDetails,
  RxChatErrorJson,
  RxChatErrorOf,
  RxChatErrorOptions,
  TimeoutPhase,
} from './errors';

export { DEFAULT_MAX_EVENT_BYTES, decodeSse } from './sse/decode-sse';
export type {
  DecodeSseOptions,
  SseComment,
  SseEvent,
  SseMessage,
  SseRetry,
} from './sse/decode-sse';

export { parseChunks } from './chunks/parse-chunks';
export type { ParseChunksOptions } from './chunks/parse-chunks';
export type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ChatCompletionDelta,
  ChatCompletionMessage,
  ChatResponseEvent,
  ChatStreamEvent,
  ChoiceLogprobs,
  ContentPart,
  CustomToolCall,
  FunctionToolCall,
  ToolCall,
  ToolCallDelta,
  Usage,
} from './chunks/types';

export { parseResponseEvents } from './responses/parse-response-events';
export type {
  ResponseContentPart,
  ResponseInputItem,
  ResponseInputPart,
  ResponseObject,
  ResponseOutputItem,
  ResponsesRequest,
  ResponseStreamEvent,
  ResponseTool,
  ResponseUsage,
} from './responses/types';

export { accumulate } from './operators/accumulate';
export { chatState } from './operators/chat-state';
export type { ChatState } from './operators/chat-state';
export { partialJson } from './operators/partial-json';
export type { PartialJsonOptions } from './operators/partial-json';
export {
  applyJsonPatch,
  DEFAULT_JSON_MAX_DEPTH,
  DEFAULT_JSON_MAX_LENGTH,
  PartialJsonParser,
} from './json/partial-json-parser';
export type {
  JsonAppendPatch,
  JsonPatch,
  JsonPath,
  JsonSetPatch,
  PartialJsonParserOptions,
} from './json/partial-json-parser';
export { contentDeltas } from './operators/content-deltas';
export type { DeltaOptions } from './operators/content-deltas';
export { finalCompletion } from './operators/final-completion';
export { reasoningDeltas } from './operators/reasoning-deltas';
export { toolCalls } from './operators/tool-calls';
export { partialToolCalls } from './operators/partial-tool-calls';
export type { PartialToolCall } from './operators/partial-tool-calls';
export { structuredOutput } from './operators/structured-output';
export type { DeepPartial, StructuredOutputOptions } from './operators/structured-output';
export { responseFormat, textFormat } from './structured/formats';
export type {
  ChatJsonSchemaFormat,
  JsonFormatOptions,
  JsonSchemaSource,
  ResponsesJsonSchemaFormat,
} from './structured/formats';
export type {
  SchemaFailure,
  SchemaIssue,
  SchemaOutput,
  SchemaResult,
  SchemaSuccess,
  SchemaTypes,
  StandardSchema,
} from './structured/standard-schema';
export type { SchemaPathSegment } from './errors';
export { usage } from './operators/usage';
export { bufferText } from './operators/buffer-text';
export type { BufferTextConfig } from './operators/buffer-text';
export { smoothText } from './operators/smooth-text';
export type { SmoothTextConfig } from './operators/smooth-text';
export type { TextUnit } from './text/units';
export { throttleText } from './operators/throttle-text';
export type { ThrottleTextConfig } from './operators/throttle-text';
export { toAsyncIterable } from './to-async-iterable';
export type { ToAsyncIterableOptions } from './to-async-iterable';

export { chatTimeout } from './operators/chat-timeout';
export type { ChatTimeoutConfig } from './operators/chat-timeout';
export { isRetryableError, retryBeforeOutput } from './operators/retry-before-output';
export type { RetryConfig } from './operators/retry-before-output';

export { createChatClient } from './client/create-chat-client';
export { DEFAULT_BASE_URL, DEFAULT_TIMEOUT } from './client/chat-client';
export type { ChatClient, ChatClientOptions, ChatRequestOptions } from './client/chat-client';
export type { HeaderValue, QueryParams } from './client/http-request';
export type {
  ChatContentPart,
  ChatMessage,
  ChatRequest,
  ChatRequestToolCall,
  ChatTool,
} from './client/request';

export { fetchTransport } from './transport/fetch';
export type { FetchTransportOptions } from './transport/fetch';
export type { ChatHttpRequest, ChatHttpResponse, ChatTransport } from './transport/types';
export { createTransportResponse } from './transport/transport-response';
export type {
  BodySink,
  BodySource,
  TransportAnswer,
  TransportExchange,
  TransportStart,
} from './transport/exchange';
export type { HeadersLike } from './transport/headers';

// The multi-step tool loop: client.runTools().
export { DEFAULT_MAX_INVALID_CALLS, DEFAULT_MAX_STEPS } from './tools/run-tools';
export type {
  RunToolsEvent,
  RunToolsOptions,
  RunToolsRequest,
  RunToolsStepEvent,
  StepEventKind,
  RunToolsStepFinish,
  RunToolsToolResult,
  ToolArgs,
  ToolContext,
  ToolDefinition,
  ToolSchema,
  ToolSet,
  ToolStepRequestOptions,
} from './tools/types';

// Reading a relayed run (the SSE of rxchat/relay), resuming by itself: relayStream().
export { relayEntries, relayStream } from './relay-client/relay-stream';
export { startRelayRun, stopRelayRun } from './relay-client/relay-run';
export type {
  RelayCallOptions,
  RelayRunLinks,
  StartRelayRunOptions,
} from './relay-client/relay-run';
export type {
  RelayRetryOptions,
  RelayStreamEntry,
  RelayStreamOptions,
} from './relay-client/relay-stream';
