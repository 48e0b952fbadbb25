import { firstValueFrom, lastValueFrom, Observable, filter, take, toArray } from 'rxjs';
import { startMockServer } from '../../src/mock-server';
import { createChatClient, RxChatError, undiciTransport } from '../../src/node';
import type { ChatStreamEvent } from '../../src/chunks/types';
import {
  createRelay,
  memoryStore,
  type Relay,
  type RelayEntry,
  type RelayOptions,
  type RelayStore,
} from '../../src/relay';
import { delay } from '../helpers/loopback';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { LONG_STORY, text, upstream } from './relay-helpers';

// The relay in process: runs, logs with offsets, readers that come and go, stop, expiry.

expectNothingLeftOpen();

const open: Relay[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((relay) => relay.close()));
});
const newRelay = (options: RelayOptions = {}) => {
  const relay = createRelay(options);
  open.push(relay);
  return relay;
};

const entriesOf = (relay: Relay, runId: string, after?: number) =>
  lastValueFrom(relay.events(runId, { after }).pipe(toArray()));

/** An upstream driven by the test, recording whether it is subscribed. */

describe('relay.start() and relay.events()', () => {
  it('replays the log, goes on live, then ends with the end entry', async () => {
    const relay = newRelay();
    const up = upstream();
    const run = relay.start('r1', up.source$);
    expect(up.state.subscribed).toBe(1); // at once, before any reader
    up.events.next(text('a'));
    up.events.next(text('b'));
    await delay(0);
    const early: RelayEntry[] = [];
    const reading = relay.events('r1').subscribe((entry) => early.push(entry));
    expect(early.map((e) => e.offset)).toEqual([0, 1]);
    up.events.next(text('c'));
    up.events.complete();
    expect(await run.done).toEqual({ status: 'completed' });
    expect(early).toEqual([
      { offset: 0, event: text('a') },
      { offset: 1, event: text('b') },
      { offset: 2, event: text('c') },
      { offset: 3, end: { status: 'completed' } },
    ]);
    expect(reading.closed).toBe(true);
    expect(await entriesOf(relay, 'r1')).toEqual(early);
  });

  it('gives exactly the entries after `after`, and always the end', async () => {
    const relay = newRelay();
    const up = upstream();
    const run = relay.start('r', up.source$);
    const live = [-1, 0, 2].map((after) => entriesOf(relay, 'r', after));
    for (const piece of ['a', 'b', 'c', 'd']) up.events.next(text(piece));
    up.events.complete();
    await run.done;
    const offsets = async (after: number) =>
      (await entriesOf(relay, 'r', after)).map((entry) => entry.offset);
    expect((await Promise.all(live)).map((list) => list.map((e) => e.offset))).toEqual([
      [0, 1, 2, 3, 4],
      [1, 2, 3, 4],
      [3, 4],
    ]);
    for (let after = -1; after <= 3; after++) {
      expect(await offsets(after)).toEqual([0, 1, 2, 3, 4].filter((o) => o > after));
    }
    // A reader that saw the end already gets it again, whatever its offset.
    expect(await entriesOf(relay, 'r', 4)).toEqual([{ offset: 4, end: { status: 'completed' } }]);
    expect(await entriesOf(relay, 'r', 99)).toEqual([{ offset: 4, end: { status: 'completed' } }]);
  });

  it('throws at once when starting an id that exists: start is not a join', async () => {
    const relay = newRelay();
    const first = upstream();
    relay.start('same', first.source$);
    const second = upstream();
    const again = () => relay.start('same', second.source$);
    expect(again).toThrow(RxChatError);
    expect(again).toThrow(/exists already/);
    expect(second.state.subscribed).toBe(0);
    first.events.complete();
    await delay(0);
    expect(again).toThrow(/exists already/); // finished, not expired
    try {
      again();
    } catch (error) {
      expect(RxChatError.isInstance(error) && error.code).toBe('validation_error');
    }
    expect(() => relay.start('', second.source$)).toThrow(/non-empty/);
  });

  it('fails events() of an unknown run with a validation_error', async () => {
    const relay = newRelay();
    await expect(firstValueFrom(relay.events('nope'))).rejects.toMatchObject({
      code: 'validation_error',
      message: expect.stringContaining('Unknown relay run "nope"'),
    });
    expect(await relay.stop('nope')).toBe(false);
    relay.start('r', new Observable<ChatStreamEvent>((s) => s.complete()));
    await expect(firstValueFrom(relay.events('r', { after: 1.5 }))).rejects.toMatchObject({
      code: 'validation_error',
    });
  });

  it('keeps the run going when readers leave', async () => {
    const relay = newRelay();
    const up = upstream();
    const run = relay.start('r', up.source$);
    const first = await firstValueFrom(
      new Observable<RelayEntry>((subscriber) => {
        const s = relay.events('r').pipe(take(1)).subscribe(subscriber);
        up.events.next(text('a'));
        return s;
      }),
    );
    expect(first.offset).toBe(0);
    up.events.next(text('b'));
    up.events.complete();
    expect(up.state.unsubscribed).toBe(1); // by its own completion, not by the reader
    expect(await run.done).toEqual({ status: 'completed' });
    expect((await entriesOf(relay, 'r')).length).toBe(3);
  });
});

