/*
 * Text operator overhead: CPU cost per delta of the text-shaping operators.
 *
 * BENCH_DELTAS (default 200,000) realistic content deltas (word-ish pieces, Latin with accents,
 * Greek, Cyrillic, CJK, Korean, emoji including ZWJ sequences and flags; some words, ZWJ
 * sequences, flags and combining marks are split across two deltas, as tokenizers do) are fed
 * one every BENCH_GAP (default 5) ms of virtual time through:
 *   pass-through     map((x) => x), the baseline
 *   buffer-word      bufferText({ by: 'word' })
 *   buffer-grapheme  bufferText({ by: 'grapheme' })
 *   throttle-16      throttleText({ interval: 16 })
 *   smooth-200       smoothText({ maxLag: 200 })  (grapheme units, 16 ms ticks)
 *
 * Time never actually passes: the source and every operator run on one VirtualClock (a
 * SchedulerLike on virtual time, defined below), and the bench measures the wall time of its
 * flush(), so only CPU is counted. The source is one self-rescheduling action, so
 * the scheduler's queue stays a few actions long. Every run checks that the output concatenates
 * to exactly the input.
 *
 * Each operator runs in a fresh child process (`--expose-gc`): warm-up run(s), then timed runs;
 * median and min-max ns per delta. Run with `node --expose-gc --import tsx
 * bench/operators.bench.ts` (env: BENCH_DELTAS, BENCH_GAP, BENCH_ROUNDS, BENCH_WARMUP). Writes a
 * markdown table to stdout and JSON to bench/results/operators-<date>.json.
 *
 * Long text: then bufferText in every unit mode (grapheme, word, sentence, line, /[.!?]\s/) reads
 * BENCH_LONG_KB (default 450) kB of plain sentences in one delta and in 10-character deltas,
 * and as many kB of one sentence that never ends in 10-character deltas (with the default maxHeld,
 * and, but for the regexp, with maxHeld Infinity: nothing given up, all held). Intl.Segmenter on
 * Node 20 costs its input length times its number of segments per call, so this is where reading
 * long text in one call shows (seconds for 450 kB of sentences, the more sentences the longer).
 * Each case runs in its own child, BENCH_LONG_ROUNDS (default 3) times after one warm-up: the
 * median total time, and how long a single push blocks the event loop (99.9th percentile, and the
 * longest). BENCH_LONG=0 skips it.
 */
