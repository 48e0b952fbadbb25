/*
 * Parse benchmark against peers, on identical bytes (issue 6, part "parse").
 *
 * One long, realistic chat-completion stream (OpenAI chunk shape, non-ASCII content) is cut three
 * ways (1 KiB pieces, 16 KiB pieces, one event per piece; the byte cuts split UTF-8 characters)
 * and fed to:
 *   floor           eventsource-parser v3 + one streaming TextDecoder + JSON.parse per event
 *   rxchat          decodeSse() + parseChunks() (validation on), pieces from an array
 *   rxchat-rs       the same, pieces from a ReadableStream (as the peers get them)
 *   rxchat-acc      decodeSse() + parseChunks() + finalCompletion() (the accumulate path)
 *   openai-node     openai's Stream.fromSSEResponse over a fetch Response (no validation)
 *   ai-sdk          @ai-sdk/provider-utils parseJsonEventStream with the AI SDK's own
 *                   OpenAI-compatible chat chunk schema
 * Every consumer does the same work: count the chunks and concatenate choices[0].delta.content.
 *
 * A correctness gate runs first, in this process: every contestant must produce the expected
 * content text and chunk count for every cut, else the bench exits 1. Then each contestant x cut
 * runs in a fresh child process: warm-up run(s), then timed runs; median and min-max ns per chunk.
 *
 * Run with `npx tsx bench/parse-peers.bench.ts` (env: BENCH_CHUNKS, BENCH_ROUNDS, BENCH_WARMUP).
 * Writes a markdown table to stdout and JSON to bench/results/parse-peers-<date>.json.
 */
import { chatStreamEvents, median, writeResults } from './shared';
import { OpenAICompatibleChatLanguageModel } from '@ai-sdk/openai-compatible';
import { parseJsonEventStream, type FlexibleSchema } from '@ai-sdk/provider-utils';
import { createParser } from 'eventsource-parser';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Stream } from 'openai/streaming';
import { from, type Observable } from 'rxjs';
import { decodeSse, finalCompletion, parseChunks } from './rxchat';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);

// ---------------------------------------------------------------------------------------------
// The stream

interface BenchStream {
  bytes: Uint8Array;
  /** Byte offset where each SSE event (`data: ...\n\n`) ends. */
  eventEnds: number[];
  /** The content text every contestant must reproduce. */
  text: string;
  /** JSON chunks in the stream: CHUNKS content chunks plus the usage chunk. */
  chunks: number;
  sha256: string;
}

function makeStream(chunks: number): BenchStream {
  const { events, text, chunks: total } = chatStreamEvents(chunks);
  const encoder = new TextEncoder();
  const parts = events.map((event) => encoder.encode(event));
  const eventEnds: number[] = [];
  let offset = 0;
  for (const part of parts) eventEnds.push((offset += part.length));
  const bytes = new Uint8Array(offset);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { bytes, eventEnds, text, chunks: total, sha256 };
}

// ---------------------------------------------------------------------------------------------
// The cuts

const CUTS = ['1KiB', '16KiB', 'event'] as const;
type Cut = (typeof CUTS)[number];

function cutStream(stream: BenchStream, cut: Cut): Uint8Array[] {
  const { bytes } = stream;
  const pieces: Uint8Array[] = [];
  if (cut === 'event') {
    let start = 0;
    for (const end of stream.eventEnds) {
      pieces.push(bytes.subarray(start, end));
      start = end;
    }
    return pieces;
  }
  const size = cut === '1KiB' ? 1024 : 16 * 1024;
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  return pieces;
}

/** How many piece boundaries fall inside a multi-byte UTF-8 character. */
function midCharCuts(pieces: Uint8Array[]): number {
  let count = 0;
  for (const piece of pieces.slice(1)) if ((piece[0]! & 0xc0) === 0x80) count++;
  return count;
}

function readableOf(pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < pieces.length) controller.enqueue(pieces[i++]!);
      else controller.close();
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The contestants

interface RunResult {
  chunks: number;
  text: string;
}

type Contestant = (pieces: Uint8Array[], gate: boolean) => Promise<RunResult>;

