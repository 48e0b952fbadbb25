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
 */
import { median, prng, writeResults } from './shared';
import { fork } from 'node:child_process';
import {
  map,
  Observable,
  Subscription,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { bufferText, smoothText, throttleText } from './rxchat';

const DELTAS = Number(process.env.BENCH_DELTAS ?? 200_000);
const GAP = Number(process.env.BENCH_GAP ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);

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

function runChild(name: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const proc = fork(process.argv[1]!, ['--child', name], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: ChildReport | undefined;
    proc.on('message', (message) => (report = message as ChildReport));
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
  });
  console.log(`\nJSON: ${file}`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
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