import { median, prng, writeResults } from './shared';
import { fork } from 'node:child_process';
import {
  map,
  Observable,
  Subject,
  Subscription,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { bufferText, smoothText, throttleText } from './rxchat';
import type { TextUnit } from '../src/node';

const DELTAS = Number(process.env.BENCH_DELTAS ?? 200_000);
const GAP = Number(process.env.BENCH_GAP ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const LONG = process.env.BENCH_LONG !== '0';
const LONG_KB = Number(process.env.BENCH_LONG_KB ?? 450);
const LONG_ROUNDS = Number(process.env.BENCH_LONG_ROUNDS ?? 3);

// ---------------------------------------------------------------------------------------------
// The deltas

/** Whole deltas, and (as arrays) pieces that a tokenizer sends as consecutive deltas. */
const TOKENS: (string | string[])[] = [
  ' The',
  ' model',
  ' streams',
  ' tokens',
  ',',
  ' one',
  ' at',
  ' a',
  ' time',
  '.',
  ' café',
  ' naïve',
  [' résu', 'mé'],
  [' Zü', 'rich'],
  ' Ωμέγα',
  [' При', 'вет'],
  ' 東京',
  'の',
  '天気',
  'は',
  '晴れ',
  ' 你好',
  '世界',
  '，',
  '。',
  ' 안녕하세요',
  ' 👋',
  ' 🎉',
  [' 👩', '\u200d💻'],
  [' 🇫', '🇷'],
  [' e', '\u0301t\u00e9'],
  ' "quoted"',
  '\n',
  '\n\n',
  ' a\\b',
  ' €5',
  ' ½',
  ' 1,234.5',
  ' don’t',
];

function makeDeltas(count: number): string[] {
  const random = prng(7);
  const deltas: string[] = [];
  while (deltas.length < count) {
    const token = TOKENS[Math.floor(random() * TOKENS.length)]!;
    if (typeof token === 'string') deltas.push(token);
    else for (const piece of token) if (deltas.length < count) deltas.push(piece);
  }
  return deltas;
}

// ---------------------------------------------------------------------------------------------
// A virtual clock

/**
 * A SchedulerLike on virtual time: schedule() queues the work, flush() runs it in order of due
 * time (ties first come, first served), moving the clock to each due time without waiting.
 *
 * Unlike RxJS's VirtualTimeScheduler (TestScheduler's base), whose actions create a new action
 * each time they reschedule themselves, chained to the previous one, an action here reschedules
 * itself in place, as `asyncScheduler`'s do. A ticker that runs for tens of thousands of ticks
 * therefore costs what it costs in production, and does not build a chain whose teardown
 * recursion overflows the stack.
 */
class VirtualClock implements SchedulerLike {
  frame = 0;
  private queue: VirtualTask<never>[] = [];
  private seq = 0;

  now(): number {
    return this.frame;
  }

  schedule<T>(
    work: (this: SchedulerAction<T>, state: T) => void,
    delay = 0,
    state?: T,
  ): Subscription {
    return new VirtualTask<T>(this, work).schedule(state, delay);
  }

  /** Queues `task` at `due`, or moves it there. */
  enqueue(task: VirtualTask<never>): void {
    this.remove(task);
    task.seq = this.seq++;
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.due > task.due) i--;
    this.queue.splice(i, 0, task);
  }

  remove(task: VirtualTask<never>): void {
    const at = this.queue.indexOf(task);
    if (at >= 0) this.queue.splice(at, 1);
  }

  /** Runs everything queued, and everything that queues, until nothing is left. */
  flush(): void {
    for (let task = this.queue.shift(); task; task = this.queue.shift()) {
      this.frame = task.due;
      task.run();
    }
  }
}

class VirtualTask<T> extends Subscription implements SchedulerAction<T> {
  due = 0;
  seq = 0;
  private state: T | undefined;

  constructor(
    private readonly clock: VirtualClock,
    private readonly work: (this: SchedulerAction<T>, state: T) => void,
  ) {
    super();
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    this.due = this.clock.frame + delay;
    this.clock.enqueue(this as unknown as VirtualTask<never>);
    return this;
  }

  run(): void {
    if (!this.closed) this.work.call(this, this.state as T);
  }

  override unsubscribe(): void {
    if (this.closed) return;
    this.clock.remove(this as unknown as VirtualTask<never>);
    super.unsubscribe();
  }
}

// ---------------------------------------------------------------------------------------------
// The contestants

type Make = (scheduler: VirtualClock) => OperatorFunction<string, string>;

const CONTESTANTS: Record<string, { label: string; make: Make }> = {
  'pass-through': { label: 'map((x) => x)', make: () => map((x: string) => x) },
  'buffer-word': {
    label: "bufferText({ by: 'word' })",
    make: (scheduler) => bufferText({ by: 'word', scheduler }),
  },
  'buffer-grapheme': {
    label: "bufferText({ by: 'grapheme' })",
    make: (scheduler) => bufferText({ by: 'grapheme', scheduler }),
  },
  'throttle-16': {
    label: 'throttleText({ interval: 16 })',
    make: (scheduler) => throttleText({ interval: 16, scheduler }),
  },
  'smooth-200': {
    label: 'smoothText({ maxLag: 200 })',
    make: (scheduler) => smoothText({ maxLag: 200, scheduler }),
  },
};
const NAMES = Object.keys(CONTESTANTS);

/** The deltas, one every `gap` virtual ms, from a single self-rescheduling action. */
function feed(deltas: string[], scheduler: VirtualClock, gap: number): Observable<string> {
  return new Observable<string>((subscriber) =>
    scheduler.schedule(
      function (this: SchedulerAction<number>, i = 0) {
        subscriber.next(deltas[i]!);
        if (i + 1 < deltas.length) this.schedule(i + 1, gap);
        else subscriber.complete();
      },
      gap,
      0,
    ),
  );
}

interface Run {
  ns: number;
  emissions: number;
  /** Virtual ms from the first delta until the output completed. */
  virtualMs: number;
  ok: boolean;
}

function runOnce(name: string, deltas: string[], expected: string): Run {
  const scheduler = new VirtualClock();
  const out: string[] = [];
  let completedAt = -1;
  let failure: unknown;
  const start = process.hrtime.bigint();
  const subscription = feed(deltas, scheduler, GAP)
    .pipe(CONTESTANTS[name]!.make(scheduler))
    .subscribe({
      next: (text) => out.push(text),
      error: (error: unknown) => (failure = error),
      complete: () => (completedAt = scheduler.now()),
    });
  scheduler.flush();
  const ns = Number(process.hrtime.bigint() - start);
  subscription.unsubscribe();
  if (failure) throw failure;
  return {
    ns,
    emissions: out.length,
    virtualMs: completedAt - GAP,
    ok: completedAt >= 0 && out.join('') === expected,
  };
}

// ---------------------------------------------------------------------------------------------
// Long text

const LONG_MODES: Record<string, TextUnit> = {
  grapheme: 'grapheme',
  word: 'word',
  sentence: 'sentence',
  line: 'line',
  regexp: /[.!?]\s/,
};

const WORDS = ['the', 'model', 'streams', 'tokens', 'one', 'at', 'a', 'time', 'and', 'every'];
const WORDS_MORE = ['reader', 'sees', 'whole', 'words', 'café', 'naïve', 'Zürich', 'quickly'];

/** `kb` kB of plain sentences (5 to 20 words, ending in . ! or ?), or of one with no end. */
function longText(kb: number, ending: boolean): string {
  const random = prng(11);
  const vocabulary = [...WORDS, ...WORDS_MORE];
  const parts: string[] = [];
  let length = 0;
  while (length < kb * 1000) {
    const count = 5 + Math.floor(random() * 16);
    let sentence = '';
    for (let i = 0; i < count; i++) {
      const word = vocabulary[Math.floor(random() * vocabulary.length)]!;
      sentence += i === 0 && ending ? word[0]!.toUpperCase() + word.slice(1) : word;
      sentence += i < count - 1 ? ' ' : ending ? '.!?'[Math.floor(random() * 3)]! + ' ' : ' ';
    }
    parts.push(sentence);
    length += sentence.length;
  }
  return parts.join('').slice(0, kb * 1000);
}

const inPieces = (text: string, size: number) =>
  Array.from({ length: Math.ceil(text.length / size) }, (_, i) =>
    text.slice(i * size, (i + 1) * size),
  );

const LONG_INPUTS: Record<string, { label: string; maxHeld?: number; deltas: () => string[] }> = {
  'one-delta': { label: 'sentences, one delta', deltas: () => [longText(LONG_KB, true)] },
  'deltas-10': {
    label: 'sentences, 10-char deltas',
    deltas: () => inPieces(longText(LONG_KB, true), 10),
  },
  'no-end-10': {
    label: 'no sentence end, 10-char deltas',
    deltas: () => inPieces(longText(LONG_KB, false), 10),
  },
  'no-end-10-all-held': {
    label: 'no sentence end, 10-char deltas, maxHeld Infinity',
    maxHeld: Infinity,
    deltas: () => inPieces(longText(LONG_KB, false), 10),
  },
};

/** Every (mode, input) pair; a regexp is matched over all it holds, so it is not held unbounded. */
const LONG_CASES = Object.keys(LONG_MODES).flatMap((mode) =>
  Object.keys(LONG_INPUTS)
    .filter((input) => !(mode === 'regexp' && LONG_INPUTS[input]!.maxHeld === Infinity))
    .map((input) => `${mode}:${input}`),
);

interface LongRun {
  ms: number;
  /** The longest single push, and its length. */
  worstMs: number;
  worstLength: number;
  /** 99.9% of pushes took at most this (the longest is often the OS or a GC, not the push). */
  p999Ms: number;
  units: number;
}

/** bufferText over the deltas, pushed one by one (synchronously, as a burst would arrive). */
function runLong(by: TextUnit, maxHeld: number | undefined, deltas: string[]): LongRun {
  const input = new Subject<string>();
  const out: string[] = [];
  const subscription = input.pipe(bufferText({ by, maxHeld })).subscribe((unit) => out.push(unit));
  let worstMs = 0;
  let worstLength = 0;
  const took = new Float64Array(deltas.length);
  const start = performance.now();
  for (let i = 0; i < deltas.length; i++) {
    const pushed = performance.now();
    input.next(deltas[i]!);
    took[i] = performance.now() - pushed;
    if (took[i]! > worstMs) [worstMs, worstLength] = [took[i]!, deltas[i]!.length];
  }
  input.complete();
  const ms = performance.now() - start;
  took.sort();
  const p999Ms = took[Math.floor(0.999 * (took.length - 1))]!;
  subscription.unsubscribe();
  if (out.join('') !== deltas.join('')) {
    throw new Error(`${String(by)}: the output does not concatenate to the input`);
  }
  return { ms, worstMs, worstLength, p999Ms, units: out.length };
}

interface LongReport {
  case: string;
  ms: number[];
  worstMs: number;
  worstLength: number;
  p999Ms: number;
  units: number;
  length: number;
}

function longChild(name: string): void {
  const [mode, inputName] = name.split(':') as [string, string];
  const by = LONG_MODES[mode]!;
  const { maxHeld, deltas: make } = LONG_INPUTS[inputName]!;
  const deltas = make();
  const gc = (globalThis as { gc?: () => void }).gc;
  runLong(by, maxHeld, deltas);
  const ms: number[] = [];
  const runs: LongRun[] = [];
  let worst: LongRun | undefined;
  let last: LongRun | undefined;
  for (let i = 0; i < LONG_ROUNDS; i++) {
    gc?.();
    last = runLong(by, maxHeld, deltas);
    runs.push(last);
    ms.push(last.ms);
    if (!worst || last.worstMs > worst.worstMs) worst = last;
  }
  const report: LongReport = {
    case: name,
    ms,
    worstMs: worst!.worstMs,
    worstLength: worst!.worstLength,
    p999Ms: median(runs.map((run) => run.p999Ms)),
    units: last!.units,
    length: deltas.reduce((sum, delta) => sum + delta.length, 0),
  };
  process.send!(report);
}

// ---------------------------------------------------------------------------------------------
// Child: one contestant, fresh process

interface ChildReport {
  contestant: string;
  nsPerDelta: number[];
  emissions: number;
  virtualMs: number;
}

function child(name: string): void {
  const deltas = makeDeltas(DELTAS);
  const expected = deltas.join('');
  const gc = (globalThis as { gc?: () => void }).gc;
  const check = (run: Run) => {
    if (!run.ok) throw new Error(`${name}: the output does not concatenate to the input`);
    return run;
  };
  for (let i = 0; i < WARMUP; i++) check(runOnce(name, deltas, expected));
  const nsPerDelta: number[] = [];
  let last: Run | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    gc?.();
    last = check(runOnce(name, deltas, expected));
    nsPerDelta.push(last.ns / deltas.length);
  }
  const report: ChildReport = {
    contestant: name,
    nsPerDelta,
    emissions: last!.emissions,
    virtualMs: last!.virtualMs,
  };
  process.send!(report);
}

