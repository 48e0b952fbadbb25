/*
 * rxchat/relay (redisStore) against Vercel's `resumable-stream` (2.2.x, through its ioredis
 * entry point), on one redis-server this bench starts itself (loopback, temp dir, no
 * persistence). Both relay the same payload: EVENTS (default 500) chat chunk events whose text
 * delta is 40 ASCII characters; rxchat relays them as ChatStreamEvent objects (stored as JSON),
 * resumable-stream as the same JSON in SSE lines (`data: …\n\n`), one string per event, since it
 * relays strings.
 *
 * No HTTP: the producer (this process) uses each library's API, and the readers are in-process
 * consumers of each library's API in a second Node process (forked, one for the whole bench),
 * so that what is compared is the relay machinery (Redis, the clients, the libraries), and the
 * producer's memory is the producer's alone:
 *
 * - rxchat: `createRelay({ store: redisStore({ url }) }).start(id, subject)` in the producer,
 *   `relay.events(id, { after })` (on a redisStore of the reader process) per reader;
 * - resumable-stream: `createNewResumableStream(id, () => readable)` in the producer (its own
 *   returned stream drained, as its HTTP response would be), `resumeExistingStream(id, skip)`
 *   per reader: `resumable-stream`, one context in the reader process (one ioredis publisher and
 *   one subscriber connection for all its readers); `resumable-stream/sub-per-reader`, a context
 *   per reader (the publisher shared, one subscriber connection each). Every ioredis client is
 *   ready before it is used (the library's ioredis adapter does not wait for it).
 *
 * Scenarios, each after a small warm-up of the same shape:
 *
 * - fan-out: 1 run × BENCH_READERS readers (default 1000; when a library fails a shape, the
 *   bench halves N for it until it passes, and says so);
 * - late reader: 1 run, events emitted 1 ms apart; after half of them, 1 reader joins resuming
 *   after the first quarter (rxchat: `after: offset`; resumable-stream: `skipCharacters` = the
 *   length of the first quarter's strings). Reported: the time from the resume call to having the
 *   last event emitted before the join (catch-up), and the latency of the events emitted after
 *   the call;
 * - many runs: BENCH_RUNS runs (default 1000) × 1 reader.
 *
 * The readers are attached before the first event (rxchat: until redis-server counts a blocked
 * XREAD per run at least, and the count is stable; resumable-stream: until each resume resolved,
 * i.e. got its ack). Then each run gets
 * one event per round, as fast as the event loop allows (`setImmediate` after each round), so
 * the producer outruns delivery on purpose and latency includes the queueing. Every event carries
 * its sequence number and the monotonic clock (`process.hrtime`, shared by the two processes)
 * at its emit; a reader takes the time at receipt, and checks the sequence (in order, no gap).
 * Events/s count the events delivered to all readers from the first emit to the last receipt.
 * Memory: the producer process's peak RSS and heapUsed over a gc'd start (sampled every 5 ms and
 * after every round), from before the runs are created to the last reader's end. CPU: the seconds
 * the producer, the reader process and redis-server used during the scenario. Failures counted:
 * missing or out-of-order events, clients redis-server closed for their output buffer limit (its
 * log), reconnects of the reader process's subscriber connections.
 *
 * BENCH_INTERVAL_MS=20 paces fan-out and many runs instead (one event per run every 20 ms), so
 * latency is the relay's and not the backlog's, as long as it keeps up.
 *
 * `npm run bench:relay-peers` (env: BENCH_EVENTS, BENCH_READERS, BENCH_RUNS, BENCH_LIBS,
 * BENCH_INTERVAL_MS, BENCH_TIMEOUT_MS). Markdown to stdout, JSON to bench/results/relay-peers-<date>.json. Numbers
 * are for comparison on one machine, not a test.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToIo, setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Redis } from 'ioredis';
import { createResumableStreamContext } from 'resumable-stream/ioredis';
import { Subject, type Subscription } from 'rxjs';
import type { ChatStreamEvent } from '../src';
import { startBenchRedis, type BenchRedis } from './redis-server';
import { builtNode, relayBuild } from './rxchat'; // rebuilds dist/ when it is older than src/
import { Samples, writeResults } from './shared';

const { createRelay, redisStore } = relayBuild;

const EVENTS = Number(process.env.BENCH_EVENTS ?? 500);
const READERS = Number(process.env.BENCH_READERS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 1000);
const LIBS = (
  process.env.BENCH_LIBS ?? 'rxchat,resumable-stream,resumable-stream/sub-per-reader'
).split(',') as Lib[];
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 120_000);
/** The late reader joins once this many events were emitted… */
const LATE_JOIN = Math.floor(EVENTS / 2);
/** …and resumes after this many (it has seen events 0 … LATE_SEEN - 1). */
const LATE_SEEN = Math.floor(EVENTS / 4);
const LATE_INTERVAL_MS = 1;
/** Fan-out and many runs: 0 (default) emits as fast as the event loop allows, else ms per round. */
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 0);