describe('writes to the store', () => {
  it('sends the events that come during a write together (64 at most a call), in order', async () => {
    const inner = memoryStore();
    const calls: number[] = [];
    // A store with appendMany (as the Redis one has): each call is one round trip.
    const store: RelayStore = {
      ...inner,
      create: (runId) => inner.create(runId),
      append: (runId, event) => inner.append(runId, event),
      async appendMany(runId, events) {
        calls.push(events.length);
        await delay(5);
        let first: number | null = null;
        for (const event of events) {
          const offset = await inner.append(runId, event);
          if (offset === null) return null;
          first ??= offset;
        }
        return first;
      },
      finish: (runId, how) => inner.finish(runId, how),
      info: (runId) => inner.info(runId),
      read: (runId, after) => inner.read(runId, after),
      whenEnded: (runId) => inner.whenEnded!(runId),
      close: () => inner.close(),
    };
    const relay = newRelay({ store });
    const up = upstream();
    const run = relay.start('burst', up.source$);
    for (let i = 0; i < 100; i++) up.events.next(text(`t${i}`));
    await delay(1); // that write is in flight now
    for (let i = 100; i < 150; i++) up.events.next(text(`t${i}`));
    up.events.complete();
    expect(await run.done).toEqual({ status: 'completed' });
    // Bursts go together, at most 64 events a call: 100 → 64 (36 wait), then 36 + the 50 that
    // came during the first call → 64 and 22.
    expect(calls).toEqual([64, 64, 22]);
    const entries = await entriesOf(relay, 'burst');
    expect(entries.slice(0, -1)).toEqual(
      Array.from({ length: 150 }, (_, i) => ({ offset: i, event: text(`t${i}`) })),
    );
    await inner.close();
  });
});

describe('relay.stop()', () => {
  it('unsubscribes the upstream, keeps what arrived and ends every reader with stopped', async () => {
    const relay = newRelay();
    const up = upstream();
    const run = relay.start('r', up.source$);
    const reader = entriesOf(relay, 'r');
    up.events.next(text('a'));
    up.events.next(text('b'));
    expect(await relay.stop('r')).toBe(true);
    expect(up.state.unsubscribed).toBe(1);
    expect(up.events.observed).toBe(false);
    expect(await run.done).toEqual({ status: 'stopped' });
    const expected = [
      { offset: 0, event: text('a') },
      { offset: 1, event: text('b') },
      { offset: 2, end: { status: 'stopped' } },
    ];
    expect(await reader).toEqual(expected);
    expect(await entriesOf(relay, 'r')).toEqual(expected);
    expect(await run.stop()).toBe(false); // had ended already
  });

  it('reaches a waiting upstream started by another relay sharing the memory store', async () => {
    const store = memoryStore();
    const a = newRelay({ store });
    const b = newRelay({ store });
    const up = upstream();
    const run = a.start('shared', up.source$);
    up.events.next(text('a'));
    while ((await store.info('shared'))?.events !== 1) await delay(1);
    // B did not start it: it ends the run in the store, and A stops its upstream at once,
    // though the upstream has nothing more to send (a model still thinking).
    expect(await b.stop('shared')).toBe(true);
    expect(await run.done).toEqual({ status: 'stopped' });
    expect(up.state.unsubscribed).toBe(1);
    expect(await entriesOf(b, 'shared')).toEqual([
      { offset: 0, event: text('a') },
      { offset: 1, end: { status: 'stopped' } },
    ]);
    await store.close();
  });

  it('closes the upstream socket of a real client request (seen by the mock server)', async () => {
    const server = await startMockServer({ pace: { tokensPerSecond: 50 } });
    try {
      const client = createChatClient({ baseURL: server.url, transport: undiciTransport() });
      const relay = newRelay();
      const run = relay.start('live', client.stream(LONG_STORY));
      const chunks = await lastValueFrom(
        relay.events('live').pipe(
          filter((entry) => 'event' in entry && entry.event.type === 'chunk'),
          take(3),
          toArray(),
        ),
      );
      expect(chunks.length).toBe(3);
      expect(await relay.stop('live')).toBe(true);
      expect(await run.done).toEqual({ status: 'stopped' });
      expect(await server.requests[0]!.closed).toEqual({ byClient: true });
      const entries = await entriesOf(relay, 'live');
      expect(entries.at(-1)).toMatchObject({ end: { status: 'stopped' } });
      expect(entries.map((e) => e.offset)).toEqual(entries.map((_, i) => i));
    } finally {
      await server.close();
    }
  });
});

