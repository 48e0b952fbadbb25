/*
 * Angular HttpClient transport against fetchTransport() on long answers (issue 14).
 *
 * Angular's HttpClient reports a streaming body only as DownloadProgress events whose
 * `partialText` is the whole response text so far. Its FetchBackend builds it as
 * `partialText = partialText + decoder.decode(chunk)` on every body read (V8 makes that a cons
 * string, cheap), and httpClientTransport() passes on `partialText.slice(delivered)`: the slice
 * flattens the cons string, copying the whole text so far, on every read. This bench measures
 * what that costs as the answer grows.
 *
 * Two contestants, both `createChatClient(...).stream(request).pipe(contentDeltas())` from the
 * built package:
 *   angular   transport: httpClientTransport(http), `http` from provideHttpClient(withFetch())
 *             (Angular's FetchBackend over Node's fetch), rxchat/angular from dist/angular.mjs
 *   fetch     transport: fetchTransport() (Node's fetch)
 *
 * Answers of BENCH_SIZES (default 10 kB, 100 kB, 300 kB, 1 MB) of content text, in OpenAI-shaped
 * SSE chunks of 20 characters of content each (about 14 bytes of SSE per character of answer),
 * then a usage chunk and [DONE]. Scenarios:
 *   burst      a real node:http server on 127.0.0.1 writes the stream in 16 KiB pieces as fast as
 *              it can; the client reads what the socket gives it (reads coalesce, few events)
 *   per-read   no socket: a fetch whose body yields exactly one SSE event per read, as a
 *              browser's fetch does when a live model sends each token in its own packet (the
 *              model's pace compressed to zero); both transports get the same fetch
 *
 * Each contestant x scenario runs in a fresh child process (--expose-gc): three warm-ups on the
 * smallest size, then per size BENCH_ROUNDS timed runs (1 for answers of 1 MB or more), a forced
 * GC before each. Per run: wall time, the client's CPU time (process.cpuUsage, user + system),
 * peak heapUsed above the heap before the run and peak rss (sampled every 64 deltas
 * and at the end), and, for angular, the number of DownloadProgress events and the size of the
 * partialText they carried in total (counted in bytes by a TransformStream around fetch's body,
 * a small per-read cost the angular contestant alone pays). Every run's text is checked.
 *
 * Run with `npx tsx bench/angular-transport.bench.ts` (env: BENCH_SIZES=10000,100000,300000,1000000,
 * BENCH_SCENARIOS=burst,per-read, BENCH_ROUNDS). Prints markdown tables and writes
 * bench/results/angular-transport-<date>.json. Numbers are for comparison on one machine.
 */
import { CHUNK_BASE, machine, median, prng, writeResults } from './shared';
import { buildSync } from 'esbuild';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChatTransport } from '../src/node';
import { contentDeltas, createChatClient, fetchTransport } from './rxchat';

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000,300000,1000000').split(',').map(Number);
const SCENARIOS = ['burst', 'per-read'] as const;
type Scenario = (typeof SCENARIOS)[number];
const SELECTED = SCENARIOS.filter((s) =>
  (process.env.BENCH_SCENARIOS ?? SCENARIOS.join(',')).split(',').includes(s),
);
const CONTESTANTS = ['angular', 'fetch'] as const;
type Contestant = (typeof CONTESTANTS)[number];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONTENT_CHARS = 20;
const PIECE = 16 * 1024;
const MB = 1e6;

// ---------------------------------------------------------------------------------------------
// The stream

const WORDS = [
  'the',
  'model',
  'streams',
  'tokens',
  'one',
  'at',
  'a',
  'time',
  'café',
  'naïve',
  'Zürich',
  'answer',
  'with',
  'text',
  'and',
  'code',
];

interface BenchStream {
  /** Each SSE event, `data: ...\n\n`. */
  events: string[];
  /** The answer every run must reproduce. */
  text: string;
  /** Bytes of SSE. */
  bytes: number;
}

