/*
 * partialJson: time per byte of parsing streamed JSON, against re-parsing the text so far.
 *
 * Documents: realistic JSON of BENCH_JSON_SIZES (default 100 kB and 1 MB): an object with a few
 * fields and an array `data` of records (ids, names, sentences with accents, CJK, emoji and
 * escapes, floats, integers, booleans, tags, a nested object), built by a seeded PRNG, so every
 * run reads the same bytes. Each is cut into BENCH_JSON_DELTA (default 10) character deltas.
 *
 * Parsers, each fed every delta in turn and producing the value so far after each:
 *   partialJson           rxchat's operator, snapshot mode (`from(deltas).pipe(partialJson())`)
 *   partialJson-patches   rxchat's operator, `{ mode: 'patches' }` (path deltas, no snapshots)
 *   ai parsePartialJson   the AI SDK's (package `ai`), given the accumulated text at every delta
 *   partial-json          `partialParse` of the partial-json package as vendored in openai-node
 *                         (openai/_vendor/partial-json-parser; the npm package itself is not
 *                         installed here), given the accumulated text at every delta
 *
 * Times are CPU times of the process (process.cpuUsage(), user + system), not wall times: the
 * machine is shared, and time spent descheduled is not the code's. Each parser runs on each
 * document in a child process of its own (no case inherits another's heap). rxchat's cases run
 * in full: BENCH_JSON_WARMUP (default 3) warm-up rounds, then BENCH_JSON_ROUNDS (default 9)
 * timed rounds, each reading about 1 MB (the 100 kB document 10 times, per-run time = round /
 * 10); the median is reported, and the minimum. A timed run's subscriber keeps only the last
 * emission; one untimed run then checks that the last snapshot (or all the patches, applied in
 * order) deep-equals JSON.parse of the document.
 *
 * The re-parsers cost O(text so far) per delta, so O(n²) per document. A full run is made when
 * its estimate is under BENCH_JSON_FULL_LIMIT_S (default 60) seconds; otherwise the time is
 * extrapolated: the parser is warmed up by 5 calls on half the text, then the per-call time is
 * measured on the accumulated text at BENCH_JSON_SAMPLES (default 21) evenly spaced delta
 * positions (each the median of 5 calls, after one more warm-up call), and the total is the
 * trapezoidal sum of that curve over all the deltas. The estimate is also computed (and saved)
 * for the full runs, to show how well it predicts. The AI SDK's function is async: a sampled call
 * is timed up to its promise resolving, as a full run awaits it.
 *
 * Run with `npm run bench:json` (tsx bench/partial-json.bench.ts). Prints a table and the
 * verdicts against the targets (1 MB per-byte ≤ 1.5× 100 kB per-byte; ≥ 50× faster than each
 * re-parser at 1 MB), and saves JSON to bench/results/partial-json-<date>.json.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { from } from 'rxjs';
import { parsePartialJson } from 'ai';
import { partialParse } from 'openai/_vendor/partial-json-parser/parser';
import './rxchat'; // rebuilds dist/ when it is older than src/
import type * as Rxchat from '../src/node';
import { median, prng, writeResults } from './shared';

const built = process.env.BENCH_RXCHAT_BUILT
  ? path.resolve(process.env.BENCH_RXCHAT_BUILT)
  : path.join(__dirname, '..', 'dist', 'node.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { partialJson, applyJsonPatch } = require(built) as typeof Rxchat;

const SIZES = (process.env.BENCH_JSON_SIZES ?? '100000,1000000').split(',').map(Number);
const DELTA = Number(process.env.BENCH_JSON_DELTA ?? 10);
const ROUNDS = Number(process.env.BENCH_JSON_ROUNDS ?? 9);
const WARMUP = Number(process.env.BENCH_JSON_WARMUP ?? 3);
const FULL_LIMIT_S = Number(process.env.BENCH_JSON_FULL_LIMIT_S ?? 60);
const SAMPLES = Number(process.env.BENCH_JSON_SAMPLES ?? 21);

/**
 * This process's CPU time in ms (user + system, all its threads): on a shared machine, time spent
 * descheduled is not the code's cost, and wall time would count it.
 */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

// ---------------------------------------------------------------------------------------------
// The documents

const WORDS = [
  'stream',
  'token',
  'model',
  'café',
  'naïve',
  'Zürich',
  'Ωμέγα',
  'Привет',
  '東京',
  '天気',
  '안녕',
  '👋',
  '🎉',
  '"quoted"',
  'back\\slash',
  'line\nbreak',
  'tab\there',
  '€5',
  'value',
  'record',
];

