import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { Subject } from 'rxjs';
import type { ChatStreamEvent } from '../../src/chunks/types';
import { createRelay, memoryStore, redisStore, type RelayStore } from '../../src/relay';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { describeWithRedis, startRedis, type RedisServer } from '../helpers/redis';
import { openSse, type Frame, type SseReader } from './sse-client';

// One run, 1,000 concurrent SSE readers over real loopback HTTP (each on a socket of its own):
// every reader gets the same complete, gap-free log and the end, while the run is produced live.
// With the memory store, and with the Redis store (each live reader blocks on a Redis connection
// of its own: 1,000 of them, each woken by every event).

expectNothingLeftOpen();

const READERS = 1000;
/** Events in the log before the readers come (replayed to them). */
const BEFORE = 20;

const text = (i: number): ChatStreamEvent => ({
  type: 'chunk',
  chunk: { choices: [{ index: 0, delta: { content: `token ${i} ` } }] },
});

/** What every reader must see: events 0..n-1 as `id: i`, then the end. */
const expectedLog = (events: number): Frame[] => [
  ...Array.from({ length: events }, (_, i) => ({ id: String(i), data: JSON.stringify(text(i)) })),
  { event: 'end', id: String(events), data: '{"status":"completed"}' },
];

/** A reader's entries (keep-alive comments left out). */
const entries = (reader: SseReader) => reader.frames.filter((frame) => frame.data !== undefined);

/**
 * Serves `store` through a relay on a loopback server with a backlog for every reader at once,
 * runs one run to its end while READERS readers read it (`live` events are produced once they
 * are all attached), and checks what each got.
 */
async function manyReaders(store: RelayStore, live: number): Promise<void> {
  const expected = expectedLog(BEFORE + live);
  const relay = createRelay({ store });
  const sockets = new Set<Socket>();
  const server: Server = createServer(relay.handler());
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: READERS * 2 }, resolve),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/runs/fan-out/events`;
  let readers: SseReader[] = [];
  try {
    const upstream = new Subject<ChatStreamEvent>();
    const run = relay.start('fan-out', upstream);
    // A store that claims ids asynchronously (Redis) subscribes the upstream once it has.
    while (!upstream.observed) await yieldToIo();
    for (let i = 0; i < BEFORE; i++) upstream.next(text(i));
    while (((await store.info('fan-out'))?.events ?? 0) < BEFORE) await yieldToIo();

    // Every reader connects at once (agent: false: a socket each, no pool limit) and gets the
    // log so far.
    readers = await Promise.all(Array.from({ length: READERS }, () => openSse(url)));
    expect(readers.map((reader) => reader.status)).toEqual(readers.map(() => 200));
    await Promise.all(readers.map((reader) => reader.entries(BEFORE)));
    expect(sockets.size).toBe(READERS);
    // Every reader is attached, and the run still runs: the rest is delivered live.
    expect(await store.info('fan-out')).toEqual({ events: BEFORE, end: null });
    expect(readers.every((reader) => entries(reader).length === BEFORE)).toBe(true);

    // Produced while they read: a few events, then the sockets get a turn.
    for (let i = BEFORE; i < BEFORE + live; i++) {
      upstream.next(text(i));
      if (i % 5 === 4) await yieldToIo();
    }
    upstream.complete();
    expect(await run.done).toEqual({ status: 'completed' });
    await Promise.all(readers.map((reader) => reader.ended));

    // Identical, complete, gap-free, ended: compared reader by reader.
    const wrong = readers.filter(
      (reader) => JSON.stringify(entries(reader)) !== JSON.stringify(expected),
    );
    expect(wrong.length).toBe(0);
    expect(entries(readers[0]!)).toEqual(expected);
  } finally {
    for (const reader of readers) reader.close();
    await relay.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('1,000 concurrent readers of one run', () => {
  it('with the memory store: every reader gets the whole log, live, and the end', async () => {
    const store = memoryStore();
    try {
      await manyReaders(store, 50);
    } finally {
      await store.close();
    }
  }, 60_000);
});

describeWithRedis('1,000 concurrent readers of one run on Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('with the Redis store: every reader gets the whole log, live, and the end', async () => {
    const store = redisStore({ url: redis.url }, { prefix: 'rxchat:many-readers:' });
    try {
      // Fewer live events than with the memory store: each one wakes every reader's XREAD
      // BLOCK, so it costs READERS round trips to Redis (about 140 ms per event here).
      await manyReaders(store, 20);
    } finally {
      await store.close();
    }
  }, 60_000);
});
