import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Redis from 'ioredis';
import type { ChatStreamEvent } from '../../src/chunks/types';
import { startMockServer, type MockServer } from '../../src/mock-server';
import { relayStream, RxChatError, undiciTransport } from '../../src/node';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { delay, settlesWithin } from '../helpers/loopback';
import { describeWithRedis, startRedis, type RedisServer } from '../helpers/redis';
import { openSse, send, type Frame, type SseReader } from './sse-client';

// Two relays in two OS processes (test/relay/fixtures/relay-process.ts) on one redis-server,
// over real sockets: the producer killed mid-stream (the other process's readers end as
// `truncated` once its lease runs out), a stop sent to the process that does not produce, and
// the run of a producer killed while nobody read it (its keys still expire).

expectNothingLeftOpen();

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(__dirname, 'fixtures', 'relay-process.ts');
/** The producer's lease where the test is about it (a producer that dies). */
const LEASE_MS = 300;
/**
 * The lease elsewhere: long enough that a producer starved of CPU on a loaded machine for a few
 * hundred milliseconds is not taken for dead (its run would end `truncated`).
 */
const CALM_LEASE_MS = 5_000;
/** A prompt whose answer is about 36 tokens: at 10 tokens per second, a run of about 4 s. */
const PROMPT = 'Tell me a long story about relays and offsets';

type Message = Record<string, unknown>;

/** A relay process: its port, what it said, and how to talk to it. */
interface RelayProcess {
  child: ChildProcess;
  url: string;
  messages: Message[];
  /** Resolves with the first message (said already or later) that `match` accepts. */
  said(match: (message: Message) => boolean, timeoutMs?: number): Promise<Message>;
  send(command: Message): void;
  exited: Promise<void>;
}

const children: RelayProcess[] = [];
/** Closes the readers a test left open (when it failed half-way). */
const readers: (() => void)[] = [];

function spawnRelay(
  redisUrl: string,
  prefix: string,
  mockUrl: string,
  leaseMs: number,
  retentionMs = 600_000,
): Promise<RelayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: {
      ...process.env,
      RELAY_REDIS_URL: redisUrl,
      RELAY_PREFIX: prefix,
      RELAY_LEASE_MS: String(leaseMs),
      RELAY_RETENTION_MS: String(retentionMs),
      RELAY_MOCK_URL: mockUrl,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const messages: Message[] = [];
  const listeners = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    messages.push(JSON.parse(line) as Message);
    for (const listener of [...listeners]) listener();
  });
  const said = (match: (message: Message) => boolean, timeoutMs = 20_000) =>
    new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`relay process said nothing that matches; stderr: ${stderr}`));
      }, timeoutMs);
      const check = () => {
        const found = messages.find(match);
        if (!found) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve(found);
      };
      listeners.add(check);
      check();
      void exited.then(() => {
        if (!listeners.has(check)) return;
        clearTimeout(timer);
        listeners.delete(check);
        reject(
          new Error(`relay process exited (${child.signalCode ?? child.exitCode}): ${stderr}`),
        );
      });
    });
  const process_: RelayProcess = {
    child,
    url: '',
    messages,
    said,
    send: (command) => child.stdin!.write(`${JSON.stringify(command)}\n`),
    exited,
  };
  children.push(process_);
  return said((message) => message.ready === true).then((ready) => {
    process_.url = `http://127.0.0.1:${ready.port as number}`;
    return process_;
  });
}

async function killAll(): Promise<void> {
  for (const close of readers.splice(0)) close();
  await Promise.all(
    children.splice(0).map(async ({ child, exited }) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }),
  );
}

/** A relayStream() reader: the events it emitted, and how it ended. */
function follow(url: string) {
  const events: ChatStreamEvent[] = [];
  const ended = new Promise<unknown>((resolve) => {
    const subscription = relayStream(url, { transport: undiciTransport() }).subscribe({
      next: (event) => events.push(event),
      error: resolve,
      complete: () => resolve('completed'),
    });
    readers.push(() => subscription.unsubscribe());
  });
  return { events, ended };
}

/** An SSE reader over node:http, closed after the test. */
async function read(url: string): Promise<SseReader> {
  const reader = await openSse(url);
  readers.push(() => reader.close());
  return reader;
}

const entryFrames = (reader: SseReader) => reader.frames.filter((f) => f.data !== undefined);

