/**
 * rxchat/testing: builders, factories and a mock transport for marble tests. Browser-safe, and
 * free of test-runner globals: pass your runner's deep equality where one is needed.
 *
 * @module rxchat/testing
 */

export { DONE, errorFrame, splitBytes, splitText, sseComment, sseEvent, sseWire } from './wire';
export type { ErrorFrameOptions, LineEnding, SseEventOptions, SseWireOptions } from './wire';

export { makeChunk, makeUsage, makeUsageChunk, textChunks, toolCallChunks } from './factories';
export type { ChunkOptions, TextChunksOptions, ToolCallChunksOptions } from './factories';

export { chunkEvent, responseEvent, sseValues, textEvent, usageEvent } from './events';

export { makeResponseEvents, makeResponseUsage, responsesValues, responsesWire } from './responses';
export type { ResponseCallOptions, ResponseErrorOptions, ResponseEventsOptions } from './responses';

export { createTestScheduler, runMarbles, strictDeepEqual, stripErrors } from './run';
export type { DeepEqual, RunHelpers } from './run';

export { createMockTransport } from './mock-transport';
export type {
  MockResponse,
  MockTransport,
  RecordedRequest,
  ScriptedExchange,
  ScriptedObservable,
} from './mock-transport';
