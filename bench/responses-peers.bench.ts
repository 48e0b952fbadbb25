/*
 * Responses API parse benchmark against peers, on identical bytes (issue 15).
 *
 * One long, realistic Responses stream (`POST /v1/responses`, `stream: true`: OpenAI's event
 * shapes and field order, `obfuscation` on every delta, non-ASCII text) is cut three ways (1 KiB
 * pieces, 16 KiB pieces, one event per piece; the byte cuts split UTF-8 characters) and fed to:
 *   floor                  eventsource-parser v3 + one streaming TextDecoder + JSON.parse per event
 *   rxchat                 decodeSse() + parseResponseEvents() (lenient validation), from an array
 *   rxchat-rs              the same, pieces from a ReadableStream (as the peers get them)
 *   rxchat-acc             decodeSse() + parseResponseEvents() + finalCompletion() (accumulate)
 *   openai-node            openai's Stream.fromSSEResponse over a fetch Response (no validation)
 *   openai-ResponseStream  openai's client.responses.stream() (the ResponseStream helper, which
 *                          accumulates the response), its fetch answering with the same bytes
 * Every consumer does the same work: count the events and concatenate the
 * `response.output_text.delta` deltas (the accumulating rows take the final text instead).
 *
 * A correctness gate runs first, in this process: every contestant must produce the expected
 * text and event count for every cut, else the bench exits 1. Then each contestant x cut runs in
 * a fresh child process: warm-up run(s), then timed runs; median and min-max ns per event.
 *
 * Run with `npx tsx bench/responses-peers.bench.ts` (env: BENCH_EVENTS, BENCH_ROUNDS,
 * BENCH_WARMUP). Writes a markdown table to stdout and JSON to
 * bench/results/responses-peers-<date>.json.
 */
