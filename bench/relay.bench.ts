/*
 * The relay's own cost on loopback (rxchat/relay): `createRelay()` with its handler on node:http,
 * read by plain node:http clients with a minimal SSE parser (not the library's client), so that
 * what is timed is the relay: the store, framing, writing to many sockets.
 *
 * - fan-out: 1 run × BENCH_READERS readers (default 1000);
 * - many runs: BENCH_RUNS runs (default 1000) × 1 reader each;
 *
 * each run gets BENCH_EVENTS small chat chunk events (default 200), produced as fast as the event
 * loop allows (one event per run, then `setImmediate`, so the sockets get a turn). Every event
 * carries `performance.now()` at its upstream `next()` in its chunk id; a reader parses it from
 * the frame, so latency is upstream `next()` → frame parsed by a reader (all in one process, one
 * clock; the readers' parsing shares the event loop with the relay). Events per second count the
 * frames delivered to all readers over the time from the first `next()` to the last reader's end.
 *
 * Memory: one run of 20 MB (2000 events of 10 kB) with one stalled reader (a raw socket that never
 * reads), against the same run with none: the peak RSS / heapUsed over a gc'd start, and the most
 * bytes the relay held for the stalled reader (its response's writableLength), which must stay
 * near `readerBudgetBytes` (1 MiB) plus the response's high-water mark before the reader is cut.
 *
 * Both the memory store and, when `redis-server` is on PATH, the Redis store (a redis-server of
 * its own on a free port). Run with `npm run bench:relay` (env: BENCH_READERS, BENCH_RUNS,
 * BENCH_EVENTS, BENCH_STORES=memory,redis). Writes a markdown table to stdout and JSON to
 * bench/results/relay-<date>.json. Numbers are for comparison on one machine, not a test.
 */
import { spawnSync } from 'node:child_process';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToIo, setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Subject } from 'rxjs';
import type { ChatStreamEvent } from '../src';
import type { RelayStore } from '../src/relay';
import { startRedis, type RedisServer } from '../test/helpers/redis';
import { relayBuild } from './rxchat'; // rebuilds dist/ when it is older than src/
import { Samples, writeResults } from './shared';

const { createRelay, memoryStore, redisStore } = relayBuild;

const READERS = Number(process.env.BENCH_READERS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 1000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200);
const STORES = (process.env.BENCH_STORES ?? 'memory,redis').split(',');
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 90_000);
const BIG_EVENTS = 2000;
const STALL_MS = 500;
const BIG_PIECE = 'x'.repeat(10_000);
const BUDGET = 1024 * 1024;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const TOKENS = [' The', ' relay', ' streams', ' tokens', ',', ' one', ' at', ' a', ' time', '.'];

/** A small chat chunk event whose id carries the time of its upstream `next()`. */
function chunkEvent(i: number): ChatStreamEvent {
  return {
    type: 'chunk',
    chunk: {
      id: `t${performance.now()}`,
      object: 'chat.completion.chunk',
      created: 1763700000,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, delta: { content: TOKENS[i % TOKENS.length]! }, finish_reason: null }],
    },
  } as ChatStreamEvent;
}

const STAMP = '"id":"t';

interface Reader {
  /** Data frames received (the end excluded). */
  frames: number;
  /** Resolves when the `end` frame arrived. */
  ended: Promise<void>;
}

/** `GET url` over node:http, read with a minimal SSE parser. Resolves once the head arrived. */
function openReader(url: string, samples: Samples): Promise<Reader> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`bench: reader got ${res.statusCode}`));
        return;
      }
      let rest = '';
      let markEnded!: () => void;
      const reader: Reader = {
        frames: 0,
        ended: new Promise<void>((done) => (markEnded = done)),
      };
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        const now = performance.now(); // every frame of this read arrived now
        rest += text;
        let start = 0;
        for (;;) {
          const end = rest.indexOf('\n\n', start);
          if (end < 0) break;
          if (rest.startsWith('event: end', start)) {
            markEnded();
            req.destroy();
          } else {
            const at = rest.indexOf(STAMP, start);
            if (at >= 0 && at < end) {
              const from = at + STAMP.length;
              samples.add(now - Number(rest.slice(from, rest.indexOf('"', from))));
              reader.frames++;
            }
          }
          start = end + 2;
        }
        rest = rest.slice(start);
      });
      res.on('close', () => markEnded());
      resolve(reader);
    });
    req.end();
  });
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  server.maxConnections = 100_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 511, resolve));
  return server;
}