function runChild<Report = ChildReport>(name: string, flag = '--child'): Promise<Report> {
  return new Promise((resolve, reject) => {
    const proc = fork(process.argv[1]!, [flag, name], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: Report | undefined;
    proc.on('message', (message) => (report = message as Report));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      report && code === 0
        ? resolve(report)
        : reject(new Error(`child ${name} exited with ${code}`)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Parent: table, JSON

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1));
const count = (n: number) => n.toLocaleString('en-US');

async function main(): Promise<void> {
  const deltas = makeDeltas(DELTAS);
  const text = deltas.join('');
  // Segmented line by line (no grapheme spans a '\n' here): V8 gives every segment object its
  // own copy of the whole input, so one call over the whole text would run out of memory.
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let graphemes = 0;
  for (const line of text.split('\n')) graphemes += [...segmenter.segment(line)].length + 1;
  graphemes -= 1;
  console.log(
    `input: ${count(deltas.length)} deltas, ${count(text.length)} UTF-16 units, ` +
      `${count(graphemes)} graphemes, one delta every ${GAP} virtual ms ` +
      `(${count((deltas.length * GAP) / 1000)} virtual s)\n`,
  );

  const reports: ChildReport[] = [];
  for (const name of NAMES) {
    const report = await runChild(name);
    reports.push(report);
    process.stderr.write(`  ${name}: ${fmt(median(report.nsPerDelta))} ns/delta\n`);
  }
  const base = median(reports[0]!.nsPerDelta);
  const results = Object.fromEntries(
    reports.map((r) => {
      const m = median(r.nsPerDelta);
      return [
        r.contestant,
        {
          median: m,
          min: Math.min(...r.nsPerDelta),
          max: Math.max(...r.nsPerDelta),
          overhead: m - base,
          vsPassThrough: m / base,
          emissions: r.emissions,
          nsPerEmission: (m * deltas.length) / r.emissions,
          virtualMs: r.virtualMs,
        },
      ];
    }),
  );

  const lines: string[] = [];
  lines.push(
    `### ns per delta (median of ${ROUNDS} runs after ${WARMUP} warm-up, lower is better)`,
  );
  lines.push('');
  lines.push(
    '| operator | median | min–max | overhead vs pass-through | × pass-through | emissions | virtual duration |',
  );
  lines.push('|---|--:|--:|--:|--:|--:|--:|');
  for (const name of NAMES) {
    const r = results[name]!;
    lines.push(
      `| ${CONTESTANTS[name]!.label} | ${fmt(r.median)} | ${fmt(r.min)}–${fmt(r.max)} | ${name === 'pass-through' ? '—' : `+${fmt(r.overhead)}`} | ${r.vsPassThrough.toFixed(2)}× | ${count(r.emissions)} | ${(r.virtualMs / 1000).toFixed(1)} s |`,
    );
  }
  lines.push('');
  lines.push('Every run of every operator produced output that concatenates to exactly the input.');
  console.log(lines.join('\n'));

  const long: LongReport[] = [];
  if (LONG) {
    for (const name of LONG_CASES) {
      const report = await runChild<LongReport>(name, '--long');
      long.push(report);
      process.stderr.write(`  ${name}: ${fmt(median(report.ms))} ms\n`);
    }
    console.log(longTable(long));
  }

  const file = await writeResults('operators', {
    config: {
      deltas: deltas.length,
      units: text.length,
      graphemes,
      gapMs: GAP,
      rounds: ROUNDS,
      warmup: WARMUP,
      scheduler: 'VirtualClock (virtual time, actions reschedule in place); wall time of flush()',
    },
    contestants: Object.fromEntries(NAMES.map((n) => [n, CONTESTANTS[n]!.label])),
    results,
    raw: reports,
    long: { kb: LONG_KB, rounds: LONG_ROUNDS, node: process.version, cases: long },
  });
  console.log(`\nJSON: ${file}`);
}

function longTable(reports: LongReport[]): string {
  const lines = [
    '',
    `### bufferText over ${LONG_KB} kB (${process.version}; median of ${LONG_ROUNDS} runs after 1 warm-up)`,
    '',
    '| unit | input | total ms | µs per kB | push, 99.9th percentile | longest push | units |',
    '|---|---|--:|--:|--:|--:|--:|',
  ];
  const us = (ms: number) => `${fmt(ms * 1000)} µs`;
  for (const r of reports) {
    const [mode, input] = r.case.split(':') as [string, string];
    const ms = median(r.ms);
    lines.push(
      `| ${String(LONG_MODES[mode])} | ${LONG_INPUTS[input]!.label} | ${fmt(ms)} | ${fmt((ms * 1e6) / r.length)} | ${us(r.p999Ms)} | ${us(r.worstMs)} (${count(r.worstLength)} chars) | ${count(r.units)} |`,
    );
  }
  lines.push('');
  lines.push(
    'The longest push of small deltas is mostly the OS or a garbage collection landing in it; the 99.9th percentile is the push itself.',
  );
  return lines.join('\n');
}

const longAt = process.argv.indexOf('--long');
const childAt = process.argv.indexOf('--child');
if (longAt >= 0) {
  const name = process.argv[longAt + 1];
  if (!name || !LONG_CASES.includes(name))
    throw new Error(`usage: --long <${LONG_CASES.join('|')}>`);
  try {
    longChild(name);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
} else if (childAt >= 0) {
  const name = process.argv[childAt + 1];
  if (!name || !(name in CONTESTANTS)) throw new Error(`usage: --child <${NAMES.join('|')}>`);
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
