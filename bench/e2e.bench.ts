/*
 * End to end over loopback (issue 6, part "end to end"): a real node:http server on 127.0.0.1
 * serves an OpenAI-shaped SSE stream (non-ASCII content, a usage chunk, then [DONE]) and four
 * clients read it:
 *   raw-undici      undici.request + eventsource-parser + streaming TextDecoder + JSON.parse
 *                   (the floor: no validation, no Observable)
 *   rxchat-undici   createChatClient({ baseURL, transport: undiciTransport() }) from the built package,
 *                   .stream(request).pipe(contentDeltas())
 *   rxchat-fetch    the same with fetchTransport() (Node's built-in fetch)
 *   openai-node     new OpenAI({ baseURL, apiKey }).chat.completions.create({ stream: true }),
 *                   read with for await
 * Every consumer does the same work: append each non-empty choices[0].delta.content to a string.
 *
 * Scenarios:
 *   single      one long stream, the server writes 16 KiB pieces as fast as it can: chunks/s
 *   concurrent  many concurrent streams of a short stream, 16 KiB writes: total chunks/s
 *   ttfc        time to first chunk: the server sends headers + the first chunks at once, the rest
 *               1 ms later; from request start to the first content delta, sequential, keep-alive
 *   paced       one chunk per write every 2 ms: the client's CPU time (user + system) per chunk
 *   close       unsubscribe (or abort) after the first delta of an endless stream → the server
 *               sees the socket 'close'; both ends use process.hrtime (CLOCK_MONOTONIC)
 *
 * The server runs in the parent process. A correctness gate runs first, in the parent: every
 * contestant must read exactly the expected content text, else the bench exits 1. Then each
 * contestant x scenario runs in a fresh child process (forked with --expose-gc), one at a time:
 * warm-up, then timed runs; median and spread. Every run's text is checked.
 *
 * Run with `npx tsx bench/e2e.bench.ts` (env: BENCH_CHUNKS, BENCH_STREAMS, BENCH_SMALL_CHUNKS,
 * BENCH_PASSES, BENCH_ROUNDS, BENCH_WARMUP, BENCH_TTFC, BENCH_CLOSE). Writes markdown tables to stdout and JSON
 * to bench/results/e2e-<date>.json. Numbers are for comparison on one machine, not a test.
 */
import { chatStreamEvents, writeResults } from './shared';
import { createParser } from 'eventsource-parser';
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { request as undiciRequest } from 'undici';
import {
  contentDeltas,
  createChatClient,
  fetchTransport,
  undiciTransport,
  type ChatClient,
} from './rxchat';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 50_000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 200);
const SMALL_CHUNKS = Number(process.env.BENCH_SMALL_CHUNKS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const TTFC_REQUESTS = Number(process.env.BENCH_TTFC ?? 200);
const CLOSE_TRIALS = Number(process.env.BENCH_CLOSE ?? 50);
const PASSES = Number(process.env.BENCH_PASSES ?? 3);
const PACED_ROUNDS = 3;
const PACE_MS = 2;
const PIECE = 16 * 1024;

// ---------------------------------------------------------------------------------------------
// The streams (same shape and tokens as bench/parse-peers.bench.ts)

interface BenchStream {
  /** Each SSE event, `data: ...\n\n`, as bytes. */
  events: Buffer[];
  /** All events in one buffer. */
  bytes: Buffer;
  /** The content text every contestant must reproduce. */
  text: string;
  /** JSON chunks in the stream: the content chunks plus the usage chunk. */
  chunks: number;
  sha256: string;
}

function makeStream(chunks: number): BenchStream {
  const stream = chatStreamEvents(chunks);
  const events = stream.events.map((event) => Buffer.from(event));
  const bytes = Buffer.concat(events);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { events, bytes, text: stream.text, chunks: stream.chunks, sha256 };
}

function pieces(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += PIECE) out.push(bytes.subarray(i, i + PIECE));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The contestants

const REQUEST = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Stream me a long answer.' }],
};

interface Reading {
  /** Settles when the stream ends (or right after cancel()). */
  done: Promise<void>;
  /** Unsubscribe / abort; call only after the first delta. */
  cancel(): void;
}

type Contestant = (baseURL: string, onDelta: (text: string) => void) => Reading;