async function closeServer(server: Server) {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

interface Throughput {
  store: string;
  scenario: string;
  runs: number;
  readersPerRun: number;
  eventsPerRun: number;
  frames: number;
  wallMs: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  connectMs: number;
}

async function throughput(
  storeName: string,
  makeStore: () => RelayStore,
  scenario: string,
  runs: number,
  readersPerRun: number,
): Promise<Throughput> {
  const store = makeStore();
  const relay = createRelay({ store });
  const server = await listen(relay.handler());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tag = `${scenario}-${Date.now()}`;
  try {
    const upstreams = Array.from({ length: runs }, () => new Subject<ChatStreamEvent>());
    const started = upstreams.map((up, r) => relay.start(`${tag}-${r}`, up.asObservable()));
    const done = started.map((run) => run.done);
    // With Redis the ids are claimed asynchronously: readers find a run once it is.
    await Promise.all(started.map((run) => run.started));
    const samples = new Samples(runs * readersPerRun * EVENTS);
    const readers: Reader[] = [];
    const connectStart = performance.now();
    const urls = Array.from(
      { length: runs * readersPerRun },
      (_, i) => `${url}/runs/${tag}-${Math.floor(i / readersPerRun)}/events`,
    );
    for (let i = 0; i < urls.length; i += 100) {
      readers.push(
        ...(await Promise.all(urls.slice(i, i + 100).map((u) => openReader(u, samples)))),
      );
    }
    const connectMs = performance.now() - connectStart;
    await sleep(50); // let the Redis readers' tails settle
    const start = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      for (const up of upstreams) up.next(chunkEvent(i));
      await yieldToIo();
    }
    for (const up of upstreams) up.complete();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      Promise.all(readers.map((r) => r.ended)).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    const wallMs = performance.now() - start;
    await Promise.all(done);
    const frames = readers.reduce((sum, r) => sum + r.frames, 0);
    if (timedOut || frames !== runs * readersPerRun * EVENTS) {
      throw new Error(
        `bench: ${storeName} ${scenario}: ${frames} of ${runs * readersPerRun * EVENTS} frames` +
          (timedOut ? ` after the ${TIMEOUT_MS} ms timeout` : ''),
      );
    }
    return {
      store: storeName,
      scenario,
      runs,
      readersPerRun,
      eventsPerRun: EVENTS,
      frames,
      wallMs: round1(wallMs),
      eventsPerSec: Math.round(frames / (wallMs / 1000)),
      p50Ms: round2(samples.quantile(0.5)),
      p99Ms: round2(samples.quantile(0.99)),
      maxMs: round2(samples.quantile(1)),
      connectMs: round1(connectMs),
    };
  } finally {
    await relay.close();
    await store.close();
    await closeServer(server);
  }
}

interface MemoryResult {
  store: string;
  stalled: boolean;
  runBytes: number;
  peakRssDeltaMiB: number;
  peakHeapDeltaMiB: number;
  /** The most bytes the relay left waiting in the stalled reader's response (after a write). */
  maxBufferedKiB: number;
  /** The bytes the kernel took for the stalled reader before it was cut (socket buffers). */
  kernelKiB: number;
  cut: boolean;
}