describe('how runs end', () => {
  it('keeps an RxChatError as its JSON, and any other error as { code: unknown, message }', async () => {
    const relay = newRelay();
    const typed = new RxChatError('truncated', 'The stream ended early');
    const a = relay.start(
      'a',
      new Observable<ChatStreamEvent>((s) => {
        s.next(text('x'));
        s.error(typed);
      }),
    );
    expect(await a.done).toEqual({ status: 'errored', error: typed.toJSON() });
    expect((await entriesOf(relay, 'a')).at(-1)).toEqual({
      offset: 1,
      end: { status: 'errored', error: typed.toJSON() },
    });
    const b = relay.start(
      'b',
      new Observable<ChatStreamEvent>((s) => s.error(new TypeError('boom'))),
    );
    expect(await b.done).toEqual({
      status: 'errored',
      error: { code: 'unknown', message: 'boom' },
    });
  });

  it('forgets finished runs retentionMs after they end', async () => {
    const store = memoryStore({ retentionMs: 40 });
    const relay = newRelay({ store });
    try {
      const run = relay.start('r', new Observable<ChatStreamEvent>((s) => s.complete()));
      await run.done;
      expect(await entriesOf(relay, 'r')).toEqual([{ offset: 0, end: { status: 'completed' } }]);
      await delay(80);
      await expect(firstValueFrom(relay.events('r'))).rejects.toMatchObject({
        code: 'validation_error',
      });
      expect(await store.info('r')).toBeUndefined();
      // The id is free again.
      const again = relay.start('r', new Observable<ChatStreamEvent>((s) => s.complete()));
      expect(await again.done).toEqual({ status: 'completed' });
    } finally {
      await store.close();
    }
  });

  it('ends a run past maxEvents as errored (event_too_large) and stops its upstream', async () => {
    const store = memoryStore({ maxEvents: 3 });
    const relay = newRelay({ store });
    try {
      const up = upstream();
      const run = relay.start('big', up.source$);
      for (let i = 0; i < 5; i++) up.events.next(text(String(i)));
      const end = await run.done;
      expect(end).toMatchObject({ status: 'errored', error: { code: 'event_too_large' } });
      expect(up.state.unsubscribed).toBe(1);
      const entries = await entriesOf(relay, 'big');
      expect(entries.map((e) => e.offset)).toEqual([0, 1, 2, 3]);
      expect(entries[3]).toEqual({ offset: 3, end });
    } finally {
      await store.close();
    }
  });

  it('close() ends running runs as truncated, and start then throws', async () => {
    const relay = newRelay();
    const up = upstream();
    const run = relay.start('r', up.source$);
    const reader = entriesOf(relay, 'r');
    up.events.next(text('a'));
    await relay.close();
    expect(up.state.unsubscribed).toBe(1);
    expect(await run.done).toEqual({ status: 'truncated' });
    expect((await reader).map((e) => ('end' in e ? e.end.status : e.offset))).toEqual([
      0,
      'truncated',
    ]);
    expect(() => relay.start('s', up.source$)).toThrow(/closed/);
  });
});
