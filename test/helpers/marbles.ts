import type { TestScheduler } from 'rxjs/testing';
import { createTestScheduler } from '../../src/testing';

/**
 * The library's own marble scheduler (`rxchat/testing`), with Jest's deep equality: errors are
 * compared by name, code and message, not by stack.
 */
export function testScheduler(): TestScheduler {
  return createTestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A minimal valid chunk with one choice, for hand-written streams. */
export function chunk(
  delta: Record<string, unknown>,
  extra: { finish_reason?: string | null; index?: number; usage?: unknown; id?: string } = {},
) {
  const { finish_reason = null, index = 0, usage, id = 'chatcmpl-1' } = extra;
  return {
    id,
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'test-model',
    choices: [{ index, delta, finish_reason }],
    ...(usage === undefined ? {} : { usage }),
  };
}

/** A `message` SSE event carrying `data`. */
export function message(data: unknown, extra: { event?: string; incomplete?: true } = {}) {
  return {
    type: 'message' as const,
    event: extra.event,
    data: typeof data === 'string' ? data : JSON.stringify(data),
    id: undefined,
    ...(extra.incomplete ? { incomplete: true as const } : {}),
  };
}