/** One 20 MB run, with or without a stalled reader; memory sampled after every 4 events. */
async function memory(
  storeName: string,
  makeStore: () => RelayStore,
  stalled: boolean,
): Promise<MemoryResult> {
  const store = makeStore();
  // A short stall limit: a run that ends before the byte rule cuts the stalled reader (Redis
  // writes a burst in one script) leaves it to the time rule.
  const relay = createRelay({ store, readerBudgetBytes: BUDGET, readerStallMs: STALL_MS });
  const handler = relay.handler();
  const responses: ServerResponse[] = [];
  let maxBuffered = 0;
  const server = await listen((req, res) => {
    responses.push(res);
    // What the relay leaves waiting in this response, after every write it makes.
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    res.write = ((...args: unknown[]) => {
      const drained = write(...args);
      maxBuffered = Math.max(maxBuffered, res.writableLength);
      return drained;
    }) as unknown as ServerResponse['write'];
    handler(req, res);
  });
  const port = (server.address() as AddressInfo).port;
  const runId = `big-${stalled}-${Date.now()}`;
  const up = new Subject<ChatStreamEvent>();
  const run = relay.start(runId, up.asObservable());
  await run.started;
  const slow = stalled ? connect(port, '127.0.0.1') : undefined;
  try {
    if (slow) {
      slow.on('error', () => undefined);
      slow.pause(); // never reads a byte
      slow.write(`GET /runs/${runId}/events HTTP/1.1\r\nhost: x\r\n\r\n`);
      while (responses.length < 1 || !responses[0]!.headersSent) await sleep(5);
    }
    gc();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    let bytes = 0;
    const sample = () => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed);
    };
    for (let i = 0; i < BIG_EVENTS; i++) {
      const event: ChatStreamEvent = {
        type: 'chunk',
        chunk: { choices: [{ index: 0, delta: { content: BIG_PIECE } }] },
      } as ChatStreamEvent;
      bytes += BIG_PIECE.length;
      up.next(event);
      if (i % 4 === 3) {
        await yieldToIo();
        sample();
      }
    }
    up.complete();
    await run.done;
    await sleep(20);
    sample();
    const cutBy = performance.now() + 2 * STALL_MS;
    while (slow && !responses[0]!.destroyed && performance.now() < cutBy) await sleep(10);
    return {
      store: storeName,
      stalled,
      runBytes: bytes,
      peakRssDeltaMiB: round1((peakRss - before.rss) / 2 ** 20),
      peakHeapDeltaMiB: round1((peakHeap - before.heapUsed) / 2 ** 20),
      maxBufferedKiB: Math.round(maxBuffered / 1024),
      kernelKiB: Math.round((responses[0]?.socket?.bytesWritten ?? 0) / 1024),
      cut: stalled ? responses[0]!.destroyed && !responses[0]!.writableFinished : false,
    };
  } finally {
    slow?.destroy();
    await relay.close();
    await store.close();
    await closeServer(server);
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

async function main() {
  const stores: { name: string; make: () => RelayStore; memoryMake: () => RelayStore }[] = [];
  const notes: string[] = [];
  let redis: RedisServer | undefined;
  if (STORES.includes('memory')) {
    stores.push({
      name: 'memory',
      make: () => memoryStore(),
      // Finished runs forgotten at once, so the memory runs do not add up.
      memoryMake: () => memoryStore({ retentionMs: 0 }),
    });
  }
  if (STORES.includes('redis')) {
    if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0) {
      redis = await startRedis();
      const url = redis.url;
      stores.push({
        name: 'redis',
        make: () => redisStore({ url }),
        memoryMake: () => redisStore({ url }, { retentionMs: 1000 }),
      });
    } else notes.push('redis-server is not on PATH: the Redis store was not measured');
  }
  const results: Throughput[] = [];
  const memories: MemoryResult[] = [];
  try {
    for (const store of stores) {
      for (const [scenario, runs, readers] of [
        ['fan-out', 1, READERS],
        ['many runs', RUNS, 1],
      ] as const) {
        // A short warm-up of the same shape, so the JIT and the connections are warm.
        await throughput(
          store.name,
          store.make,
          scenario,
          Math.min(runs, 20),
          Math.min(readers, 20),
        );
        const result = await throughput(store.name, store.make, scenario, runs, readers);
        results.push(result);
        process.stderr.write(`${JSON.stringify(result)}\n`);
      }
      for (const stalled of [false, true]) {
        const result = await memory(store.name, store.memoryMake, stalled);
        memories.push(result);
        process.stderr.write(`${JSON.stringify(result)}\n`);
      }
    }
  } finally {
    await redis?.stop();
  }

  const lines = [
    `Relay on loopback, ${EVENTS} small chunk events per run, readers on node:http in the same process:`,
    '',
    '| store  | scenario  | runs × readers | frames  | wall ms | events/s | p50 ms | p99 ms |',
    '| ------ | --------- | -------------- | ------: | ------: | -------: | -----: | -----: |',
    ...results.map(
      (r) =>
        `| ${r.store} | ${r.scenario} | ${r.runs} × ${r.readersPerRun} | ${r.frames} | ${r.wallMs} | ${r.eventsPerSec} | ${r.p50Ms} | ${r.p99Ms} |`,
    ),
    '',
    `One run of ${(BIG_EVENTS * BIG_PIECE.length) / 1e6} MB (${BIG_EVENTS} × 10 kB events), reader budget ${BUDGET / 1024} KiB:`,
    '',
    '| store  | stalled reader | peak RSS Δ MiB | peak heapUsed Δ MiB | max buffered KiB | in kernel KiB | cut |',
    '| ------ | -------------- | -------------: | ------------------: | ---------------: | ------------: | --- |',
    ...memories.map(
      (m) =>
        `| ${m.store} | ${m.stalled ? 'yes' : 'no'} | ${m.peakRssDeltaMiB} | ${m.peakHeapDeltaMiB} | ${m.stalled ? m.maxBufferedKiB : '–'} | ${m.stalled ? m.kernelKiB : '–'} | ${m.stalled ? (m.cut ? 'yes' : 'no') : '–'} |`,
    ),
    '',
    ...notes,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const file = await writeResults('relay', {
    readers: READERS,
    runs: RUNS,
    eventsPerRun: EVENTS,
    readerBudgetBytes: BUDGET,
    throughput: results,
    memory: memories,
    notes,
  });
  process.stdout.write(`wrote ${file}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