/** The same consumer work for everyone: the first choice's content, if it is a string. */
function contentOf(chunk: unknown): string {
  const content = (chunk as { choices?: { delta?: { content?: unknown } | null }[] }).choices?.[0]
    ?.delta?.content;
  return typeof content === 'string' ? content : '';
}

function runObservable<T>(source: Observable<T>, next: (value: T) => void): void {
  let failure: unknown;
  let failed = false;
  source.subscribe({
    next,
    error: (error: unknown) => {
      failed = true;
      failure = error;
    },
  });
  if (failed) throw failure;
}

async function drainObservable<T>(source: Observable<T>, next: (value: T) => void): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    source.subscribe({ next, error: reject, complete: resolve }),
  );
}

const aiSdkChunkSchema = (
  new OpenAICompatibleChatLanguageModel('bench', {
    provider: 'bench',
    url: () => 'http://127.0.0.1/v1',
    headers: () => ({}),
  }) as unknown as { chunkSchema: FlexibleSchema<unknown> }
).chunkSchema;
// The schema is a TypeScript-private field of the model; fail loudly if a release renames it.
if (aiSdkChunkSchema == null) throw new Error('AI SDK chunk schema not found on the chat model');

const CONTESTANTS: Record<string, { label: string; run: Contestant }> = {
  floor: {
    label: 'floor: eventsource-parser + TextDecoder + JSON.parse',
    run: async (pieces) => {
      let chunks = 0;
      let text = '';
      const decoder = new TextDecoder();
      const parser = createParser({
        onEvent(event) {
          if (event.data === '[DONE]') return;
          text += contentOf(JSON.parse(event.data));
          chunks++;
        },
      });
      for (const piece of pieces) parser.feed(decoder.decode(piece, { stream: true }));
      parser.feed(decoder.decode());
      return { chunks, text };
    },
  },
  rxchat: {
    label: 'rxchat: decodeSse + parseChunks (validated)',
    run: async (pieces) => {
      let chunks = 0;
      let text = '';
      runObservable(from(pieces).pipe(decodeSse(), parseChunks()), (event) => {
        if (event.type !== 'chunk') return;
        text += contentOf(event.chunk);
        chunks++;
      });
      return { chunks, text };
    },
  },
  'rxchat-rs': {
    label: 'rxchat: same, fed from a ReadableStream',
    run: async (pieces) => {
      let chunks = 0;
      let text = '';
      // rxjs types a DOM ReadableStream's items loosely; the bytes are Uint8Array.
      const body = from(readableOf(pieces)) as Observable<Uint8Array>;
      await drainObservable(body.pipe(decodeSse(), parseChunks()), (event) => {
        if (event.type !== 'chunk') return;
        text += contentOf(event.chunk);
        chunks++;
      });
      return { chunks, text };
    },
  },
  'rxchat-acc': {
    label: 'rxchat: + finalCompletion (accumulate)',
    run: async (pieces, gate) => {
      const events = from(pieces).pipe(decodeSse(), parseChunks());
      let chunks = 0;
      // The gate also counts the chunks that go into the fold; timed runs do only the fold.
      if (gate)
        runObservable(events, (event) => {
          if (event.type === 'chunk') chunks++;
        });
      let text = '';
      runObservable(events.pipe(finalCompletion()), (completion) => {
        text = completion.choices[0]?.message.content ?? '';
      });
      return { chunks, text };
    },
  },
  'openai-node': {
    label: 'openai-node: Stream.fromSSEResponse',
    run: async (pieces) => {
      let chunks = 0;
      let text = '';
      const response = new Response(readableOf(pieces), {
        headers: { 'content-type': 'text/event-stream' },
      });
      for await (const chunk of Stream.fromSSEResponse<unknown>(response, new AbortController())) {
        text += contentOf(chunk);
        chunks++;
      }
      return { chunks, text };
    },
  },
  'ai-sdk': {
    label: 'AI SDK: parseJsonEventStream + chunk schema',
    run: async (pieces) => {
      let chunks = 0;
      let text = '';
      const results = parseJsonEventStream({
        stream: readableOf(pieces),
        schema: aiSdkChunkSchema,
      });
      const reader = results.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!value.success) throw value.error;
        text += contentOf(value.value);
        chunks++;
      }
      return { chunks, text };
    },
  },
};