import { median, prng, TOKENS, writeResults } from './shared';
import { createParser } from 'eventsource-parser';
import { execFileSync, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { Stream } from 'openai/streaming';
import { from, type Observable } from 'rxjs';
import { decodeSse, finalCompletion, parseResponseEvents } from './rxchat';

const DELTAS = Number(process.env.BENCH_EVENTS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);

// ---------------------------------------------------------------------------------------------
// The stream

interface BenchStream {
  bytes: Uint8Array;
  /** Byte offset where each SSE event (`event: ...\ndata: ...\n\n`) ends. */
  eventEnds: number[];
  /** The output text every contestant must reproduce. */
  text: string;
  /** Events in the stream: the deltas plus the lifecycle events. */
  events: number;
  sha256: string;
}

const RESPONSE_ID = 'resp_68c1f2b0a4e08190b1e6c5d2f3a4b5c60d1e2f3a4b5c6d7e';
const ITEM_ID = 'msg_68c1f2b1c3d48190a9b8c7d6e5f4a3b20d1e2f3a4b5c6d7e';
const OBFUSCATION = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The response object as OpenAI sends it in `response.created` (and, filled in, at the end). */
function responseObject(status: string, output: unknown[], usage: unknown) {
  return {
    id: RESPONSE_ID,
    object: 'response',
    created_at: 1763700000,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    max_tool_calls: null,
    model: 'gpt-4.1-mini-2025-04-14',
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    prompt_cache_key: null,
    reasoning: { effort: null, summary: null },
    safety_identifier: null,
    service_tier: 'default',
    store: true,
    temperature: 1.0,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_logprobs: 0,
    top_p: 1.0,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  };
}

/**
 * The SSE events of one text answer of `deltas` deltas, in OpenAI's order and field order:
 * created, in_progress, output_item.added, content_part.added, the deltas (tokens from TOKENS by
 * a PRNG seeded with 15, each with an `obfuscation` of 2-15 random characters), output_text.done,
 * content_part.done, output_item.done, completed (with the whole response and its usage).
 */
function responsesStreamEvents(deltas: number): { events: string[]; text: string } {
  const random = prng(15);
  const events: string[] = [];
  let sequence = 0;
  const push = (type: string, fields: Record<string, unknown>) =>
    events.push(
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`,
    );
  const tokens: string[] = [];
  for (let i = 0; i < deltas; i++) tokens.push(TOKENS[Math.floor(random() * TOKENS.length)]!);
  const text = tokens.join('');

  push('response.created', { response: responseObject('in_progress', [], null) });
  push('response.in_progress', { response: responseObject('in_progress', [], null) });
  const at = { output_index: 0 };
  push('response.output_item.added', {
    ...at,
    item: { id: ITEM_ID, type: 'message', status: 'in_progress', content: [], role: 'assistant' },
  });
  const partAt = { item_id: ITEM_ID, output_index: 0, content_index: 0 };
  push('response.content_part.added', {
    ...partAt,
    part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
  });
  for (const delta of tokens) {
    let obfuscation = '';
    const length = 2 + Math.floor(random() * 14);
    for (let j = 0; j < length; j++)
      obfuscation += OBFUSCATION[Math.floor(random() * OBFUSCATION.length)];
    push('response.output_text.delta', { ...partAt, delta, logprobs: [], obfuscation });
  }
  push('response.output_text.done', { ...partAt, text, logprobs: [] });
  const part = { type: 'output_text', annotations: [], logprobs: [], text };
  push('response.content_part.done', { ...partAt, part });
  const item = {
    id: ITEM_ID,
    type: 'message',
    status: 'completed',
    content: [part],
    role: 'assistant',
  };
  push('response.output_item.done', { ...at, item });
  push('response.completed', {
    response: responseObject('completed', [item], {
      input_tokens: 42,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: deltas,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: deltas + 42,
    }),
  });
  return { events, text };
}

function makeStream(deltas: number): BenchStream {
  const { events, text } = responsesStreamEvents(deltas);
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
  return { bytes, eventEnds, text, events: events.length, sha256 };
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

function sseResponse(pieces: Uint8Array[]): Response {
  return new Response(readableOf(pieces), { headers: { 'content-type': 'text/event-stream' } });
}

// ---------------------------------------------------------------------------------------------
// The contestants

interface RunResult {
  events: number;
  text: string;
}

type Contestant = (pieces: Uint8Array[], gate: boolean) => Promise<RunResult>;

/** The same consumer work for everyone: the delta of a `response.output_text.delta`. */
function deltaOf(event: unknown): string {
  const { type, delta } = event as { type?: unknown; delta?: unknown };
  return type === 'response.output_text.delta' && typeof delta === 'string' ? delta : '';
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

/** An OpenAI client whose fetch answers every request with the bench's bytes, no network. */
function openaiClient(pieces: Uint8Array[]): OpenAI {
  return new OpenAI({
    apiKey: 'sk-bench',
    baseURL: 'http://127.0.0.1:9/v1',
    maxRetries: 0,
    fetch: async () => sseResponse(pieces),
  });
}

const CONTESTANTS: Record<string, { label: string; run: Contestant }> = {
  floor: {
    label: 'floor: eventsource-parser + TextDecoder + JSON.parse',
    run: async (pieces) => {
      let events = 0;
      let text = '';
      const decoder = new TextDecoder();
      const parser = createParser({
        onEvent(event) {
          if (event.data === '[DONE]') return;
          text += deltaOf(JSON.parse(event.data));
          events++;
        },
      });
      for (const piece of pieces) parser.feed(decoder.decode(piece, { stream: true }));
      parser.feed(decoder.decode());
      return { events, text };
    },
  },
  rxchat: {
    label: 'rxchat: decodeSse + parseResponseEvents (validated)',
    run: async (pieces) => {
      let events = 0;
      let text = '';
      runObservable(from(pieces).pipe(decodeSse(), parseResponseEvents()), (event) => {
        if (event.type !== 'responses') return;
        text += deltaOf(event.event);
        events++;
      });
      return { events, text };
    },
  },
  'rxchat-rs': {
    label: 'rxchat: same, fed from a ReadableStream',
    run: async (pieces) => {
      let events = 0;
      let text = '';
      // rxjs types a DOM ReadableStream's items loosely; the bytes are Uint8Array.
      const body = from(readableOf(pieces)) as Observable<Uint8Array>;
      await drainObservable(body.pipe(decodeSse(), parseResponseEvents()), (event) => {
        if (event.type !== 'responses') return;
        text += deltaOf(event.event);
        events++;
      });
      return { events, text };
    },
  },
  'rxchat-acc': {
    label: 'rxchat: + finalCompletion (accumulate)',
    run: async (pieces, gate) => {
      const events$ = from(pieces).pipe(decodeSse(), parseResponseEvents());
      let events = 0;
      // The gate also counts the events that go into the fold; timed runs do only the fold.
      if (gate)
        runObservable(events$, (event) => {
          if (event.type === 'responses') events++;
        });
      let text = '';
      runObservable(events$.pipe(finalCompletion()), (completion) => {
        text = completion.choices[0]?.message.content ?? '';
      });
      return { events, text };
    },
  },
  'openai-node': {
    label: 'openai-node: Stream.fromSSEResponse',
    run: async (pieces) => {
      let events = 0;
      let text = '';
      const stream = Stream.fromSSEResponse<unknown>(sseResponse(pieces), new AbortController());
      for await (const event of stream) {
        text += deltaOf(event);
        events++;
      }
      return { events, text };
    },
  },
  'openai-ResponseStream': {
    label: 'openai-node: responses.stream() ResponseStream (accumulate)',
    run: async (pieces, gate) => {
      const stream = openaiClient(pieces).responses.stream({ model: 'bench', input: 'hi' });
      let events = 0;
      // As rxchat-acc: the gate also counts the events; timed runs only await the final response.
      if (gate) stream.on('event', () => events++);
      const response = await stream.finalResponse();
      const content = response.output[0]?.type === 'message' ? response.output[0].content[0] : null;
      return { events, text: content?.type === 'output_text' ? content.text : '' };
    },
  },
};

const NAMES = Object.keys(CONTESTANTS);

// ---------------------------------------------------------------------------------------------
// Child: one contestant x one cut, fresh process

interface ChildReport {
  contestant: string;
  cut: Cut;
  /** Wall time per event, one per timed run. */
  nsPerEvent: number[];
  /** CPU time (user + system, all threads of the process) per event, one per timed run. */
  cpuNsPerEvent: number[];
}

async function child(name: string, cut: Cut, sha256: string): Promise<void> {
  const stream = makeStream(DELTAS);
  if (stream.sha256 !== sha256) throw new Error('child built different bytes than the parent');
  const pieces = cutStream(stream, cut);
  const { run } = CONTESTANTS[name]!;
  const check = (result: RunResult) => {
    if (result.text !== stream.text) throw new Error(`${name}/${cut}: wrong output text`);
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < WARMUP; i++) check(await run(pieces, false));
  const nsPerEvent: number[] = [];
  const cpuNsPerEvent: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    gc?.();
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    const result = await run(pieces, false);
    const ns = Number(process.hrtime.bigint() - start);
    const cpu = process.cpuUsage(cpuStart);
    check(result);
    nsPerEvent.push(ns / stream.events);
    cpuNsPerEvent.push(((cpu.user + cpu.system) * 1000) / stream.events);
  }
  const report: ChildReport = { contestant: name, cut, nsPerEvent, cpuNsPerEvent };
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

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const stream = makeStream(DELTAS);
  const cuts = CUTS.map((cut) => {
    const pieces = cutStream(stream, cut);
    return { cut, pieces: pieces.length, midCharCuts: midCharCuts(pieces) };
  });
  console.log(
    `stream: ${stream.events.toLocaleString('en-US')} Responses events ` +
      `(${DELTAS.toLocaleString('en-US')} text deltas), ` +
      `${(stream.bytes.length / 1048576).toFixed(2)} MiB, ${stream.text.length.toLocaleString('en-US')} ` +
      `UTF-16 units of text, sha256 ${stream.sha256.slice(0, 16)}…`,
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
        if (result.events !== stream.events)
          failures.push(`${name}/${cut}: ${result.events} events, expected ${stream.events}`);
        if (result.text !== stream.text)
          failures.push(`${name}/${cut}: output text differs from the expected text`);
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
    `gate: all ${NAMES.length} contestants x ${CUTS.length} cuts produce the same text and event count\n`,
  );

  // Timed runs, one fresh process each, one at a time.
  const results: Record<
    Cut,
    Record<string, { median: number; min: number; max: number; cpuMedian: number }>
  > = {
    '1KiB': {},
    '16KiB': {},
    event: {},
  };
  const raw: ChildReport[] = [];
  for (const cut of CUTS) {
    for (const name of NAMES) {
      const report = await runChild(name, cut, stream.sha256);
      raw.push(report);
      const ns = report.nsPerEvent;
      results[cut][name] = {
        median: median(ns),
        min: Math.min(...ns),
        max: Math.max(...ns),
        cpuMedian: median(report.cpuNsPerEvent),
      };
      process.stderr.write(
        `  ${cut} ${name}: ${fmt(results[cut][name].median)} ns/event ` +
          `(CPU ${fmt(results[cut][name].cpuMedian)})\n`,
      );
    }
  }

  // Tables.
  const lines: string[] = [];
  lines.push(
    `### ns per event (median of ${ROUNDS} runs after ${WARMUP} warm-up, lower is better)`,
  );
  lines.push('');
  lines.push('| cut | contestant | median | min–max | vs floor | CPU median | CPU vs floor |');
  lines.push('|---|---|--:|--:|--:|--:|--:|');
  for (const cut of CUTS) {
    const floor = results[cut].floor!;
    for (const name of NAMES) {
      const r = results[cut][name]!;
      lines.push(
        `| ${cut} | ${CONTESTANTS[name]!.label} | ${fmt(r.median)} | ${fmt(r.min)}–${fmt(r.max)} | ` +
          `${ratio(r.median / floor.median)} | ${fmt(r.cpuMedian)} | ${ratio(r.cpuMedian / floor.cpuMedian)} |`,
      );
    }
  }
  lines.push('');
  lines.push('### rxchat speed-up over openai-node (peer ns / rxchat ns, higher is better)');
  lines.push('');
  lines.push(`| rxchat path | vs | ${CUTS.join(' | ')} |`);
  lines.push(`|---|---|${CUTS.map(() => '--:').join('|')}|`);
  const pairs: [string, string][] = [
    ['rxchat', 'openai-node'],
    ['rxchat-rs', 'openai-node'],
    ['rxchat-acc', 'openai-node'],
    ['rxchat-acc', 'openai-ResponseStream'],
  ];
  for (const [ours, peer] of pairs) {
    const cells = CUTS.map((cut) => ratio(results[cut][peer]!.median / results[cut][ours]!.median));
    lines.push(`| ${ours} | ${peer} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push('### Targets (issue 15), worst cut');
  lines.push('');
  const worst = (f: (cut: Cut) => number, higherIsBetter: boolean) => {
    const values = CUTS.map(f);
    return higherIsBetter ? Math.min(...values) : Math.max(...values);
  };
  type Measure = 'median' | 'cpuMedian';
  const of = (cut: Cut, name: string, m: Measure) => results[cut][name]![m];
  const targets = [
    {
      target: 'rxchat ≤ 1.3× the floor',
      value: (m: Measure) => worst((cut) => of(cut, 'rxchat', m) / of(cut, 'floor', m), false),
      pass: (v: number) => v <= 1.3,
    },
    {
      target: 'rxchat ≥ 3× faster than openai-node',
      value: (m: Measure) => worst((cut) => of(cut, 'openai-node', m) / of(cut, 'rxchat', m), true),
      pass: (v: number) => v >= 3,
    },
  ].map((t) => ({
    target: t.target,
    wall: t.value('median'),
    cpu: t.value('cpuMedian'),
    pass: t.pass,
  }));
  lines.push('| target | wall (worst cut) | met | CPU (worst cut) | met |');
  lines.push('|---|--:|:-:|--:|:-:|');
  const met = (t: (typeof targets)[number], v: number) => (t.pass(v) ? 'yes' : 'NO');
  for (const t of targets)
    lines.push(
      `| ${t.target} | ${ratio(t.wall)} | ${met(t, t.wall)} | ${ratio(t.cpu)} | ${met(t, t.cpu)} |`,
    );
  console.log(lines.join('\n'));

  const file = await writeResults('responses-peers', {
    // A pinned build (BENCH_RXCHAT_BUILT) may come from another commit than HEAD: say which ran.
    rxchat: {
      build: process.env.BENCH_RXCHAT_BUILT ?? 'dist/ (rebuilt from src/ when older)',
      head: gitCommit(),
    },
    config: {
      deltas: DELTAS,
      events: stream.events,
      bytes: stream.bytes.length,
      rounds: ROUNDS,
      warmup: WARMUP,
    },
    stream: { sha256: stream.sha256, cuts },
    contestants: Object.fromEntries(NAMES.map((n) => [n, CONTESTANTS[n]!.label])),
    results,
    targets: targets.map((t) => ({
      target: t.target,
      wall: t.wall,
      wallMet: t.pass(t.wall),
      cpu: t.cpu,
      cpuMet: t.pass(t.cpu),
    })),
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
