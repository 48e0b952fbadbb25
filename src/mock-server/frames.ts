// SSE frames of the mock server's streams. The wire text comes from rxchat/testing's builders,
// the one place SSE framing is written.
import { DONE as DONE_MARKER, sseComment, sseEvent } from '../testing/wire';

/**
 * One write of a stream: a whole SSE event or comment.
 *
 * @example
 * ```ts
 * const frame: SseFrame = { text: 'data: [DONE]\n\n', kind: 'done', tokens: false };
 * ```
 */
export interface SseFrame {
  text: string;
  kind: 'data' | 'comment' | 'done';
  /** Whether it carries generated tokens (content, reasoning or tool arguments). */
  tokens: boolean;
}

export const data = (value: unknown, tokens = false): SseFrame => ({
  text: sseEvent(value),
  kind: 'data',
  tokens,
});
export const comment = (text: string): SseFrame => ({
  text: sseComment(text),
  kind: 'comment',
  tokens: false,
});
/** An `event: error` frame (Groq: E2, F2); it counts as data, since clients read it. */
export const errorEvent = (value: unknown): SseFrame => ({
  text: sseEvent(value, { event: 'error' }),
  kind: 'data',
  tokens: false,
});
export const DONE: SseFrame = { text: sseEvent(DONE_MARKER), kind: 'done', tokens: false };

/** Recursively sorts object keys (Azure writes its chunks that way: I9). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  }
  return sorted;
}
