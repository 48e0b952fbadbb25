/*
 * Memory benchmark: does a long stream keep a flat heap?
 *
 * A synthetic stream of BENCH_CHUNKS (default 1,000,000) chat-completion chunks (OpenAI chunk
 * shape, non-ASCII content, as in parse-peers.bench.ts) is generated lazily: a generator copies
 * pre-encoded SSE events into 16 KiB byte pieces and hands them, one at a time and synchronously,
 * to an Observable made with `new Observable`. The whole stream never exists in memory.
 *
 * Three pipelines, each in a fresh child process (`--expose-gc`):
 *   parse     decodeSse() + parseChunks()                       (heap must stay flat)
 *   deltas    decodeSse() + parseChunks() + contentDeltas()     (heap must stay flat)
 *   acc       decodeSse() + parseChunks() + finalCompletion()   (heap grows with the text)
 *
 * Every BENCH_EVERY (default 100,000) chunks the generator forces a full GC (`global.gc()`) and
 * samples `process.memoryUsage().heapUsed`. Because the pipeline is synchronous, every piece
 * yielded before that point has been fully processed when the generator resumes. The consumers
 * keep only a running count and a running hash of the text, which are checked against the
 * generator's, so nothing outside the pipeline holds on to the stream.
 *
 * Run with `node --expose-gc --import tsx bench/memory.bench.ts` (env: BENCH_CHUNKS, BENCH_EVERY,
 * BENCH_FLAT_MB). Prints a markdown table and writes bench/results/memory-<date>.json. Exits 1
 * if `parse` or `deltas` grows by more than BENCH_FLAT_MB (default 16) MB, if `acc` grows by more
 * than 1.5× its text plus that, or on wrong output.
 */
import { prng, TOKENS, writeResults } from './shared';
import { fork } from 'node:child_process';
import { Observable } from 'rxjs';
import { contentDeltas, decodeSse, finalCompletion, parseChunks } from './rxchat';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 1_000_000);
const EVERY = Number(process.env.BENCH_EVERY ?? 100_000);
const FLAT_MB = Number(process.env.BENCH_FLAT_MB ?? 16);
/** The accumulate path may hold this many times its text (as flat two-byte strings). */
const ACC_TEXT_FACTOR = 1.5;
const PIECE_BYTES = 16 * 1024;
const MB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The stream, generated lazily

/** A running FNV-1a hash over UTF-16 code units, so text can be compared without keeping it. */
class TextHash {
  hash = 0x811c9dc5;
  length = 0;
  add(text: string): void {
    let h = this.hash;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    this.hash = h >>> 0;
    this.length += text.length;
  }
}

interface Sample {
  /** Content chunks generated (and, the pipeline being synchronous, processed) so far. */
  chunk: number;
  heapUsed: number;
  /** UTF-16 units of content text generated so far. */
  textLength: number;
}

interface Generated {
  samples: Sample[];
  text: TextHash;
  bytes: number;
  pieces: number;
}

const encoder = new TextEncoder();
const BASE = {
  id: 'chatcmpl-CBench0123456789abcdefABCDEF',
  object: 'chat.completion.chunk',
  created: 1763700000,
  model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_560af6e559',
};
const event = (data: unknown) =>
  encoder.encode(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
const chunkEvent = (delta: object, finish: string | null) =>
  event({ ...BASE, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });

function sample(chunk: number, textLength: number): Sample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return { chunk, heapUsed: process.memoryUsage().heapUsed, textLength };
}

/**
 * Yields the stream in PIECE_BYTES pieces (cuts fall anywhere, also inside UTF-8 characters),
 * each a fresh Uint8Array as a socket would deliver. Fills `out` as it goes.
 */
function* generate(chunks: number, out: Generated): Generator<Uint8Array> {
  const random = prng(6);
  const tokenEvents = TOKENS.map((content) => chunkEvent({ content }, null));
  let piece = new Uint8Array(PIECE_BYTES);
  let filled = 0;
  function* put(bytes: Uint8Array): Generator<Uint8Array> {
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, PIECE_BYTES - filled);
      piece.set(bytes.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === PIECE_BYTES) {
        out.bytes += filled;
        out.pieces++;
        yield piece;
        piece = new Uint8Array(PIECE_BYTES);
        filled = 0;
      }
    }
  }
  for (let i = 0; i < chunks; i++) {
    // Everything yielded so far has gone through the whole (synchronous) pipeline.
    if (i % EVERY === 0) out.samples.push(sample(i, out.text.length));
    if (i === 0) {
      yield* put(chunkEvent({ role: 'assistant', content: '', refusal: null }, null));
    } else if (i === chunks - 1) {
      yield* put(chunkEvent({}, 'stop'));
    } else {
      const t = Math.floor(random() * TOKENS.length);
      out.text.add(TOKENS[t]!);
      yield* put(tokenEvents[t]!);
    }
  }
  yield* put(
    event({
      ...BASE,
      choices: [],
      usage: { prompt_tokens: 42, completion_tokens: chunks, total_tokens: chunks + 42 },
    }),
  );
  yield* put(event('[DONE]'));
  if (filled > 0) {
    out.bytes += filled;
    out.pieces++;
    yield piece.subarray(0, filled);
  }
  out.samples.push(sample(chunks, out.text.length));
}