/** An answer of `chars` characters of content in chunks of CONTENT_CHARS, as OpenAI sends it. */
function makeStream(chars: number): BenchStream {
  const random = prng(14);
  let text = '';
  while (text.length < chars) text += `${WORDS[Math.floor(random() * WORDS.length)]} `;
  text = text.slice(0, chars);
  const base = CHUNK_BASE;
  const event = (data: unknown) =>
    `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
  const chunk = (delta: object, finish: string | null) =>
    event({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  const events = [chunk({ role: 'assistant', content: '', refusal: null }, null)];
  for (let i = 0; i < text.length; i += CONTENT_CHARS)
    events.push(chunk({ content: text.slice(i, i + CONTENT_CHARS) }, null));
  const completion = Math.ceil(text.length / 4);
  events.push(
    chunk({}, 'stop'),
    event({
      ...base,
      choices: [],
      usage: { prompt_tokens: 42, completion_tokens: completion, total_tokens: completion + 42 },
    }),
    event('[DONE]'),
  );
  return { events, text, bytes: Buffer.byteLength(events.join('')) };
}

// ---------------------------------------------------------------------------------------------
// Angular's HttpClient in Node: @angular/* and dist/angular.mjs bundled to CommonJS once per
// child (as test/transport/angular-harness.ts does), `rxchat` and `rxjs` left outside and
// required from dist/node.cjs and node_modules, so the bundle shares the bench's rxchat.

interface AngularBundle {
  transport(): ChatTransport;
}

function loadAngular(): AngularBundle {
  const root = path.join(__dirname, '..');
  const entry = `
    import '@angular/compiler';
    import {
      createEnvironmentInjector,
      Injector,
      provideZonelessChangeDetection,
      ɵINJECTOR_SCOPE,
    } from '@angular/core';
    import { HttpClient, provideHttpClient, withFetch } from '@angular/common/http';
    import { httpClientTransport } from ${JSON.stringify(path.join(root, 'dist/angular.mjs'))};
    const injector = createEnvironmentInjector(
      [
        provideZonelessChangeDetection(),
        provideHttpClient(withFetch()),
        { provide: ɵINJECTOR_SCOPE, useValue: 'root' },
      ],
      Injector.NULL,
    );
    const http = injector.get(HttpClient);
    export const transport = () => httpClientTransport(http);
  `;
  const { outputFiles } = buildSync({
    stdin: { contents: entry, resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    external: ['rxjs', 'rxjs/*', 'rxchat'],
  });
  const code = outputFiles[0]!.text.replace(
    /require\("(rxjs(?:\/[^"]*)?|rxchat)"\)/g,
    (_, id: string) =>
      `require(${JSON.stringify(id === 'rxchat' ? path.join(root, 'dist/node.cjs') : require.resolve(id))})`,
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'rxchat-angular-bench-'));
  try {
    const file = path.join(dir, 'angular.cjs');
    writeFileSync(file, code);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as AngularBundle;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The server (parent) and the one-event-per-read fetch (child)

function startServer(): Promise<string> {
  const cache = new Map<number, Buffer[]>();
  const server = createServer((req, res) => {
    // URLs look like /<answer chars>/v1/chat/completions.
    const chars = Number((req.url ?? '').split('/')[1]);
    req.resume();
    req.on('end', () => {
      let pieces = cache.get(chars);
      if (!pieces) {
        const bytes = Buffer.from(makeStream(chars).events.join(''));
        pieces = [];
        for (let i = 0; i < bytes.length; i += PIECE) pieces.push(bytes.subarray(i, i + PIECE));
        cache.set(chars, pieces);
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const piece of pieces) res.write(piece);
      res.end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }),
  );
}

/** Replaces globalThis.fetch (which both Angular's FetchBackend and fetchTransport() call). */
function installPerReadFetch(streams: Map<number, BenchStream>): void {
  const encoder = new TextEncoder();
  globalThis.fetch = async (input: string | URL | Request) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const events = streams.get(Number(new URL(url).pathname.split('/')[1]))!.events;
    let i = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (i < events.length) controller.enqueue(encoder.encode(events[i++]!));
          else controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    });
  };
}

// ---------------------------------------------------------------------------------------------
// Child: one contestant x one scenario, every size

interface Run {
  wallMs: number;
  cpuMs: number;
  peakHeapMB: number;
  peakRssMB: number;
  /** angular only: DownloadProgress events and the characters of partialText they carried. */
  progressEvents?: number;
  partialTextMB?: number;
}

interface SizeReport {
  chars: number;
  sseBytes: number;
  runs: Run[];
}

interface ChildReport {
  contestant: Contestant;
  scenario: Scenario;
  sizes: SizeReport[];
}

/** Counts the DownloadProgress events a transport's HttpClient emits, by wrapping fetch reads. */
let reads = { events: 0, chars: 0 };

function countReads(): void {
  const inner = globalThis.fetch;
  globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
    const response = await inner(...args);
    if (!response.body) return response;
    let seen = 0;
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(piece, controller) {
          // Angular's partialText after this read is the whole text so far.
          seen += piece.length;
          reads.events++;
          reads.chars += seen;
          controller.enqueue(piece);
        },
      }),
    );
    return new Response(counted, { status: response.status, headers: response.headers });
  };
}

async function child(contestant: Contestant, scenario: Scenario, origin: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('children run with --expose-gc');
  const streams = new Map(SIZES.map((chars) => [chars, makeStream(chars)]));
  if (scenario === 'per-read') installPerReadFetch(streams);
  if (contestant === 'angular') countReads();
  const transport = contestant === 'angular' ? loadAngular().transport() : fetchTransport();
  // The base URL's first segment picks the answer size.
  const clients = new Map(
    SIZES.map((chars) => [
      chars,
      createChatClient({ baseURL: `${origin}/${chars}/v1`, apiKey: 'x', transport }),
    ]),
  );

  async function once(chars: number): Promise<Run> {
    const expected = streams.get(chars)!.text;
    gc!();
    gc!();
    reads = { events: 0, chars: 0 };
    let peakHeap = 0;
    let peakRss = 0;
    const sampleMemory = () => {
      const memory = process.memoryUsage();
      peakHeap = Math.max(peakHeap, memory.heapUsed);
      peakRss = Math.max(peakRss, memory.rss);
    };
    sampleMemory();
    const baseHeap = peakHeap;
    let text = '';
    let deltas = 0;
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) =>
      clients
        .get(chars)!
        .stream({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'Stream me a long answer.' }],
        })
        .pipe(contentDeltas())
        .subscribe({
          next: (delta) => {
            text += delta;
            if (++deltas % 64 === 0) sampleMemory();
          },
          error: reject,
          complete: resolve,
        }),
    );
    sampleMemory();
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu);
    if (text !== expected) throw new Error(`${contestant}/${scenario}/${chars}: wrong text`);
    return {
      wallMs,
      cpuMs: (used.user + used.system) / 1000,
      peakHeapMB: (peakHeap - baseHeap) / MB,
      peakRssMB: peakRss / MB,
      ...(contestant === 'angular'
        ? { progressEvents: reads.events, partialTextMB: reads.chars / MB }
        : {}),
    };
  }

  const sizes: SizeReport[] = [];
  for (const chars of SIZES) {
    if (chars === SIZES[0]) for (let w = 0; w < 3; w++) await once(chars); // warm-up
    const runs: Run[] = [];
    for (let r = 0; r < (chars >= 1_000_000 ? 1 : ROUNDS); r++) runs.push(await once(chars));
    sizes.push({ chars, sseBytes: streams.get(chars)!.bytes, runs });
  }
  const report: ChildReport = { contestant, scenario, sizes };
  process.send!(report, () => process.exit(0));
}

function runChild(contestant: Contestant, scenario: Scenario, origin: string) {
  return new Promise<ChildReport>((resolve, reject) => {
    const proc = fork(process.argv[1]!, ['--child', contestant, scenario, origin], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: ChildReport | undefined;
    proc.on('message', (message: ChildReport) => (report = message));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      report && code === 0
        ? resolve(report)
        : reject(new Error(`child ${contestant}/${scenario} exited with ${code}`)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Parent

const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const size = (chars: number) => (chars >= MB ? `${chars / MB} MB` : `${chars / 1000} kB`);

async function parent(): Promise<void> {
  const origin = await startServer();
  const reports: ChildReport[] = [];
  for (const scenario of SELECTED) {
    for (const contestant of CONTESTANTS) {
      process.stderr.write(`bench: ${contestant} / ${scenario}\n`);
      reports.push(await runChild(contestant, scenario, origin));
    }
  }
  for (const scenario of SELECTED) {
    console.log(`\n### ${scenario}\n`);
    console.log(
      '| answer | SSE | transport | wall ms | CPU ms | CPU ms per MB of answer | peak heap MB | peak rss MB | progress events | partialText MB |',
    );
    console.log('| --- | --- | --- | --: | --: | --: | --: | --: | --: | --: |');
    for (const chars of SIZES) {
      for (const report of reports.filter((r) => r.scenario === scenario)) {
        const sized = report.sizes.find((s) => s.chars === chars)!;
        const m = (pick: (run: Run) => number) => median(sized.runs.map(pick));
        const cpu = m((r) => r.cpuMs);
        console.log(
          `| ${size(chars)} | ${fmt(sized.sseBytes / MB, 2)} MB | ${report.contestant} | ${fmt(m((r) => r.wallMs))} | ${fmt(cpu)} | ${fmt(cpu / (chars / MB), 0)} | ${fmt(m((r) => r.peakHeapMB))} | ${fmt(
            m((r) => r.peakRssMB),
            0,
          )} | ${sized.runs[0]!.progressEvents ?? ''} | ${sized.runs[0]!.partialTextMB === undefined ? '' : fmt(sized.runs[0]!.partialTextMB, 0)} |`,
        );
      }
    }
  }
  const file = await writeResults('angular-transport', {
    machine: machine(),
    sizes: SIZES,
    rounds: ROUNDS,
    reports,
  });
  console.log(`\nwrote ${file}`);
}

if (process.argv[2] === '--child') {
  void child(process.argv[3] as Contestant, process.argv[4] as Scenario, process.argv[5]!).catch(
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  void parent().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
