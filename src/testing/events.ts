import type { ChatCompletionChunk, ChatStreamEvent, Usage } from '../chunks/types';
import { makeChunk, type ChunkOptions } from './factories';
import { DONE, sseEvent } from './wire';

/** A `chunk` event, as `parseChunks` emits it. */
export function chunkEvent(chunk: ChatCompletionChunk): ChatStreamEvent {
  return { type: 'chunk', chunk };
}

/** A `chunk` event whose chunk carries `content` (see {@link makeChunk} for the other fields). */
export function textEvent(content: string, options: Omit<ChunkOptions, 'content'> = {}) {
  return chunkEvent(makeChunk({ ...options, content }));
}

/** The final `usage` event. */
export function usageEvent(usage: Usage | null = null): ChatStreamEvent {
  return { type: 'usage', usage };
}

/** A `response` event, as `ChatClient.stream` emits it when the headers arrive. */
export function responseEvent(
  status = 200,
  headers: Record<string, string> = { 'content-type': 'text/event-stream' },
  requestId: string | null = null,
): ChatStreamEvent {
  return { type: 'response', status, headers, requestId };
}

/**
 * A marble value map of SSE wire pieces: chunk objects become `data:` events, `DONE` the
 * `[DONE]` event, and other strings pass as raw wire text.
 *
 * @example
 * ```ts
 * const body = cold('-a-b-d|', sseValues({ a: makeChunk({ content: 'Hel' }), b: makeChunk({ content: 'lo', finishReason: 'stop' }), d: DONE }));
 * ```
 */
export function sseValues(
  map: Record<string, ChatCompletionChunk | string | Record<string, unknown>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(map)) {
    out[key] =
      value === DONE ? sseEvent(DONE) : typeof value === 'string' ? value : sseEvent(value);
  }
  return out;
}