/** The byte stream as a cold Observable: each subscription runs a fresh generator. */
function body(chunks: number, out: Generated): Observable<Uint8Array> {
  return new Observable<Uint8Array>((subscriber) => {
    for (const piece of generate(chunks, out)) {
      if (subscriber.closed) return;
      subscriber.next(piece);
    }
    subscriber.complete();
  });
}

// ---------------------------------------------------------------------------------------------
// The pipelines

const PIPELINES = {
  parse: 'decodeSse() + parseChunks()',
  deltas: 'decodeSse() + parseChunks() + contentDeltas()',
  acc: 'decodeSse() + parseChunks() + finalCompletion()',
} as const;
type Pipeline = keyof typeof PIPELINES;
const NAMES = Object.keys(PIPELINES) as Pipeline[];

interface ChildReport {
  pipeline: Pipeline;
  chunks: number;
  bytes: number;
  pieces: number;
  ms: number;
  samples: Sample[];
  /** heapUsed after completion (the result still referenced), and after flattening its text. */
  afterComplete: number;
  afterFlatten?: number;
  textLength: number;
  ok: boolean;
  problem?: string;
}

function child(pipeline: Pipeline): void {
  const out: Generated = { samples: [], text: new TextHash(), bytes: 0, pieces: 0 };
  const events = body(CHUNKS, out).pipe(decodeSse(), parseChunks());
  const seen = new TextHash();
  let chunks = 0;
  let content: string | null = null;
  let failure: unknown;
  const error = (e: unknown) => (failure = e ?? new Error('stream failed'));
  const start = process.hrtime.bigint();
  if (pipeline === 'parse') {
    events.subscribe({
      next: (e) => {
        if (e.type !== 'chunk') return;
        chunks++;
        const text = e.chunk.choices?.[0]?.delta?.content;
        if (typeof text === 'string') seen.add(text);
      },
      error,
    });
  } else if (pipeline === 'deltas') {
    events.pipe(contentDeltas()).subscribe({ next: (text) => seen.add(text), error });
  } else {
    events.pipe(finalCompletion()).subscribe({
      next: (completion) => (content = completion.choices[0]?.message.content ?? ''),
      error,
    });
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const afterComplete = sample(CHUNKS, out.text.length).heapUsed;
  let afterFlatten: number | undefined;
  if (content !== null) {
    // Reading every character flattens V8's rope (cons string) into one sequential string.
    seen.add(content);
    afterFlatten = sample(CHUNKS, out.text.length).heapUsed;
  }
  const problems: string[] = [];
  if (failure) problems.push(`threw ${String(failure)}`);
  // CHUNKS content chunks plus the usage chunk.
  if (pipeline === 'parse' && chunks !== CHUNKS + 1)
    problems.push(`${chunks} chunks, not ${CHUNKS + 1}`);
  if (seen.length !== out.text.length || seen.hash !== out.text.hash)
    problems.push('the text differs from the generated text');
  const report: ChildReport = {
    pipeline,
    chunks: CHUNKS,
    bytes: out.bytes,
    pieces: out.pieces,
    ms,
    samples: out.samples,
    afterComplete,
    afterFlatten,
    textLength: out.text.length,
    ok: problems.length === 0,
    problem: problems.join('; ') || undefined,
  };
  process.send!(report);
}

function runChild(pipeline: Pipeline): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const proc = fork(process.argv[1]!, ['--child', pipeline], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: ChildReport | undefined;
    proc.on('message', (message) => (report = message as ChildReport));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      report && code === 0
        ? resolve(report)
        : reject(new Error(`child ${pipeline} exited with ${code}`)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Parent: children, table, JSON

const mb = (bytes: number) => (bytes / MB).toFixed(2);
const signedMb = (bytes: number) => `${bytes >= 0 ? '+' : ''}${mb(bytes)}`;
const count = (n: number) => n.toLocaleString('en-US');

async function main(): Promise<void> {
  const reports: ChildReport[] = [];
  for (const name of NAMES) {
    const report = await runChild(name);
    reports.push(report);
    process.stderr.write(`  ${name}: ${report.ms.toFixed(0)} ms${report.ok ? '' : ' WRONG'}\n`);
  }
  const first = reports[0]!;
  console.log(
    `stream: ${count(first.chunks)} chunks + usage chunk + [DONE], ` +
      `${(first.bytes / MB).toFixed(1)} MiB in ${count(first.pieces)} pieces of 16 KiB, ` +
      `${count(first.textLength)} UTF-16 units of content; GC + heapUsed every ${count(EVERY)} chunks\n`,
  );

  const lines: string[] = [];
  lines.push('### heapUsed after forced GC, MiB');
  lines.push('');
  lines.push(`| chunks | text (UTF-16 units) | ${NAMES.join(' | ')} |`);
  lines.push(`|--:|--:|${NAMES.map(() => '--:').join('|')}|`);
  for (let i = 0; i < first.samples.length; i++) {
    const s = first.samples[i]!;
    const cells = reports.map((r) => mb(r.samples[i]!.heapUsed));
    lines.push(`| ${count(s.chunk)} | ${count(s.textLength)} | ${cells.join(' | ')} |`);
  }
  lines.push('');

  const summary = reports.map((r) => {
    const heaps = r.samples.map((s) => s.heapUsed);
    const start = heaps[0]!;
    // Steady state: from the first checkpoint after the start (JIT code and caches warmed up).
    const warm = heaps[1] ?? start;
    const growth = heaps[heaps.length - 1]! - start;
    const maxGrowth = Math.max(...heaps) - start;
    const steadyGrowth = heaps[heaps.length - 1]! - warm;
    // The text held at the end, flattened: one byte per unit if Latin-1, else two.
    const textBytes = r.textLength * 2;
    // acc may grow by the text it keeps, plus the flat allowance; nothing per delta.
    const flat =
      r.pipeline === 'acc'
        ? growth <= ACC_TEXT_FACTOR * textBytes + FLAT_MB * MB
        : maxGrowth <= FLAT_MB * MB;
    return {
      pipeline: r.pipeline,
      label: PIPELINES[r.pipeline],
      ms: r.ms,
      nsPerChunk: (r.ms * 1e6) / r.chunks,
      startHeap: start,
      endHeap: heaps[heaps.length - 1]!,
      growth,
      maxGrowth,
      steadyGrowth,
      flat,
      textLength: r.textLength,
      textBytes,
      growthPerTextByte: growth / textBytes,
      afterComplete: r.afterComplete,
      afterFlatten: r.afterFlatten,
      flattenedGrowth: r.afterFlatten === undefined ? undefined : r.afterFlatten - start,
      ok: r.ok,
      problem: r.problem,
    };
  });

  lines.push(`### Growth (0 → ${count(first.chunks)} chunks)`);
  lines.push('');
  lines.push(
    '| pipeline | time | growth | max growth | growth after warm-up | text held | growth / text | within bound |',
  );
  lines.push('|---|--:|--:|--:|--:|--:|--:|:-:|');
  for (const s of summary) {
    const held = s.pipeline === 'acc' ? `${mb(s.textBytes)} MiB` : '—';
    const ratio = s.pipeline === 'acc' ? `${s.growthPerTextByte.toFixed(2)}×` : '—';
    const flat = s.flat === undefined ? '—' : s.flat ? 'yes' : 'NO';
    lines.push(
      `| ${s.label} | ${(s.ms / 1000).toFixed(1)} s | ${signedMb(s.growth)} MiB | ${signedMb(s.maxGrowth)} MiB | ${signedMb(s.steadyGrowth)} MiB | ${held} | ${ratio} | ${flat} |`,
    );
  }
  const acc = summary.find((s) => s.pipeline === 'acc')!;
  lines.push('');
  lines.push(
    `acc: text ${count(acc.textLength)} UTF-16 units = ${mb(acc.textBytes)} MiB as a flat two-byte ` +
      `string; heap growth at the last checkpoint ${signedMb(acc.growth)} MiB ` +
      `(${acc.growthPerTextByte.toFixed(2)}× the text), after completion ${signedMb(acc.afterComplete - acc.startHeap)} MiB, ` +
      `after flattening the final content ${signedMb(acc.flattenedGrowth!)} MiB ` +
      `(${(acc.flattenedGrowth! / acc.textBytes).toFixed(2)}× the text).`,
  );
  console.log(lines.join('\n'));

  const file = await writeResults('memory', {
    config: {
      chunks: CHUNKS,
      every: EVERY,
      pieceBytes: PIECE_BYTES,
      bytes: first.bytes,
      pieces: first.pieces,
      flatLimitMiB: FLAT_MB,
    },
    pipelines: PIPELINES,
    summary,
    samples: Object.fromEntries(reports.map((r) => [r.pipeline, r.samples])),
  });
  console.log(`\nJSON: ${file}`);

  const failures = summary
    .filter((s) => !s.ok || s.flat === false)
    .map((s) =>
      s.ok
        ? `${s.pipeline}: heap grew ${mb(s.maxGrowth)} MiB (limit ${FLAT_MB} MiB` +
          (s.pipeline === 'acc' ? ` + ${ACC_TEXT_FACTOR}× the text)` : ')')
        : `${s.pipeline}: ${s.problem}`,
    );
  if (failures.length > 0) {
    console.error(`\nFAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const name = process.argv[childAt + 1] as Pipeline;
  if (!NAMES.includes(name)) throw new Error(`usage: --child <${NAMES.join('|')}>`);
  try {
    child(name);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
} else {
  void main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