/** A JSON document of about `size` characters: an object with an array of records. */
function document(size: number): string {
  const random = prng(16);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const sentence = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const head = { object: 'list', model: 'bench-model-1', created: 1764700000, has_more: false };
  const records: unknown[] = [];
  const text = () => JSON.stringify({ ...head, data: records });
  let length = text().length;
  for (let id = 0; length < size; id++) {
    const record = {
      id: `rec_${id.toString(36).padStart(6, '0')}`,
      index: id,
      name: sentence(2),
      description: sentence(6 + Math.floor(random() * 10)),
      score: Math.round(random() * 1e6) / 1e4,
      count: Math.floor(random() * 100000),
      ratio: random() < 0.1 ? -random() * 1e-7 : random(),
      active: random() < 0.5,
      tags: Array.from({ length: Math.floor(random() * 4) }, () => pick(WORDS)),
      owner: { id: Math.floor(random() * 1000), handle: sentence(1), verified: null },
    };
    records.push(record);
    length += JSON.stringify(record).length + 1;
  }
  return text();
}

function cut(text: string, size: number): string[] {
  const deltas: string[] = [];
  for (let i = 0; i < text.length; i += size) deltas.push(text.slice(i, i + size));
  return deltas;
}

// ---------------------------------------------------------------------------------------------
// The parsers

/**
 * rxchat through the operator, on the whole stream: the subscriber keeps the last emission only
 * (a timed run keeps nothing else alive, as a UI would not); with `verify`, it also keeps every
 * patch batch, which an untimed run then applies, in order.
 */
function runOperator(
  deltas: string[],
  mode: 'snapshots' | 'patches',
  verify = false,
): { last: unknown; emissions: number; patches: unknown[] } {
  let last: unknown;
  let emissions = 0;
  const patches: unknown[] = [];
  from(deltas)
    .pipe(mode === 'patches' ? partialJson({ mode }) : partialJson())
    .subscribe((value) => {
      last = value;
      emissions++;
      if (verify && mode === 'patches') patches.push(...(value as unknown[]));
    });
  return { last, emissions, patches };
}

type Reparser = (text: string) => unknown;
const REPARSERS: Record<string, { parse: Reparser; async: boolean }> = {
  'ai parsePartialJson': {
    parse: (text) => parsePartialJson(text).then((r) => r.value),
    async: true,
  },
  'partial-json': { parse: (text) => partialParse(text) as unknown, async: false },
};

async function timeCall(parse: Reparser, isAsync: boolean, text: string): Promise<number> {
  const start = cpuMs();
  const result = parse(text);
  if (isAsync) await result;
  return cpuMs() - start;
}

/** Estimates the total time of re-parsing at every delta, from sampled per-call times. */
async function estimate(
  parse: Reparser,
  isAsync: boolean,
  deltas: string[],
): Promise<{ ms: number; samples: { delta: number; ms: number }[] }> {
  const n = deltas.length;
  const ends: number[] = [];
  let end = 0;
  for (const d of deltas) ends.push((end += d.length));
  const full = deltas.join('');
  const samples: { delta: number; ms: number }[] = [];
  // Warm the parser up first (JIT), on half the text.
  for (let r = 0; r < 5; r++) await timeCall(parse, isAsync, full.slice(0, full.length >> 1));
  for (let s = 0; s < SAMPLES; s++) {
    const k = Math.min(n - 1, Math.round((s * (n - 1)) / (SAMPLES - 1)));
    const text = full.slice(0, ends[k]);
    await timeCall(parse, isAsync, text);
    const times: number[] = [];
    for (let r = 0; r < 5; r++) times.push(await timeCall(parse, isAsync, text));
    samples.push({ delta: k, ms: median(times) });
  }
  // Trapezoidal sum over every delta (0 … n-1) of the per-call time curve.
  let total = 0;
  for (let s = 1; s < samples.length; s++) {
    const a = samples[s - 1]!;
    const b = samples[s]!;
    total += ((a.ms + b.ms) / 2) * (b.delta - a.delta);
  }
  total += (samples[0]!.ms + samples[samples.length - 1]!.ms) / 2; // the endpoints' own calls
  return { ms: total, samples };
}

async function fullReparse(
  parse: Reparser,
  isAsync: boolean,
  deltas: string[],
): Promise<{ ms: number; last: unknown }> {
  let text = '';
  let last: unknown;
  const start = cpuMs();
  for (const d of deltas) {
    text += d;
    const result = parse(text);
    last = isAsync ? await result : result;
  }
  return { ms: cpuMs() - start, last };
}

// ---------------------------------------------------------------------------------------------
// The run

interface Row {
  size: number;
  chars: number;
  deltas: number;
  parser: string;
  method: 'full' | 'extrapolated';
  ms: number;
  nsPerByte: number;
  minMs?: number;
  repeat?: number;
  runsMs?: number[];
  estimateMs?: number;
  emissions?: number;
  samples?: { delta: number; ms: number }[];
}

const fmt = (x: number, digits = 1) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const PARSERS = ['partialJson', 'partialJson-patches', ...Object.keys(REPARSERS)];