/** The frames of a whole log: events 0..n-1 with their ids, then the end with id n. */
function expectWholeLog(frames: Frame[], end: string): ChatStreamEvent[] {
  const events = frames.slice(0, -1);
  expect(events.map((f) => f.id)).toEqual(events.map((_, i) => String(i)));
  expect(events.every((f) => f.event === undefined)).toBe(true);
  expect(frames.at(-1)).toEqual({ event: 'end', id: String(events.length), data: end });
  return events.map((f) => JSON.parse(f.data!) as ChatStreamEvent);
}

const expectFailedWith = (error: unknown, code: string) => {
  expect(RxChatError.isInstance(error)).toBe(true);
  expect(error).toMatchObject({ code });
};

describeWithRedis('two relay processes on one Redis', () => {
  let redis: RedisServer;
  let mock: MockServer;
  let prefixes = 0;

  beforeAll(async () => {
    [redis, mock] = await Promise.all([
      startRedis(),
      startMockServer({ pace: { tokensPerSecond: 10 } }),
    ]);
  });
  afterEach(killAll);
  afterAll(async () => {
    await killAll();
    await mock?.close();
    await redis?.stop();
  });

  /** A producer A and a reader-only B, on one Redis prefix of their own. */
  const twoProcesses = (leaseMs: number) => {
    const prefix = `rxchat:processes:${++prefixes}:`;
    return Promise.all([
      spawnRelay(redis.url, prefix, mock.url, leaseMs),
      spawnRelay(redis.url, prefix, mock.url, leaseMs),
    ]);
  };

  /** Starts `runId` on `a`; resolves with its upstream request, as the mock server saw it. */
  const startOn = async (a: RelayProcess, runId: string) => {
    const requestsBefore = mock.requests.length;
    const connectionsBefore = mock.connections.length;
    a.send({ cmd: 'start', runId, prompt: PROMPT });
    await a.said((message) => message.started === runId);
    while (mock.requests.length === requestsBefore) await new Promise((r) => setTimeout(r, 5));
    return {
      request: mock.requests[requestsBefore]!,
      requests: () => mock.requests.slice(requestsBefore),
      connections: () => mock.connections.slice(connectionsBefore),
    };
  };

  it('the producer killed mid-stream: the other process’s readers end truncated within the lease', async () => {
    const [a, b] = await twoProcesses(LEASE_MS);
    const upstream = await startOn(a, 'killed');
    const events = `${b.url}/runs/killed/events`;
    const raw = await read(events);
    const reader = follow(events);
    // (A producer starved of CPU for most of a lease would be taken for dead before the kill.)
    const endedEarly = raw.ended.then(() => {
      throw new Error(`The run ended before the kill: ${JSON.stringify(raw.frames.at(-1))}`);
    });
    await Promise.race([raw.entries(5), endedEarly]);
    endedEarly.catch(() => undefined);
    while (reader.events.length < 5) await new Promise((r) => setTimeout(r, 5));
    // What B's readers had before the kill: it must all be kept, in order.
    const beforeKill = entryFrames(raw).slice();

    a.child.kill('SIGKILL');
    const killed = Date.now();
    await a.exited;
    expect(a.child.signalCode).toBe('SIGKILL');
    expect(await settlesWithin(raw.ended, LEASE_MS + 2_000)).toBe(true);
    const elapsed = Date.now() - killed;
    // The lease runs out at most LEASE_MS after the kill, and a blocked reader looks every
    // LEASE_MS / 2 (375 ms in all here, unloaded): the rest is a margin for a loaded machine.
    expect(elapsed).toBeLessThan(LEASE_MS + 1_500);

    // No answer of ~38 events completed in that time: the run was cut, and said so.
    const frames = entryFrames(raw);
    const kept = expectWholeLog(frames, '{"status":"truncated"}');
    expect(frames.slice(0, beforeKill.length)).toEqual(beforeKill);
    expect(kept.length).toBeGreaterThanOrEqual(5);
    expect(kept.at(-1)?.type).not.toBe('usage');

    // relayStream() fails with `truncated` after the same events.
    expectFailedWith(await reader.ended, 'truncated');
    expect(reader.events).toEqual(kept);

    // A reader that comes later gets the same kept log and the same end.
    const late = await read(events);
    await late.ended;
    expect(late.status).toBe(200);
    expect(entryFrames(late)).toEqual(frames);

    // The OS closed A's upstream connection: the mock server saw the client go away.
    expect(await settlesWithin(upstream.request.closed, 2_000)).toBe(true);
    expect(await upstream.request.closed).toEqual({ byClient: true });
    for (const connection of upstream.connections()) {
      expect(await settlesWithin(connection.closed, 2_000)).toBe(true);
    }
  }, 30_000);

  it('a stop sent to the process that does not produce stops the producer’s upstream', async () => {
    const [a, b] = await twoProcesses(CALM_LEASE_MS);
    const upstream = await startOn(a, 'stopped');
    const path = '/runs/stopped/events';
    const rawA = await read(`${a.url}${path}`);
    const rawB = await read(`${b.url}${path}`);
    const readerA = follow(`${a.url}${path}`);
    const readerB = follow(`${b.url}${path}`);
    await Promise.all([rawA.entries(3), rawB.entries(3)]);
    while (readerA.events.length < 3 || readerB.events.length < 3) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await settlesWithin(upstream.request.closed, 0)).toBe(false);

    const stop = await send(`${b.url}/runs/stopped/stop`, 'POST');
    expect(stop).toMatchObject({ status: 200, json: { stopped: true } });

    // A stops its upstream at its next event (one every ~100 ms): the socket to the mock closes.
    expect(await settlesWithin(upstream.request.closed, 2_000)).toBe(true);
    expect(await upstream.request.closed).toEqual({ byClient: true });
    const connections = upstream.connections();
    expect(connections.length).toBeGreaterThanOrEqual(1);
    for (const connection of connections) {
      expect(await settlesWithin(connection.closed, 2_000)).toBe(true);
    }
    // A's run ended as the store recorded it: stopped.
    expect(await a.said((message) => message.done === 'stopped')).toEqual({
      done: 'stopped',
      end: { status: 'stopped' },
    });

    // Every reader, on A and on B, ends with `stopped` after the same gap-free log.
    await Promise.all([rawA.ended, rawB.ended]);
    const frames = entryFrames(rawA);
    expect(entryFrames(rawB)).toEqual(frames);
    const kept = expectWholeLog(frames, '{"status":"stopped"}');
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(kept.at(-1)?.type).not.toBe('usage');
    for (const reader of [readerA, readerB]) {
      const error = await reader.ended;
      expectFailedWith(error, 'aborted');
      expect(error).toMatchObject({ message: 'The run was stopped' });
      expect(reader.events).toEqual(kept);
    }

    // A late reader, on either process, gets the whole kept log, then the end.
    for (const url of [a.url, b.url]) {
      const late = await read(`${url}${path}`);
      await late.ended;
      expect(entryFrames(late)).toEqual(frames);
    }
    const lateStream = follow(`${b.url}${path}`);
    expectFailedWith(await lateStream.ended, 'aborted');
    expect(lateStream.events).toEqual(kept);

    // The run had ended already: a second stop, from either side, stops nothing.
    expect(await send(`${a.url}/runs/stopped/stop`, 'POST')).toMatchObject({
      status: 200,
      json: { stopped: false },
    });
    // One upstream request for every reader of both processes.
    expect(upstream.requests()).toHaveLength(1);
  }, 30_000);
  it('a killed producer’s run that nobody reads still expires: nothing is left in Redis', async () => {
    const prefix = `rxchat:processes:${++prefixes}:`;
    const retentionMs = 500;
    const a = await spawnRelay(redis.url, prefix, mock.url, LEASE_MS, retentionMs);
    const upstream = await startOn(a, 'unread');
    const [state, log] = ['state', 'log'].map((key) => `${prefix}{unread}:${key}`) as [
      string,
      string,
    ];
    const client = new Redis(redis.url);
    try {
      while (Number(await client.xlen(log)) < 3) await delay(10);
      // Running, its keys expire unless the producer keeps refreshing them with its lease.
      expect(await client.pttl(state)).toBeGreaterThan(0);
      expect(await client.pttl(log)).toBeGreaterThan(0);
      a.child.kill('SIGKILL');
      const killed = Date.now();
      await a.exited;
      expect(await settlesWithin(upstream.request.closed, 2_000)).toBe(true);
      // No reader comes to end it as truncated: its keys go once the lease and the retention
      // have passed (two leases, so that a reader still waiting would have ended it first).
      while ((await client.exists(state, log)) > 0 && Date.now() - killed < 5_000) await delay(25);
      expect(await client.exists(state, log)).toBe(0);
      expect(Date.now() - killed).toBeLessThan(2 * LEASE_MS + retentionMs + 2_000);
      expect(await client.keys(`${prefix}*`)).toEqual([]);
    } finally {
      client.disconnect();
    }
  }, 30_000);
});