/**
 * `resumable-stream`: one context in the reader process (one publisher, one subscriber
 * connection for all its readers), as a server that creates its context once would;
 * `resumable-stream/sub-per-reader`: a context per reader (one subscriber connection each, the
 * publisher shared), as rxchat's readers each block on a connection of their own.
 */
type Lib = 'rxchat' | 'resumable-stream' | 'resumable-stream/sub-per-reader';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** The monotonic clock in ms, the same in both processes (CLOCK_MONOTONIC). */
const clock = () => Number(process.hrtime.bigint()) / 1e6;

const LOREM =
  'The relay keeps each run in an ordered log, and any number of readers follow it live. ' +
  'A reader that drops comes back and resumes where it was, without a gap or a duplicate. ';
/** The i-th 40-character text delta. */
const delta = (i: number) => LOREM.slice((i * 40) % 160, ((i * 40) % 160) + 40);

/** A chat chunk event whose id carries its sequence number and its emit time. */
function chunkEvent(seq: number): ChatStreamEvent {
  return {
    type: 'chunk',
    chunk: {
      id: `s${seq}:${clock()}`,
      object: 'chat.completion.chunk',
      created: 1763700000,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, delta: { content: delta(seq) }, finish_reason: null }],
    },
  } as ChatStreamEvent;
}

/** Resolves once an ioredis client is connected and ready. */
const ready = (client: Redis) =>
  client.status === 'ready'
    ? Promise.resolve()
    : new Promise<void>((resolve) => client.once('ready', () => resolve()));

const sse = (event: ChatStreamEvent) => `data: ${JSON.stringify(event)}\n\n`;

// ---------------------------------------------------------------------------------------------
// The reader process.

interface AttachCommand {
  kind: 'attach';
  lib: Lib;
  url: string;
  runIds: string[];
  readersPerRun: number;
  /** rxchat: the last offset seen (-1: all). */
  after: number;
  /** resumable-stream: the characters to skip (0: all). */
  skip: number;
  /** The sequence number each reader expects first, and how many events. */
  firstSeq: number;
  expected: number;
  /** Late reader: the last event emitted before the join (its receipt ends the catch-up). */
  catchUpSeq: number;
}

interface ReaderResult {
  kind: 'result';
  frames: number;
  disorders: number;
  ended: number;
  readers: number;
  error?: string;
  /** Quantiles (ms) over all events, or, with liveOnly, those emitted after the resume call. */
  p50: number;
  p99: number;
  max: number;
  lastAt: number;
  callAt: number;
  firstAt: number;
  catchUpAt: number;
  attachMs: number;
  reconnects: number;
  /** The CPU time the reader process used from attaching to the last reader's end. */
  cpuMs: number;
}

/** One reader's bookkeeping: sequence check and latency samples. */
class Tally {
  frames = 0;
  disorders = 0;
  ended = 0;
  firstAt = 0;
  lastAt = 0;
  catchUpAt = 0;
  callAt = 0;
  constructor(
    readonly samples: Samples,
    readonly cmd: AttachCommand,
    readonly liveOnly: boolean,
  ) {}
  /** One event received at `at`, given its id `s<seq>:<emit time>`. */
  receive(next: { seq: number }, seq: number, emittedAt: number, at: number) {
    if (seq !== next.seq) this.disorders++;
    next.seq = seq + 1;
    this.frames++;
    if (this.firstAt === 0) this.firstAt = at;
    this.lastAt = Math.max(this.lastAt, at);
    if (seq === this.cmd.catchUpSeq) this.catchUpAt = at;
    if (!this.liveOnly || emittedAt >= this.callAt) this.samples.add(at - emittedAt);
  }
}