function rawUndici(baseURL: string, onDelta: (text: string) => void): Reading {
  const controller = new AbortController();
  const done = (async () => {
    const { statusCode, body } = await undiciRequest(`${baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
      body: JSON.stringify({ ...REQUEST, stream: true }),
      signal: controller.signal,
    });
    if (statusCode !== 200) throw new Error(`status ${statusCode}`);
    const decoder = new TextDecoder();
    const parser = createParser({
      onEvent(event) {
        if (event.data === '[DONE]') return;
        const chunk = JSON.parse(event.data) as {
          choices?: { delta?: { content?: unknown } | null }[];
        };
        const content = chunk.choices?.[0]?.delta?.content;
        if (typeof content === 'string' && content) onDelta(content);
      },
    });
    try {
      for await (const piece of body)
        parser.feed(decoder.decode(piece as Buffer, { stream: true }));
      parser.feed(decoder.decode());
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  })();
  return { done, cancel: () => controller.abort() };
}

function cached<T>(make: (baseURL: string) => T): (baseURL: string) => T {
  const clients = new Map<string, T>();
  return (baseURL) => {
    let client = clients.get(baseURL);
    if (!client) clients.set(baseURL, (client = make(baseURL)));
    return client;
  };
}

function rxchat(make: (baseURL: string) => ChatClient): Contestant {
  const clientFor = cached(make);
  return (baseURL, onDelta) => {
    const client = clientFor(baseURL);
    let cancel = () => undefined as void;
    const done = new Promise<void>((resolve, reject) => {
      const subscription = client
        .stream(REQUEST)
        .pipe(contentDeltas())
        .subscribe({ next: onDelta, error: reject, complete: resolve });
      cancel = () => {
        subscription.unsubscribe();
        resolve();
      };
    });
    return { done, cancel: () => cancel() };
  };
}

const openaiFor = cached((baseURL) => new OpenAI({ baseURL, apiKey: 'x' }));

function openaiNode(baseURL: string, onDelta: (text: string) => void): Reading {
  let controller: AbortController | undefined;
  let cancelled = false;
  const done = (async () => {
    const stream = await openaiFor(baseURL).chat.completions.create({ ...REQUEST, stream: true });
    controller = stream.controller;
    try {
      for await (const chunk of stream) {
        const content = chunk.choices[0]?.delta?.content;
        if (content) onDelta(content);
      }
    } catch (error) {
      if (!cancelled) throw error;
    }
  })();
  return {
    done,
    cancel: () => {
      cancelled = true;
      controller!.abort();
    },
  };
}

const CONTESTANTS: Record<string, { label: string; run: Contestant }> = {
  'raw-undici': {
    label: 'raw undici: request + eventsource-parser + TextDecoder + JSON.parse',
    run: rawUndici,
  },
  'rxchat-undici': {
    label: 'rxchat: createChatClient + undiciTransport() (validated)',
    run: rxchat((baseURL) => createChatClient({ baseURL, transport: undiciTransport() })),
  },
  'rxchat-fetch': {
    label: 'rxchat: createChatClient + fetchTransport() (validated)',
    run: rxchat((baseURL) => createChatClient({ baseURL, transport: fetchTransport() })),
  },
  'openai-node': {
    label: 'openai-node 6.30.1: chat.completions.create({ stream: true })',
    run: openaiNode,
  },
};
const NAMES = Object.keys(CONTESTANTS);

/** Reads one whole stream and returns its content text. */
async function readText(name: string, baseURL: string): Promise<string> {
  let text = '';
  await CONTESTANTS[name]!.run(baseURL, (delta) => (text += delta)).done;
  return text;
}

// ---------------------------------------------------------------------------------------------
// The server (parent process)

const SCENARIOS = ['single', 'concurrent', 'ttfc', 'paced', 'close'] as const;
type Scenario = (typeof SCENARIOS)[number];
/** BENCH_SCENARIOS=single,concurrent runs only those (for quick reruns while profiling). */
const SELECTED = SCENARIOS.filter((s) =>
  (process.env.BENCH_SCENARIOS ?? SCENARIOS.join(',')).split(',').includes(s),
);

function startServer(
  big: BenchStream,
  small: BenchStream,
  onClose: (id: string, at: bigint) => void,
): Promise<string> {
  const bigPieces = pieces(big.bytes);
  const smallPieces = pieces(small.bytes);
  // The role chunk and the first content chunk, then the rest.
  const head = Buffer.concat(small.events.slice(0, 2));
  const tail = Buffer.concat(small.events.slice(2));
  const server = createServer((req, res) => {
    // URLs look like /<kind>/<id>/v1/chat/completions.
    const [, kind = '', id = ''] = (req.url ?? '').split('/');
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      switch (kind) {
        case 'big':
        case 'small':
          for (const piece of kind === 'big' ? bigPieces : smallPieces) res.write(piece);
          res.end();
          return;
        case 'ttfc':
          res.write(head);
          setTimeout(() => res.end(tail), 1);
          return;
        case 'paced': {
          let i = 0;
          const timer = setInterval(() => {
            res.write(small.events[i++]);
            if (i === small.events.length) {
              clearInterval(timer);
              res.end();
            }
          }, PACE_MS);
          res.on('close', () => clearInterval(timer));
          return;
        }
        case 'endless':
          req.socket.once('close', () => onClose(id, process.hrtime.bigint()));
          res.write(head);
          return; // never ends: the client cancels
        default:
          res.statusCode = 404;
          res.end();
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Child: one contestant x one scenario, fresh process

type ChildMessage =
  { type: 'report'; report: ChildReport } | { type: 'unsubscribed'; id: string; at: string };
type ParentMessage = { type: 'closed'; id: string };

interface ChildReport {
  contestant: string;
  scenario: Scenario;
  /** chunks/s (single, concurrent), ms (ttfc), CPU µs per chunk (paced), or empty (close). */
  samples: number[];
  /** paced only: wall time per run, ms. */
  wallMs?: number[];
  /** single and concurrent: the client process's CPU time (user + system) per chunk, ns. */
  cpuNsPerChunk?: number[];
}

const send = (message: ChildMessage) => process.send!(message);

async function child(name: string, scenario: Scenario, origin: string): Promise<void> {
  const big = makeStream(CHUNKS);
  const small = makeStream(SMALL_CHUNKS);
  const { run } = CONTESTANTS[name]!;
  const gc = (globalThis as { gc?: () => void }).gc;
  const url = (kind: string, id = '0') => `${origin}/${kind}/${id}/v1`;
  const check = (text: string, expected: BenchStream) => {
    if (text !== expected.text) throw new Error(`${name}/${scenario}: wrong content text`);
  };
  const samples: number[] = [];
  const wallMs: number[] = [];
  const cpuNsPerChunk: number[] = [];

  if (scenario === 'single' || scenario === 'concurrent') {
    const streams = scenario === 'single' ? 1 : STREAMS;
    const expected = scenario === 'single' ? big : small;
    const kind = scenario === 'single' ? 'big' : 'small';
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      gc?.();
      const start = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      const texts = await Promise.all(
        Array.from({ length: streams }, () => readText(name, url(kind))),
      );
      const used = process.cpuUsage(cpu);
      const ns = Number(process.hrtime.bigint() - start);
      for (const text of texts) check(text, expected);
      if (round >= WARMUP) {
        samples.push((streams * expected.chunks * 1e9) / ns);
        // The client's own CPU (all its threads: GC helpers too) per chunk, in ns.
        cpuNsPerChunk.push(((used.user + used.system) * 1e3) / (streams * expected.chunks));
      }
    }
  } else if (scenario === 'ttfc') {
    const warmup = Math.ceil(TTFC_REQUESTS / 10);
    for (let i = 0; i < warmup + TTFC_REQUESTS; i++) {
      let first = 0n;
      let text = '';
      const start = process.hrtime.bigint();
      await run(url('ttfc'), (delta) => {
        if (first === 0n) first = process.hrtime.bigint();
        text += delta;
      }).done;
      check(text, small);
      if (i >= warmup) samples.push(Number(first - start) / 1e6);
    }
  } else if (scenario === 'paced') {
    for (let round = 0; round < 1 + PACED_ROUNDS; round++) {
      gc?.();
      let text = '';
      const start = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      await run(url('paced'), (delta) => (text += delta)).done;
      const used = process.cpuUsage(cpu);
      const ns = Number(process.hrtime.bigint() - start);
      check(text, small);
      if (round >= 1) {
        samples.push((used.user + used.system) / small.chunks);
        wallMs.push(ns / 1e6);
      }
    }
  } else {
    const warmup = Math.ceil(CLOSE_TRIALS / 10);
    const closed = new Map<string, () => void>();
    process.on('message', (message: ParentMessage) => closed.get(message.id)?.());
    for (let i = 0; i < warmup + CLOSE_TRIALS; i++) {
      const id = `${name}-${i < warmup ? 'warm' : 'trial'}-${i}`;
      const seen = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${id}: no socket close in 2 s`)), 2000);
        closed.set(id, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        let reading: Reading | undefined = undefined;
        let cancelled = false;
        reading = run(url('endless', id), () => {
          if (cancelled) return;
          cancelled = true;
          queueMicrotask(() => {
            send({ type: 'unsubscribed', id, at: process.hrtime.bigint().toString() });
            reading!.cancel();
            resolve();
          });
        });
        reading.done.catch(reject);
      });
      await seen;
    }
  }
  const report: ChildReport = { contestant: name, scenario, samples };
  if (wallMs.length > 0) report.wallMs = wallMs;
  if (cpuNsPerChunk.length > 0) report.cpuNsPerChunk = cpuNsPerChunk;
  // Exit once the report is out: keep-alive sockets must not keep the child alive.
  process.send!({ type: 'report', report } satisfies ChildMessage, () => process.exit(0));
}

