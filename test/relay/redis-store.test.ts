import Redis from 'ioredis';
import { filter, lastValueFrom, Observable, Subject, take, tap, toArray } from 'rxjs';
import type { ChatStreamEvent } from '../../src/chunks/types';
import { startMockServer } from '../../src/mock-server';
import { createChatClient, undiciTransport } from '../../src/node';
import {
  createRelay,
  memoryStore,
  redisStore,
  type Relay,
  type RelayEntry,
  type RelayStore,
  type RedisStoreOptions,
} from '../../src/relay';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { describeWithRedis, startRedis, type RedisServer } from '../helpers/redis';
import { openSse, serve } from './sse-client';
import { describeStoreContract } from './store-contract';
import { LONG_STORY, text } from './relay-helpers';

// The Redis store on a real redis-server (started here, on a free port): the store contract,
// shared with the memory store, then two relays on one Redis standing in for two processes.

expectNothingLeftOpen();

describeStoreContract('memoryStore', (options) => memoryStore(options));

describeWithRedis('redisStore', () => {
  let server: RedisServer;
  let prefixes = 0;
  /** A fresh key prefix per store group: tests never see each other's runs. */
  const newPrefix = () => `rxchat:test:${++prefixes}:`;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  describeStoreContract('redisStore', (options) =>
    redisStore({ url: server.url }, { prefix: newPrefix(), ...options }),
  );

  const cleanUp: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanUp.splice(0).reverse()) await step();
  });
  /** Two relays on one Redis, each with a store (so connections) of its own. */
  const twoRelays = (options: RedisStoreOptions = {}) => {
    const prefix = newPrefix();
    const stores = [0, 1].map(() => redisStore({ url: server.url }, { prefix, ...options }));
    const relays = stores.map((store) => createRelay({ store })) as [Relay, Relay];
    cleanUp.push(() => Promise.all(stores.map((store) => store.close())));
    cleanUp.push(() => Promise.all(relays.map((relay) => relay.close())));
    return { stores: stores as [RelayStore, RelayStore], relays };
  };

  it('serves a run started on relay A through relay B, and B.stop() stops A’s upstream', async () => {
    const mock = await startMockServer({ pace: { tokensPerSecond: 50 } });
    cleanUp.push(() => mock.close());
    const {
      stores: [, storeB],
      relays: [a, b],
    } = twoRelays();
    const served = await serve(b);
    cleanUp.push(() => served.close());
    const client = createChatClient({ baseURL: mock.url, transport: undiciTransport() });
    const run = a.start('shared', client.stream(LONG_STORY));
    // The Redis store claims ids asynchronously: the run exists once A's claim is through.
    while (!(await storeB.info('shared'))) await new Promise((resolve) => setTimeout(resolve, 5));
    const chunks = await lastValueFrom(
      b.events('shared').pipe(
        filter((entry) => 'event' in entry && entry.event.type === 'chunk'),
        take(3),
        toArray(),
      ),
    );
    expect(chunks.map((entry) => entry.offset)).toEqual(
      [...chunks].sort((x, y) => x.offset - y.offset).map((entry) => entry.offset),
    );
    const onA = lastValueFrom(a.events('shared').pipe(toArray()));
    const onB = lastValueFrom(b.events('shared').pipe(toArray()));
    const sse = await openSse(`${served.url}/runs/shared/events`);
    await sse.entries(3);

    expect(await b.stop('shared')).toBe(true);
    expect(await mock.requests[0]!.closed).toEqual({ byClient: true });
    expect(await run.done).toEqual({ status: 'stopped' });
    expect(await b.stop('shared')).toBe(false);

    const [entriesA, entriesB] = await Promise.all([onA, onB]);
    expect(entriesA).toEqual(entriesB);
    expect(entriesA.at(-1)).toMatchObject({ end: { status: 'stopped' } });
    expect(entriesA.map((entry) => entry.offset)).toEqual(entriesA.map((_, i) => i));
    await sse.ended;
    expect(sse.frames.at(-1)).toMatchObject({ event: 'end', data: '{"status":"stopped"}' });
    expect(sse.frames.filter((f) => f.data !== undefined).length).toBe(entriesA.length);
  });

  it('ends a run as truncated when its producer dies (its lease runs out)', async () => {
    const {
      stores: [storeA],
      relays: [a, b],
    } = twoRelays({ leaseMs: 200 });
    const events = new Subject<ChatStreamEvent>();
    const run = a.start('orphan', events);
    // The Redis store claims ids asynchronously: the upstream is subscribed once it did.
    while (!events.observed) await new Promise((resolve) => setTimeout(resolve, 5));
    events.next(text('a'));
    events.next(text('b'));
    const seen: RelayEntry[] = [];
    const reading = lastValueFrom(b.events('orphan').pipe(toArray()));
    const second = lastValueFrom(b.events('orphan').pipe(tap((entry) => seen.push(entry))));
    // Alive: the lease is refreshed, well past leaseMs.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(seen.map((entry) => entry.offset)).toEqual([0, 1]);
    // The producer "dies": its store stops refreshing the lease (and its connections close).
    await storeA.close();
    const died = Date.now();
    const entries = await reading;
    expect(Date.now() - died).toBeLessThan(1_000);
    expect(entries).toEqual([
      { offset: 0, event: text('a') },
      { offset: 1, event: text('b') },
      { offset: 2, end: { status: 'truncated' } },
    ]);
    await second;
    expect(seen).toEqual(entries);
    events.complete();
    await expect(run.done).rejects.toMatchObject({ message: expect.stringContaining('closed') });
  });

  it('a stop from another process reaches an upstream that is waiting, within a lease refresh', async () => {
    const {
      relays: [a, b],
    } = twoRelays({ leaseMs: 300 });
    let unsubscribed = 0;
    // An upstream that never emits: like a model still thinking before its first token.
    const silent = new Observable<ChatStreamEvent>(() => () => unsubscribed++);
    const run = a.start('thinking', silent);
    await run.started;
    expect(await b.stop('thinking')).toBe(true);
    const stoppedAt = Date.now();
    expect(await run.done).toEqual({ status: 'stopped' });
    // The lease is refreshed every 100 ms: that is when A learns of the stop.
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    expect(unsubscribed).toBe(1);
  });

  it('appendMany writes a batch in order in one script; maxEvents keeps what fits', async () => {
    const store = redisStore({ url: server.url }, { prefix: newPrefix(), maxEvents: 5 });
    cleanUp.push(() => store.close());
    await store.create('r');
    expect(await store.appendMany!('r', [text('a'), text('b')])).toBe(0);
    expect(await store.append('r', text('c'))).toBe(2);
    expect(await store.appendMany!('r', [text('d'), text('e'), text('f')])).toBeNull();
    const entries = await lastValueFrom(store.read('r', -1).pipe(toArray()));
    expect(entries.slice(0, -1)).toEqual(
      ['a', 'b', 'c', 'd', 'e'].map((content, offset) => ({ offset, event: text(content) })),
    );
    expect(entries.at(-1)).toMatchObject({
      offset: 5,
      end: { status: 'errored', error: { code: 'event_too_large' } },
    });
  });

  it('a stop from another process reaches a waiting upstream at once, by pub/sub (long lease)', async () => {
    const {
      relays: [a, b],
    } = twoRelays({ leaseMs: 10_000 });
    let unsubscribed = 0;
    const silent = new Observable<ChatStreamEvent>(() => () => unsubscribed++);
    const run = a.start('thinking-long', silent);
    await run.started;
    await new Promise((resolve) => setTimeout(resolve, 100)); // A's subscription is in place
    const stoppedAt = Date.now();
    expect(await b.stop('thinking-long')).toBe(true);
    expect(await run.done).toEqual({ status: 'stopped' });
    // Not the lease refresh (every 3.3 s): the published end.
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    expect(unsubscribed).toBe(1);
  });

  it('uses a client of yours, and leaves it open on close()', async () => {
    const client = new Redis(server.url);
    cleanUp.push(async () => client.disconnect());
    const store = redisStore({ client }, { prefix: newPrefix() });
    expect(await store.create('r')).toBe(true);
    const reading = lastValueFrom(store.read('r', -1).pipe(toArray()));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.append('r', text('a'));
    await store.finish('r', { status: 'completed' });
    expect((await reading).map((entry) => entry.offset)).toEqual([0, 1]);
    // A reader still waiting when the store closes fails, and its connection is closed.
    await store.create('s');
    const waiting = lastValueFrom(store.read('s', -1).pipe(toArray()));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.close();
    await expect(waiting).rejects.toMatchObject({ code: 'validation_error' });
    expect(await client.ping()).toBe('PONG');
  });

  it('stops a blocked reader’s connection when it unsubscribes', async () => {
    const store = redisStore({ url: server.url }, { prefix: newPrefix() });
    cleanUp.push(() => store.close());
    await store.create('r');
    // (Producing a run also opens the store's one pub/sub connection: let it settle first.)
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = process.getActiveResourcesInfo().filter((k) => k === 'TCPSocketWrap').length;
    const subscription = new Observable<RelayEntry>((s) => store.read('r', -1).subscribe(s))
      .pipe(take(5))
      .subscribe();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const during = process.getActiveResourcesInfo().filter((k) => k === 'TCPSocketWrap').length;
    expect(during).toBe(before + 1);
    subscription.unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = process.getActiveResourcesInfo().filter((k) => k === 'TCPSocketWrap').length;
    expect(after).toBe(before);
  });

  it('shares one live tail among the readers of a run in a process: one connection, not one each', async () => {
    const store = redisStore({ url: server.url }, { prefix: newPrefix() });
    cleanUp.push(() => store.close());
    await store.create('r');
    await store.append('r', text('a'));
    await new Promise((resolve) => setTimeout(resolve, 50)); // the pub/sub connection settles
    const sockets = () =>
      process.getActiveResourcesInfo().filter((k) => k === 'TCPSocketWrap').length;
    const before = sockets();
    // 50 readers, some from the start, some after the first entry: all live.
    const readers = Array.from({ length: 50 }, (_, i) =>
      lastValueFrom(store.read('r', i % 2 === 0 ? -1 : 0).pipe(toArray())),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sockets()).toBe(before + 1);
    for (const content of ['b', 'c', 'd']) await store.append('r', text(content));
    await store.finish('r', { status: 'completed' });
    const all = [
      { offset: 0, event: text('a') },
      { offset: 1, event: text('b') },
      { offset: 2, event: text('c') },
      { offset: 3, event: text('d') },
      { offset: 4, end: { status: 'completed' } },
    ];
    const results = await Promise.all(readers);
    results.forEach((entries, i) => expect(entries).toEqual(i % 2 === 0 ? all : all.slice(1)));
    // The run ended: its tail stopped and closed its connection.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sockets()).toBe(before);
  });
});