const ID_MARK = '"id":"s';

async function readersMain() {
  process.on('message', (cmd: AttachCommand | { kind: 'exit' }) => {
    if (cmd.kind === 'exit') process.exit(0);
    attach(cmd).then(
      (result) => process.send!(result),
      (error: unknown) => process.send!({ kind: 'result', error: String(error) }),
    );
  });
  process.send!({ kind: 'ready' });
}

async function attach(cmd: AttachCommand): Promise<ReaderResult> {
  const total = cmd.runIds.length * cmd.readersPerRun;
  const samples = new Samples(total * cmd.expected);
  const tally = new Tally(samples, cmd, cmd.catchUpSeq >= 0);
  let error: string | undefined;
  let allEnded!: () => void;
  const ended = new Promise<void>((resolve) => (allEnded = resolve));
  const endOne = () => {
    if (++tally.ended === total) allEnded();
  };
  const fail = (e: unknown) => {
    error ??= String(e);
    endOne();
  };
  const cleanups: (() => void | Promise<void>)[] = [];
  const attachStart = clock();
  const cpuStart = process.cpuUsage();
  tally.callAt = attachStart;
  let attachMs: number;
  /** How often the reader process's pub/sub connection was lost and reopened. */
  let reconnects = 0;
  /** The first error of one of its connections, if any. */
  let connectionError: string | undefined;

  if (cmd.lib === 'rxchat') {
    const store = redisStore({ url: cmd.url });
    const relay = createRelay({ store });
    const subscriptions: Subscription[] = [];
    cleanups.push(async () => {
      for (const s of subscriptions) s.unsubscribe();
      await relay.close();
      await store.close();
    });
    for (const runId of cmd.runIds) {
      for (let r = 0; r < cmd.readersPerRun; r++) {
        const next = { seq: cmd.firstSeq };
        subscriptions.push(
          relay.events(runId, { after: cmd.after }).subscribe({
            next: (entry) => {
              if (!('event' in entry)) return;
              const at = clock();
              const id = (entry.event as { chunk: { id: string } }).chunk.id;
              const colon = id.indexOf(':');
              tally.receive(next, Number(id.slice(1, colon)), Number(id.slice(colon + 1)), at);
            },
            error: fail,
            complete: endOne,
          }),
        );
      }
    }
    attachMs = clock() - attachStart;
    // (The producer waits until redis-server counts the readers blocked in XREAD.)
    process.send!({ kind: 'attached' });
  } else {
    const publisher = new Redis(cmd.url);
    const subscribers: Redis[] = [];
    cleanups.push(() => {
      publisher.disconnect();
      for (const subscriber of subscribers) subscriber.disconnect();
    });
    const newContext = async () => {
      const subscriber = new Redis(cmd.url);
      subscriber.on('reconnecting', () => reconnects++);
      subscriber.on('error', (e: Error) => void (connectionError ??= e.message));
      subscribers.push(subscriber);
      // Connected before use, as a context made at startup would be (its ioredis adapter's
      // connect() does nothing).
      await ready(subscriber);
      return createResumableStreamContext({ waitUntil: null, publisher, subscriber });
    };
    await ready(publisher);
    const shared = cmd.lib === 'resumable-stream' ? await newContext() : undefined;
    const streams: ReadableStream<string>[] = [];
    const resumes: (() => Promise<void>)[] = [];
    for (const runId of cmd.runIds) {
      for (let r = 0; r < cmd.readersPerRun; r++) {
        resumes.push(async () => {
          const context = shared ?? (await newContext());
          const stream = await context.resumeExistingStream(runId, cmd.skip || undefined);
          if (!stream) throw new Error(`resumeExistingStream answered ${String(stream)}`);
          streams.push(stream);
          const next = { seq: cmd.firstSeq };
          void (async () => {
            const reader = stream.getReader();
            cleanups.push(() => void reader.cancel().catch(() => undefined));
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              const at = clock();
              for (let i = value.indexOf(ID_MARK); i >= 0; i = value.indexOf(ID_MARK, i + 1)) {
                const colon = value.indexOf(':', i + ID_MARK.length);
                const quote = value.indexOf('"', colon);
                tally.receive(
                  next,
                  Number(value.slice(i + ID_MARK.length, colon)),
                  Number(value.slice(colon + 1, quote)),
                  at,
                );
              }
            }
            endOne();
          })().catch(fail);
        });
      }
    }
    // Batches of 100 concurrent resumes (each waits for the producer's ack), within the timeout.
    let pending = 0;
    let giveUp!: () => void;
    const gaveUp = new Promise<'timeout'>((resolve) => (giveUp = () => resolve('timeout')));
    const attachTimer = setTimeout(giveUp, TIMEOUT_MS);
    for (let i = 0; i < resumes.length && pending === 0; i += 100) {
      const batch = resumes.slice(i, i + 100).map((f) => {
        pending++;
        return f().then(
          () => void pending--,
          (reason: unknown) => {
            pending--;
            fail(reason);
          },
        );
      });
      if ((await Promise.race([Promise.all(batch), gaveUp])) === 'timeout') break;
    }
    clearTimeout(attachTimer);
    if (pending > 0) {
      error ??= `${pending} resume(s) neither resolved nor rejected within ${TIMEOUT_MS} ms`;
      allEnded();
    }
    attachMs = clock() - attachStart;
    process.send!({ kind: 'attached' });
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = await Promise.race([
    ended.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (timedOut) error ??= `timed out after ${TIMEOUT_MS} ms`;
  if (error !== undefined && connectionError !== undefined) {
    error += ` (first connection error: ${connectionError})`;
  }
  const cpu = process.cpuUsage(cpuStart);
  for (const cleanup of cleanups) await cleanup();
  return {
    kind: 'result',
    frames: tally.frames,
    disorders: tally.disorders,
    ended: tally.ended,
    readers: total,
    ...(error === undefined ? {} : { error }),
    p50: samples.quantile(0.5),
    p99: samples.quantile(0.99),
    max: samples.quantile(1),
    lastAt: tally.lastAt,
    callAt: tally.callAt,
    firstAt: tally.firstAt,
    catchUpAt: tally.catchUpAt,
    attachMs,
    reconnects,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// The producer process.

/** One library's producer side: runs created, events emitted, everything closed. */
interface Producer {
  /** Creates the runs (resolves once readers may attach). */
  create(runIds: string[]): Promise<void>;
  /** Emits event `seq` to run `r`; returns the string relayed (resumable-stream) or ''. */
  emit(r: number, seq: number): string;
  complete(): void;
  /** Resolves once every run ended on the producer side. */
  done(): Promise<void>;
  close(): Promise<void>;
}

function rxchatProducer(url: string): Producer {
  const store = redisStore({ url });
  const relay = createRelay({ store });
  let subjects: Subject<ChatStreamEvent>[] = [];
  let dones: Promise<unknown>[] = [];
  return {
    async create(runIds) {
      subjects = runIds.map(() => new Subject<ChatStreamEvent>());
      const runs = runIds.map((id, r) => relay.start(id, subjects[r]!.asObservable()));
      dones = runs.map((run) => run.done);
      await Promise.all(runs.map((run) => run.started));
    },
    emit(r, seq) {
      subjects[r]!.next(chunkEvent(seq));
      return '';
    },
    complete() {
      for (const subject of subjects) subject.complete();
    },
    async done() {
      await Promise.all(dones);
    },
    async close() {
      await relay.close();
      await store.close();
    },
  };
}

function resumableStreamProducer(url: string): Producer {
  const publisher = new Redis(url);
  const subscriber = new Redis(url);
  const context = createResumableStreamContext({ waitUntil: null, publisher, subscriber });
  const connected = Promise.all([ready(publisher), ready(subscriber)]);
  let controllers: ReadableStreamDefaultController<string>[] = [];
  let drained: Promise<void>[] = [];
  return {
    async create(runIds) {
      await connected;
      controllers = [];
      const made = await Promise.all(
        runIds.map((id, r) =>
          context.createNewResumableStream(
            id,
            () => new ReadableStream<string>({ start: (c) => void (controllers[r] = c) }),
          ),
        ),
      );
      // The producer's own stream (its HTTP response, in an app): read and dropped.
      drained = made.map(async (stream) => {
        if (!stream) throw new Error('createNewResumableStream answered null');
        const reader = stream.getReader();
        while (!(await reader.read()).done);
      });
    },
    emit(r, seq) {
      const line = sse(chunkEvent(seq));
      controllers[r]!.enqueue(line);
      return line;
    },
    complete() {
      for (const controller of controllers) controller.close();
    },
    async done() {
      await Promise.all(drained);
    },
    async close() {
      // Let the last DONE publishes go out before disconnecting.
      await sleep(50);
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

interface Row {
  lib: Lib;
  scenario: 'fan-out' | 'late reader' | 'many runs';
  runs: number;
  readersPerRun: number;
  frames: number;
  expectedFrames: number;
  disorders: number;
  wallMs: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  attachMs: number;
  /** Late reader: resume call → the last event emitted before the join received. */
  catchUpMs?: number;
  peakRssDeltaMiB: number;
  peakHeapDeltaMiB: number;
  /** CPU time used during the scenario by the producer, the reader process and redis-server. */
  cpuMs: { producer: number; readers: number; redis: number };
  /** resumable-stream: how often the reader process's pub/sub connection was reopened. */
  readerReconnects: number;
  /** Clients redis-server closed for passing their output buffer limit (from its log). */
  clientsCutByRedis: number;
  error?: string;
}

class ReaderProcess {
  private child: ChildProcess;
  private waiting = new Map<
    string,
    { resolve: (message: Record<string, unknown>) => void; reject: (error: Error) => void }
  >();
  private ready: Promise<unknown>;
  constructor() {
    // The same build as this process (pinned: the reader process never rebuilds dist/).
    this.child = fork(__filename, ['--readers'], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_RXCHAT_BUILT: builtNode },
    });
    this.child.on('message', (message: Record<string, unknown>) => {
      const waiter = this.waiting.get(message.kind as string);
      this.waiting.delete(message.kind as string);
      waiter?.resolve(message);
    });
    this.child.on('exit', (code) => {
      for (const waiter of this.waiting.values()) {
        waiter.reject(new Error(`reader process exited (${code})`));
      }
      this.waiting.clear();
    });
    this.ready = this.next('ready');
  }
  /** The next message of this kind from the reader process. */
  next(kind: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => this.waiting.set(kind, { resolve, reject }));
  }
  async send(cmd: AttachCommand) {
    await this.ready;
    this.child.send(cmd);
  }
  async exit() {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.send({ kind: 'exit' });
      await exited;
    }
  }
}

async function blockedClients(admin: Redis): Promise<number> {
  const info = await admin.info('clients');
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? 0);
}

/** How many clients redis-server closed so far for passing their output buffer limit. */
const bufferCuts = (redis: BenchRedis) =>
  redis
    .log()
    .split('\n')
    .filter((line) => line.includes('output buffer limits')).length;

async function scenario(
  lib: Lib,
  redis: BenchRedis,
  admin: Redis,
  readers: ReaderProcess,
  name: Row['scenario'],
  runs: number,
  readersPerRun: number,
  events: number,
): Promise<Row> {
  const url = redis.url;
  const late = name === 'late reader';
  const cutsBefore = bufferCuts(redis);
  const producer = lib === 'rxchat' ? rxchatProducer(url) : resumableStreamProducer(url);
  const tag = `${name.replace(' ', '-')}-${Date.now()}`;
  const runIds = Array.from({ length: runs }, (_, r) => `${tag}-${r}`);
  const lateJoin = Math.floor(events / 2);
  const lateSeen = Math.floor(events / 4);
  let skip = 0;
  const cmd: AttachCommand = {
    kind: 'attach',
    lib,
    url,
    runIds,
    readersPerRun,
    after: late ? lateSeen - 1 : -1,
    skip: 0,
    firstSeq: late ? lateSeen : 0,
    expected: late ? events - lateSeen : events,
    catchUpSeq: late ? lateJoin - 1 : -1,
  };
  gc();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sample = () => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  };
  const sampler = setInterval(sample, 5);
  const cpuStart = process.cpuUsage();
  const redisCpuStart = redis.cpuMs();
  try {
    await producer.create(runIds);
    const result = readers.next('result');
    if (!late) {
      const attached = readers.next('attached');
      await readers.send(cmd);
      await Promise.race([attached, result]);
      if (lib === 'rxchat') {
        // Until redis-server counts a reader tail (XREAD BLOCK) per run at least, and the count
        // stays put for 3 polls (the store may give each reader its own tail, or share one).
        const deadline = Date.now() + 60_000;
        let last = -1;
        let stable = 0;
        while (Date.now() < deadline && stable < 3) {
          const blocked = await blockedClients(admin);
          stable = blocked >= runs && blocked === last ? stable + 1 : 0;
          last = blocked;
          await sleep(50);
        }
      }
      await sleep(100);
    }
    const start = clock();
    for (let seq = 0; seq < events; seq++) {
      for (let r = 0; r < runs; r++) {
        const line = producer.emit(r, seq);
        if (late && seq < lateSeen) skip += line.length;
      }
      if (late && seq === lateJoin - 1) void readers.send({ ...cmd, skip });
      if (late) await sleep(LATE_INTERVAL_MS);
      else if (INTERVAL_MS > 0) await sleep(INTERVAL_MS);
      else await yieldToIo();
      sample();
    }
    producer.complete();
    const got = (await result) as unknown as ReaderResult;
    await producer.done();
    sample();
    const expectedFrames = runs * readersPerRun * cmd.expected;
    const cuts = bufferCuts(redis) - cutsBefore;
    const cpu = process.cpuUsage(cpuStart);
    const redisCpuMs = redis.cpuMs() - redisCpuStart;
    const wallMs = got.frames === 0 ? NaN : late ? got.lastAt - got.callAt : got.lastAt - start;
    let error =
      got.error ??
      (got.frames !== expectedFrames || got.disorders > 0
        ? `${got.frames} of ${expectedFrames} events, ${got.disorders} gaps or reorders`
        : undefined);
    if (error !== undefined && (cuts > 0 || got.reconnects > 0)) {
      error += `; redis-server closed ${cuts} client(s) for their output buffer limit, the reader process reconnected ${got.reconnects} time(s)`;
    }
    return {
      lib,
      scenario: name,
      runs,
      readersPerRun,
      frames: got.frames,
      expectedFrames,
      disorders: got.disorders,
      wallMs: round1(wallMs),
      eventsPerSec: Math.round(got.frames / (wallMs / 1000)),
      p50Ms: round2(got.p50),
      p99Ms: round2(got.p99),
      maxMs: round2(got.max),
      attachMs: round1(got.attachMs),
      ...(late ? { catchUpMs: round2(got.catchUpAt - got.callAt) } : {}),
      peakRssDeltaMiB: round1((peakRss - before.rss) / 2 ** 20),
      peakHeapDeltaMiB: round1((peakHeap - before.heapUsed) / 2 ** 20),
      cpuMs: {
        producer: Math.round((cpu.user + cpu.system) / 1000),
        readers: Math.round(got.cpuMs),
        redis: Math.round(redisCpuMs),
      },
      readerReconnects: got.reconnects,
      clientsCutByRedis: cuts,
      ...(error === undefined ? {} : { error }),
    };
  } finally {
    clearInterval(sampler);
    await producer.close();
    await admin.flushall();
  }
}

/** The version of an installed package (read from node_modules: not every package exports it). */
function packageVersion(name: string): string {
  const file = path.join(__dirname, '..', 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

const cpuCell = (r: Row) =>
  [r.cpuMs.producer, r.cpuMs.readers, r.cpuMs.redis]
    .map((ms) => (ms / 1000).toFixed(1))
    .join(' / ');

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
const fmt = (n: number) => n.toLocaleString('en-US');

async function producerMain() {
  const rows: Row[] = [];
  const notes: string[] = [];
  const rsVersion = packageVersion('resumable-stream');
  const ioredisVersion = packageVersion('ioredis');
  const loadBefore = os.loadavg();
  const redis: BenchRedis = await startBenchRedis();
  let admin: Redis | undefined;
  let readers: ReaderProcess | undefined;
  try {
    admin = new Redis(redis.url);
    readers = new ReaderProcess();
    for (const lib of LIBS) {
      const shapes: [Row['scenario'], number, number][] = [
        ['fan-out', 1, READERS],
        ['late reader', 1, 1],
        ['many runs', RUNS, 1],
      ];
      for (const [name, runs, perRun] of shapes) {
        let n = name === 'fan-out' ? perRun : runs;
        for (;;) {
          const shape: [number, number] = name === 'fan-out' ? [1, n] : [n, 1];
          // A warm-up of the same shape, small.
          await scenario(
            lib,
            redis,
            admin,
            readers,
            name,
            Math.min(shape[0], 20),
            Math.min(shape[1], 20),
            50,
          );
          const row = await scenario(lib, redis, admin, readers, name, ...shape, EVENTS);
          rows.push(row);
          process.stderr.write(`${JSON.stringify(row)}\n`);
          if (!row.error || name === 'late reader' || n <= 50) break;
          notes.push(`${lib} ${name} failed with ${n}: ${row.error}; retried with ${n >> 1}`);
          n >>= 1;
        }
      }
    }
  } finally {
    await readers?.exit();
    admin?.disconnect();
    await redis.stop();
  }
  const loadAfter = os.loadavg();

  const lines = [
    `${redis.version.split(' ').slice(0, 3).join(' ')} on loopback; rxchat/relay redisStore vs resumable-stream ${rsVersion} (both on ioredis ${ioredisVersion}).`,
    `In-process API on both sides, no HTTP: producer in this process, readers in one forked process. ${EVENTS} events per run (40-character text deltas, ~250-byte chunk JSON).`,
    INTERVAL_MS > 0
      ? `Fan-out and many runs paced: one event per run every ${INTERVAL_MS} ms.`
      : 'Fan-out and many runs unpaced: one event per run per event-loop turn (setImmediate).',
    `Load average (1 min) before ${loadBefore[0]!.toFixed(2)}, after ${loadAfter[0]!.toFixed(2)}, ${os.cpus().length} CPUs.`,
    '',
    '| library | scenario | runs × readers | events delivered | wall ms | events/s | p50 ms | p99 ms | producer peak RSS Δ MiB | producer peak heap Δ MiB | CPU s producer / readers / redis | |',
    '| ------- | -------- | -------------- | ---------------: | ------: | -------: | -----: | -----: | ----------------------: | -----------------------: | -------------------------------- | --- |',
    ...rows
      .filter((r) => r.scenario !== 'late reader')
      .map(
        (r) =>
          `| ${r.lib} | ${r.scenario} | ${r.runs} × ${r.readersPerRun} | ${fmt(r.frames)} | ${r.wallMs} | ${fmt(r.eventsPerSec)} | ${r.p50Ms} | ${r.p99Ms} | ${r.peakRssDeltaMiB} | ${r.peakHeapDeltaMiB} | ${cpuCell(r)} | ${r.error ?? 'ok'} |`,
      ),
    '',
    `Late reader: 1 run, events 1 ms apart; after event ${LATE_JOIN - 1} a reader resumes after event ${LATE_SEEN - 1}:`,
    '',
    '| library | events delivered | catch-up ms | live p50 ms | live p99 ms | producer peak RSS Δ MiB | producer peak heap Δ MiB | |',
    '| ------- | ---------------: | ----------: | ----------: | ----------: | ----------------------: | -----------------------: | --- |',
    ...rows
      .filter((r) => r.scenario === 'late reader')
      .map(
        (r) =>
          `| ${r.lib} | ${r.frames} of ${r.expectedFrames} | ${r.catchUpMs} | ${r.p50Ms} | ${r.p99Ms} | ${r.peakRssDeltaMiB} | ${r.peakHeapDeltaMiB} | ${r.error ?? 'ok'} |`,
      ),
    '',
    ...notes,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const file = await writeResults(
    INTERVAL_MS > 0 ? `relay-peers-paced-${INTERVAL_MS}ms` : 'relay-peers',
    {
      redis: redis.version,
      resumableStream: rsVersion,
      ioredis: ioredisVersion,
      eventsPerRun: EVENTS,
      readers: READERS,
      runs: RUNS,
      intervalMs: INTERVAL_MS,
      loadAverage: { before: loadBefore, after: loadAfter },
      rows,
      notes,
    },
  );
  process.stdout.write(`wrote ${file}\n`);
}

(process.argv[2] === '--readers' ? readersMain() : producerMain()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