const NAMES = Object.keys(CONTESTANTS);

// ---------------------------------------------------------------------------------------------
// Child: one contestant x one cut, fresh process

interface ChildReport {
  contestant: string;
  cut: Cut;
  nsPerChunk: number[];
}

async function child(name: string, cut: Cut, sha256: string): Promise<void> {
  const stream = makeStream(CHUNKS);
  if (stream.sha256 !== sha256) throw new Error('child built different bytes than the parent');
  const pieces = cutStream(stream, cut);
  const { run } = CONTESTANTS[name]!;
  const check = (result: RunResult) => {
    if (result.text !== stream.text) throw new Error(`${name}/${cut}: wrong content text`);
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < WARMUP; i++) check(await run(pieces, false));
  const nsPerChunk: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    gc?.();
    const start = process.hrtime.bigint();
    const result = await run(pieces, false);
    const ns = Number(process.hrtime.bigint() - start);
    check(result);
    nsPerChunk.push(ns / stream.chunks);
  }
  const report: ChildReport = { contestant: name, cut, nsPerChunk };
  process.send!(report);
}

function runChild(name: string, cut: Cut, sha256: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const proc = fork(process.argv[1]!, ['--child', name, cut, sha256], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: ChildReport | undefined;
    proc.on('message', (message) => (report = message as ChildReport));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      report && code === 0
        ? resolve(report)
        : reject(new Error(`child ${name}/${cut} exited with ${code}`)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Parent: gate, children, table, JSON

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const ratio = (n: number) => `${n.toFixed(2)}×`;

async function main(): Promise<void> {
  const stream = makeStream(CHUNKS);
  const cuts = CUTS.map((cut) => {
    const pieces = cutStream(stream, cut);
    return { cut, pieces: pieces.length, midCharCuts: midCharCuts(pieces) };
  });
  console.log(
    `stream: ${stream.chunks.toLocaleString('en-US')} JSON chunks, ` +
      `${(stream.bytes.length / 1048576).toFixed(2)} MiB, ${stream.text.length.toLocaleString('en-US')} ` +
      `UTF-16 units of content, sha256 ${stream.sha256.slice(0, 16)}…`,
  );
  for (const c of cuts) {
    console.log(`cut ${c.cut}: ${c.pieces} pieces, ${c.midCharCuts} cut inside a UTF-8 character`);
    if (c.cut !== 'event' && c.midCharCuts === 0)
      throw new Error(`cut ${c.cut} never splits a multi-byte character`);
  }

  // Correctness gate.
  const failures: string[] = [];
  for (const cut of CUTS) {
    const pieces = cutStream(stream, cut);
    for (const name of NAMES) {
      try {
        const result = await CONTESTANTS[name]!.run(pieces, true);
        if (result.chunks !== stream.chunks)
          failures.push(`${name}/${cut}: ${result.chunks} chunks, expected ${stream.chunks}`);
        if (result.text !== stream.text)
          failures.push(`${name}/${cut}: content text differs from the expected text`);
      } catch (error) {
        failures.push(`${name}/${cut}: threw ${String(error)}`);
      }
    }
  }
  if (failures.length > 0) {
    console.error(`\nCORRECTNESS GATE FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log(
    `gate: all ${NAMES.length} contestants x ${CUTS.length} cuts produce the same text and chunk count\n`,
  );

  // Timed runs, one fresh process each, one at a time.
  const results: Record<Cut, Record<string, { median: number; min: number; max: number }>> = {
    '1KiB': {},
    '16KiB': {},
    event: {},
  };
  const raw: ChildReport[] = [];
  for (const cut of CUTS) {
    for (const name of NAMES) {
      const report = await runChild(name, cut, stream.sha256);
      raw.push(report);
      const ns = report.nsPerChunk;
      results[cut][name] = { median: median(ns), min: Math.min(...ns), max: Math.max(...ns) };
      process.stderr.write(`  ${cut} ${name}: ${fmt(results[cut][name].median)} ns/chunk\n`);
    }
  }

  // Tables.
  const lines: string[] = [];
  lines.push(
    `### ns per chunk (median of ${ROUNDS} runs after ${WARMUP} warm-up, lower is better)`,
  );
  lines.push('');
  lines.push('| cut | contestant | median | min–max | vs floor |');
  lines.push('|---|---|--:|--:|--:|');
  for (const cut of CUTS) {
    const floor = results[cut].floor!.median;
    for (const name of NAMES) {
      const r = results[cut][name]!;
      lines.push(
        `| ${cut} | ${CONTESTANTS[name]!.label} | ${fmt(r.median)} | ${fmt(r.min)}–${fmt(r.max)} | ${ratio(r.median / floor)} |`,
      );
    }
  }
  lines.push('');
  lines.push('### rxchat speed-up over peers (peer ns / rxchat ns, higher is better)');
  lines.push('');
  lines.push(`| rxchat path | vs | ${CUTS.join(' | ')} |`);
  lines.push(`|---|---|${CUTS.map(() => '--:').join('|')}|`);
  for (const ours of ['rxchat', 'rxchat-rs', 'rxchat-acc']) {
    for (const peer of ['openai-node', 'ai-sdk']) {
      const cells = CUTS.map((cut) =>
        ratio(results[cut][peer]!.median / results[cut][ours]!.median),
      );
      lines.push(`| ${ours} | ${peer} | ${cells.join(' | ')} |`);
    }
  }
  lines.push('');
  lines.push('### Targets (issue 6), worst cut');
  lines.push('');
  const worst = (f: (cut: Cut) => number, higherIsBetter: boolean) => {
    const values = CUTS.map(f);
    return higherIsBetter ? Math.min(...values) : Math.max(...values);
  };
  const targets = [
    {
      target: 'parse with validation ≤ 1.25× the floor',
      value: worst((cut) => results[cut].rxchat!.median / results[cut].floor!.median, false),
      pass: (v: number) => v <= 1.25,
    },
    {
      target: 'accumulate path ≤ 1.5× the floor',
      value: worst((cut) => results[cut]['rxchat-acc']!.median / results[cut].floor!.median, false),
      pass: (v: number) => v <= 1.5,
    },
    {
      target: '≥ 2.2× faster than openai-node',
      value: worst(
        (cut) => results[cut]['openai-node']!.median / results[cut].rxchat!.median,
        true,
      ),
      pass: (v: number) => v >= 2.2,
    },
    {
      target: '≥ 4× faster than the AI SDK parser',
      value: worst((cut) => results[cut]['ai-sdk']!.median / results[cut].rxchat!.median, true),
      pass: (v: number) => v >= 4,
    },
  ];
  lines.push('| target | measured (worst cut) | met |');
  lines.push('|---|--:|:-:|');
  for (const t of targets)
    lines.push(`| ${t.target} | ${ratio(t.value)} | ${t.pass(t.value) ? 'yes' : 'NO'} |`);
  console.log(lines.join('\n'));

  const file = await writeResults('parse-peers', {
    config: { chunks: stream.chunks, bytes: stream.bytes.length, rounds: ROUNDS, warmup: WARMUP },
    stream: { sha256: stream.sha256, cuts },
    contestants: Object.fromEntries(NAMES.map((n) => [n, CONTESTANTS[n]!.label])),
    results,
    targets: targets.map((t) => ({ target: t.target, value: t.value, met: t.pass(t.value) })),
    raw,
  });
  console.log(`\nJSON: ${file}`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [name, cut, sha256] = process.argv.slice(childAt + 1);
  if (!name || !(name in CONTESTANTS) || !CUTS.includes(cut as Cut) || !sha256)
    throw new Error(`usage: --child <${NAMES.join('|')}> <${CUTS.join('|')}> <sha256>`);
  void child(name, cut as Cut, sha256).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  void main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