function runChild(
  name: string,
  scenario: Scenario,
  origin: string,
  onSpawn: (proc: ChildProcess) => void,
  onMessage: (message: ChildMessage) => void,
): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const proc = fork(process.argv[1]!, ['--child', name, scenario, origin], {
      // BENCH_PROFILE=<dir> writes a CPU profile of every child there (node --cpu-prof).
      execArgv: [
        ...process.execArgv,
        '--expose-gc',
        // BENCH_NODE_FLAGS: extra V8/Node flags for the children (e.g. --single-threaded-gc).
        ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
        ...(process.env.BENCH_PROFILE
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
          : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    onSpawn(proc);
    let report: ChildReport | undefined;
    proc.on('message', (message: ChildMessage) => {
      if (message.type === 'report') report = message.report;
      else onMessage(message);
    });
    proc.on('error', reject);
    proc.on('exit', (code) =>
      report && code === 0
        ? resolve(report)
        : reject(new Error(`child ${name}/${scenario} exited with ${code}`)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Parent: server, gate, children, tables, JSON

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo]! + (sorted[Math.ceil(at)]! - sorted[lo]!) * (at - lo);
};
const median = (values: number[]) => quantile(values, 0.5);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => n.toFixed(3);
const ratio = (n: number) => `${n.toFixed(2)}×`;

interface Summary {
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
  n: number;
}
const summarize = (values: number[]): Summary => ({
  median: median(values),
  p10: quantile(values, 0.1),
  p90: quantile(values, 0.9),
  min: Math.min(...values),
  max: Math.max(...values),
  n: values.length,
});

async function main(): Promise<void> {
  const big = makeStream(CHUNKS);
  const small = makeStream(SMALL_CHUNKS);
  let midChar = 0;
  for (const piece of pieces(big.bytes).slice(1)) if ((piece[0]! & 0xc0) === 0x80) midChar++;
  console.log(
    `single stream: ${int(big.chunks)} JSON chunks, ${(big.bytes.length / 1048576).toFixed(2)} MiB ` +
      `in ${pieces(big.bytes).length} writes of 16 KiB (${midChar} cut inside a UTF-8 character), ` +
      `sha256 ${big.sha256.slice(0, 16)}…`,
  );
  console.log(
    `short stream: ${int(small.chunks)} JSON chunks, ${int(small.bytes.length)} bytes, ` +
      `sha256 ${small.sha256.slice(0, 16)}…`,
  );

  const closes = new Map<string, bigint>();
  let active: ChildProcess | undefined;
  const origin = await startServer(big, small, (id, at) => {
    closes.set(id, at);
    if (active?.connected) active.send({ type: 'closed', id } satisfies ParentMessage);
  });

  // Correctness gate, in this process.
  const failures: string[] = [];
  for (const name of NAMES) {
    for (const [kind, expected] of [
      ['big', big],
      ['small', small],
      ['ttfc', small],
      ['paced', small],
    ] as const) {
      try {
        const text = await readText(name, `${origin}/${kind}/gate/v1`);
        if (text !== expected.text) failures.push(`${name}/${kind}: content text differs`);
      } catch (error) {
        failures.push(`${name}/${kind}: threw ${String(error)}`);
      }
    }
  }
  if (failures.length > 0) {
    console.error(`\nCORRECTNESS GATE FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log(
    `gate: all ${NAMES.length} contestants read the same content text ` +
      `(${int(big.text.length)} + ${int(small.text.length)} UTF-16 units) from every stream kind\n`,
  );

  // Timed runs, one fresh process each, one at a time. Throughput scenarios run in PASSES
  // alternating passes (raw, rxchat, ..., raw, rxchat, ...): this shared VM drifts by 20-30%
  // within minutes, and contestants measured minutes apart would carry that drift into their
  // ratio. Each contestant's samples from every pass are pooled.
  const results = {} as Record<Scenario, Record<string, Summary>>;
  const raw: ChildReport[] = [];
  const cpuMedians: Record<string, number> = {};
  for (const scenario of SELECTED) {
    results[scenario] = {};
    const passes = scenario === 'single' || scenario === 'concurrent' ? PASSES : 1;
    const pooled = new Map<string, { samples: number[]; cpu: number[] }>(
      NAMES.map((name) => [name, { samples: [], cpu: [] }]),
    );
    for (let pass = 0; pass < passes; pass++) {
      for (const name of NAMES) {
        const unsubscribed = new Map<string, bigint>();
        const report = await runChild(
          name,
          scenario,
          origin,
          (proc) => (active = proc),
          (message) => {
            if (message.type === 'unsubscribed') unsubscribed.set(message.id, BigInt(message.at));
          },
        ).finally(() => (active = undefined));
        if (scenario === 'close') {
          for (const [id, at] of unsubscribed)
            if (id.includes('-trial-')) report.samples.push(Number(closes.get(id)! - at) / 1e6);
        }
        raw.push(report);
        pooled.get(name)!.samples.push(...report.samples);
        pooled.get(name)!.cpu.push(...(report.cpuNsPerChunk ?? []));
        process.stderr.write(
          `  ${scenario} ${name}${passes > 1 ? ` (pass ${pass + 1}/${passes})` : ''}: ` +
            `median ${summarize(report.samples).median.toFixed(0)}\n`,
        );
      }
    }
    for (const name of NAMES) {
      const { samples, cpu } = pooled.get(name)!;
      results[scenario][name] = summarize(samples);
      if (cpu.length > 0) cpuMedians[`${scenario}/${name}`] = summarize(cpu).median;
    }
  }

  // Tables.
  const lines: string[] = [];
  const table = (
    title: string,
    scenario: Scenario,
    unit: string,
    cell: (n: number) => string,
    versus: (r: Summary, floor: Summary) => string,
    versusTitle: string,
  ) => {
    if (!results[scenario]) return;
    lines.push(`### ${title}`, '');
    lines.push(`| contestant | median ${unit} | p10–p90 | min–max | ${versusTitle} |`);
    lines.push('|---|--:|--:|--:|--:|');
    const floor = results[scenario]['raw-undici']!;
    for (const name of NAMES) {
      const r = results[scenario][name]!;
      lines.push(
        `| ${CONTESTANTS[name]!.label} | ${cell(r.median)} | ${cell(r.p10)}–${cell(r.p90)} | ` +
          `${cell(r.min)}–${cell(r.max)} | ${versus(r, floor)} |`,
      );
    }
    lines.push('');
  };
  const rateRatio = (r: Summary, floor: Summary) => ratio(r.median / floor.median);
  const delta = (r: Summary, floor: Summary) =>
    `${r.median - floor.median >= 0 ? '+' : ''}${ms(r.median - floor.median)} ms`;
  table(
    `1. One stream, ${int(big.chunks)} chunks, 16 KiB writes (chunks/s, median of ${PASSES} alternating passes × ${ROUNDS} runs after ${WARMUP} warm-up, higher is better)`,
    'single',
    'chunks/s',
    int,
    rateRatio,
    'vs raw undici',
  );
  table(
    `2. ${STREAMS} concurrent streams of ${int(small.chunks)} chunks (total chunks/s, median of ${PASSES} alternating passes × ${ROUNDS} runs after ${WARMUP} warm-up, higher is better)`,
    'concurrent',
    'chunks/s',
    int,
    rateRatio,
    'vs raw undici',
  );
  for (const scenario of ['single', 'concurrent'] as const) {
    if (!results[scenario]) continue;
    const floor = cpuMedians[`${scenario}/raw-undici`]!;
    lines.push(
      `Client CPU per chunk in scenario ${scenario} (user + system of the client process, all its ` +
        'threads, median): ' +
        NAMES.map((name) => {
          const cpu = cpuMedians[`${scenario}/${name}`]!;
          return `${CONTESTANTS[name]!.label} ${cpu.toFixed(0)} ns (${ratio(cpu / floor)})`;
        }).join(', '),
      '',
    );
  }
  table(
    `3. Time to first content delta (ms, ${TTFC_REQUESTS} sequential keep-alive requests, lower is better)`,
    'ttfc',
    'ms',
    ms,
    delta,
    'Δ vs raw undici',
  );
  table(
    `4. Paced stream, one chunk per write every ${PACE_MS} ms (client CPU µs per chunk, user + system, median of ${PACED_ROUNDS} runs, lower is better)`,
    'paced',
    'µs/chunk',
    (n) => n.toFixed(1),
    rateRatio,
    'vs raw undici',
  );
  table(
    `5. Unsubscribe / abort → server sees the socket close (ms, ${CLOSE_TRIALS} trials, lower is better)`,
    'close',
    'ms',
    ms,
    delta,
    'Δ vs raw undici',
  );

  const r = results;
  const targets = [
    {
      scenario: 'single',
      target: 'single stream: rxchat (undici) ≥ 0.9× raw undici chunks/s',
      value: () => r.single['rxchat-undici']!.median / r.single['raw-undici']!.median,
      shown: ratio,
      pass: (v: number) => v >= 0.9,
    },
    {
      scenario: 'concurrent',
      target: `${STREAMS} concurrent: rxchat (undici) ≥ 0.9× raw undici chunks/s`,
      value: () => r.concurrent['rxchat-undici']!.median / r.concurrent['raw-undici']!.median,
      shown: ratio,
      pass: (v: number) => v >= 0.9,
    },
    {
      scenario: 'ttfc',
      target: 'time to first chunk: rxchat (undici) within 0.2 ms of raw undici (median)',
      value: () => r.ttfc['rxchat-undici']!.median - r.ttfc['raw-undici']!.median,
      shown: (v: number) => `${v >= 0 ? '+' : ''}${ms(v)} ms`,
      pass: (v: number) => v <= 0.2,
    },
    {
      scenario: 'close',
      target: 'socket closed within 1 ms of unsubscribe, rxchat undici (median)',
      value: () => r.close['rxchat-undici']!.median,
      shown: (v: number) => `${ms(v)} ms`,
      pass: (v: number) => v <= 1,
    },
    {
      scenario: 'close',
      target: 'socket closed within 1 ms of unsubscribe, rxchat fetch (median)',
      value: () => r.close['rxchat-fetch']!.median,
      shown: (v: number) => `${ms(v)} ms`,
      pass: (v: number) => v <= 1,
    },
  ]
    .filter((t) => results[t.scenario as Scenario])
    .map((t) => ({ ...t, value: t.value() }));
  lines.push('### Targets (issue 6)', '');
  lines.push('| target | measured | met |');
  lines.push('|---|--:|:-:|');
  for (const t of targets)
    lines.push(`| ${t.target} | ${t.shown(t.value)} | ${t.pass(t.value) ? 'yes' : 'NO'} |`);
  console.log(lines.join('\n'));

  // A partial rerun (BENCH_SCENARIOS) must not overwrite the full run's results.
  const partial = SELECTED.length < SCENARIOS.length;
  const file = await writeResults(partial ? `e2e-${SELECTED.join('-')}` : 'e2e', {
    config: {
      single: {
        chunks: big.chunks,
        bytes: big.bytes.length,
        sha256: big.sha256,
        writeBytes: PIECE,
      },
      short: { chunks: small.chunks, bytes: small.bytes.length, sha256: small.sha256 },
      concurrentStreams: STREAMS,
      rounds: ROUNDS,
      warmup: WARMUP,
      ttfcRequests: TTFC_REQUESTS,
      pacedRounds: PACED_ROUNDS,
      paceMs: PACE_MS,
      closeTrials: CLOSE_TRIALS,
    },
    units: {
      single: 'chunks/s',
      concurrent: 'chunks/s (total)',
      ttfc: 'ms',
      paced: 'CPU µs per chunk',
      close: 'ms',
    },
    contestants: Object.fromEntries(NAMES.map((n) => [n, CONTESTANTS[n]!.label])),
    results,
    targets: targets.map((t) => ({ target: t.target, value: t.value, met: t.pass(t.value) })),
    raw,
  });
  console.log(`\nJSON: ${file}`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [name, scenario, origin] = process.argv.slice(childAt + 1);
  if (!name || !(name in CONTESTANTS) || !SCENARIOS.includes(scenario as Scenario) || !origin)
    throw new Error(`usage: --child <${NAMES.join('|')}> <${SCENARIOS.join('|')}> <origin>`);
  void child(name, scenario as Scenario, origin).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  void main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
