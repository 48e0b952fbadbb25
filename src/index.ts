// rxchat: chat completions from any OpenAI-compatible endpoint as cold RxJS Observables.
// Named exports only; every module is free of side effects.

export { RX_CHAT_ERROR_CODES, RxChatError } from './errors';
export type { ProviderErrorDetails, RxChatErrorCode, RxChatErrorOptions } from './errors';

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
export {
  chatCompletionChunkSchema,
  chunkChoiceSchema,
  contentPartSchema,
  deltaSchema,
  logprobsSchema,
  toolCallDeltaSchema,
  usageSchema,
} from './chunks/schema';
export type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ChatCompletionDelta,
  ChatCompletionMessage,
  ChatStreamEvent,
  ChoiceLogprobs,
  ContentPart,
  ToolCall,
  ToolCallDelta,
  Usage,
} from './chunks/types';

export { accumulate } from './operators/accumulate';
export { contentDeltas } from './operators/content-deltas';
export type { DeltaOptions } from './operators/content-deltas';
export { finalCompletion } from './operators/final-completion';
export { reasoningDeltas } from './operators/reasoning-deltas';
export { toolCalls } from './operators/tool-calls';
export { usage } from './operators/usage';