/** One parser on one document, in this (fresh) process: its row. */
async function measure(size: number, parser: string): Promise<Row> {
  const text = document(size);
  const expected: unknown = JSON.parse(text);
  const deltas = cut(text, DELTA);
  const base = { size, chars: text.length, deltas: deltas.length, parser };
  if (parser === 'partialJson' || parser === 'partialJson-patches') {
    const mode = parser === 'partialJson' ? 'snapshots' : 'patches';
    // Each timed round reads about 1 MB (a small document several times): long enough to time.
    const repeat = Math.max(1, Math.round(1e6 / text.length));
    const times: number[] = [];
    for (let r = 0; r < WARMUP + ROUNDS; r++) {
      const start = cpuMs();
      for (let k = 0; k < repeat; k++) runOperator(deltas, mode);
      const ms = (cpuMs() - start) / repeat;
      if (r >= WARMUP) times.push(ms);
    }
    // Checked after the timed runs, so that what it keeps alive does not weigh on them.
    const check = runOperator(deltas, mode, true);
    let value: unknown = check.last;
    if (mode === 'patches') {
      value = undefined;
      for (const p of check.patches) value = applyJsonPatch(value, p as never);
    }
    if (!isDeepStrictEqual(value, expected)) throw new Error(`${parser}: wrong final value`);
    const ms = median(times);
    return {
      ...base,
      method: 'full',
      ms,
      nsPerByte: (ms * 1e6) / text.length,
      minMs: Math.min(...times),
      repeat,
      runsMs: times,
      emissions: check.emissions,
    };
  }
  const { parse, async: isAsync } = REPARSERS[parser]!;
  const guess = await estimate(parse, isAsync, deltas);
  const row: Row = {
    ...base,
    method: 'extrapolated',
    ms: guess.ms,
    nsPerByte: (guess.ms * 1e6) / text.length,
    estimateMs: guess.ms,
    samples: guess.samples,
  };
  if (guess.ms > FULL_LIMIT_S * 1000) return row;
  const full = await fullReparse(parse, isAsync, deltas);
  if (!isDeepStrictEqual(full.last, expected)) throw new Error(`${parser}: wrong final value`);
  return { ...row, method: 'full', ms: full.ms, nsPerByte: (full.ms * 1e6) / text.length };
}

/** Runs {@link measure} in a child process, so that no case inherits another's heap. */
function inChild(size: number, parser: string): Promise<Row> {
  return new Promise((resolve, reject) => {
    const proc = fork(process.argv[1]!, ['--child', String(size), parser], {
      execArgv: process.execArgv,
      // The children measure the build the parent checked, never one rebuilt mid-run.
      env: { ...process.env, BENCH_RXCHAT_BUILT: built },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let row: Row | undefined;
    proc.on('message', (message) => (row = message as Row));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      row && code === 0 ? resolve(row) : reject(new Error(`child ${parser} exited with ${code}`)),
    );
  });
}

async function main() {
  const rows: Row[] = [];
  for (const size of SIZES) {
    for (const parser of PARSERS) {
      process.stderr.write(`bench: ${size / 1000} kB, ${parser}\n`);
      rows.push(await inChild(size, parser));
    }
  }

  // The table.
  const lines = [
    '| document | parser | method | CPU ms (median) | ns per byte | min ns per byte | vs partialJson |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
  ];
  const ours = (size: number, parser = 'partialJson') =>
    rows.find((r) => r.size === size && r.parser === parser)!;
  for (const row of rows) {
    lines.push(
      `| ${row.size / 1000} kB | ${row.parser} | ${row.method} | ${fmt(row.ms)} | ${fmt(row.nsPerByte)} | ${row.minMs === undefined ? '' : fmt((row.minMs * 1e6) / row.chars)} | ${fmt(row.ms / ours(row.size).ms, 2)}× |`,
    );
  }
  console.log(lines.join('\n'));

  // The verdicts.
  const verdicts: Record<string, { value: number; target: string; met: boolean }> = {};
  const [small, large] = [Math.min(...SIZES), Math.max(...SIZES)];
  if (small !== large) {
    for (const parser of ['partialJson', 'partialJson-patches']) {
      const ratio = ours(large, parser).nsPerByte / ours(small, parser).nsPerByte;
      verdicts[`${parser}: ${large / 1000} kB / ${small / 1000} kB per byte`] = {
        value: ratio,
        target: '≤ 1.5',
        met: ratio <= 1.5,
      };
    }
  }
  for (const parser of ['partialJson', 'partialJson-patches']) {
    for (const other of Object.keys(REPARSERS)) {
      const speedup = ours(large, other).ms / ours(large, parser).ms;
      verdicts[`${parser} vs ${other} at ${large / 1000} kB: speed-up`] = {
        value: speedup,
        target: '≥ 50',
        met: speedup >= 50,
      };
    }
  }
  console.log();
  for (const [name, v] of Object.entries(verdicts)) {
    console.log(`${v.met ? 'MET ' : 'MISS'} ${name}: ${fmt(v.value, 2)} (target ${v.target})`);
  }
  const file = await writeResults('partial-json', {
    config: {
      sizes: SIZES,
      delta: DELTA,
      rounds: ROUNDS,
      warmup: WARMUP,
      fullLimitS: FULL_LIMIT_S,
      samples: SAMPLES,
    },
    rows,
    verdicts,
  });
  console.log(`\nsaved ${file}`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  measure(Number(process.argv[childAt + 1]), process.argv[childAt + 2]!).then(
    (row) => process.send!(row),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  void main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
