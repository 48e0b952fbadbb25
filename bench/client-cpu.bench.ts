/*
 * The client's own CPU cost, with no network: the same 16 KiB pieces of one OpenAI-shaped stream
 * fed synchronously, so only parsing, validation and the client's layers are timed.
 *
 *   floor    eventsource-parser + one streaming TextDecoder + JSON.parse (no validation)
 *   pipe     from(pieces).pipe(decodeSse(), parseChunks(), contentDeltas())
 *   client   createChatClient with a transport that answers synchronously with those pieces,
 *            .stream(request).pipe(contentDeltas()), defaults (timeouts and retry) on
 *   bare     the same client with timeout: false and retry: false
 * and the fixed cost per stream: many one-chunk streams through `pipe` and `client`.
 *
 * Each contestant runs in a fresh process (warm-up, then the median of BENCH_ROUNDS runs).
 * Run with `npm run bench:cpu`. Numbers are for comparison on one machine, not a test.
 */
import { createParser } from 'eventsource-parser';
import { execFileSync } from 'node:child_process';
import { from, of } from 'rxjs';
import { contentDeltas, createChatClient, decodeSse, parseChunks } from './rxchat';
import { writeResults } from './shared';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 20_000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31);
const WARMUP = 5;
const request = { model: 'm', messages: [{ role: 'user' as const, content: 'Hi' }] };

function stream(chunks: number): Uint8Array[] {
  const base = { id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'm' };
  let text = '';
  for (let i = 0; i < chunks; i++) {
    const delta = { content: `héllo wörld ${i} ` };
    const finish = i === chunks - 1 ? 'stop' : null;
    text += `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  }
  text += 'data: [DONE]\n\n';
  const bytes = Buffer.from(text);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 16 * 1024)
    pieces.push(bytes.subarray(at, at + 16 * 1024));
  return pieces;
}

const answering = (pieces: Uint8Array[]) => () =>
  of({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: from(pieces) });

/** Each contestant: one run, returning the number of content deltas it read. */
const CONTESTANTS: Record<string, { unit: 'chunk' | 'stream'; run: (p: Uint8Array[]) => number }> =
  {
    floor: {
      unit: 'chunk',
      run(pieces) {
        let n = 0;
        const decoder = new TextDecoder();
        const parser = createParser({
          onEvent(event) {
            if (event.data === '[DONE]') return;
            const chunk = JSON.parse(event.data) as {
              choices?: { delta?: { content?: string } }[];
            };
            if (chunk.choices?.[0]?.delta?.content) n++;
          },
        });
        for (const piece of pieces) parser.feed(decoder.decode(piece, { stream: true }));
        return n;
      },
    },
    pipe: {
      unit: 'chunk',
      run(pieces) {
        let n = 0;
        from(pieces)
          .pipe(decodeSse(), parseChunks(), contentDeltas())
          .subscribe(() => n++);
        return n;
      },
    },
    client: {
      unit: 'chunk',
      run(pieces) {
        let n = 0;
        const client = createChatClient({ baseURL: 'http://x/v1', transport: answering(pieces) });
        client
          .stream(request)
          .pipe(contentDeltas())
          .subscribe(() => n++);
        return n;
      },
    },
    bare: {
      unit: 'chunk',
      run(pieces) {
        let n = 0;
        const transport = answering(pieces);
        const client = createChatClient({
          baseURL: 'http://x/v1',
          transport,
          timeout: false,
          retry: false,
        });
        client
          .stream(request)
          .pipe(contentDeltas())
          .subscribe(() => n++);
        return n;
      },
    },
    'pipe-per-stream': {
      unit: 'stream',
      run(pieces) {
        let n = 0;
        for (let i = 0; i < STREAMS; i++)
          from(pieces)
            .pipe(decodeSse(), parseChunks(), contentDeltas())
            .subscribe(() => n++);
        return n;
      },
    },
    'client-per-stream': {
      unit: 'stream',
      run(pieces) {
        let n = 0;
        const client = createChatClient({ baseURL: 'http://x/v1', transport: answering(pieces) });
        for (let i = 0; i < STREAMS; i++)
          client
            .stream(request)
            .pipe(contentDeltas())
            .subscribe(() => n++);
        return n;
      },
    },
  };

function child(name: string): void {
  const { unit, run } = CONTESTANTS[name]!;
  const pieces = stream(unit === 'chunk' ? CHUNKS : 1);
  const expected = unit === 'chunk' ? CHUNKS : STREAMS;
  const times: number[] = [];
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const start = process.hrtime.bigint();
    const n = run(pieces);
    const ns = Number(process.hrtime.bigint() - start);
    if (n !== expected) throw new Error(`${name}: read ${n} deltas, expected ${expected}`);
    if (round >= WARMUP) times.push(ns / expected);
  }
  times.sort((a, b) => a - b);
  process.stdout.write(
    JSON.stringify({ median: times[times.length >> 1], min: times[0], max: times.at(-1) }),
  );
}

async function main(): Promise<void> {
  const results: Record<string, { median: number; min: number; max: number }> = {};
  for (const name of Object.keys(CONTESTANTS)) {
    const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--child', name], {
      encoding: 'utf8',
    });
    results[name] = JSON.parse(out) as { median: number; min: number; max: number };
    process.stderr.write(`  ${name}: ${results[name].median.toFixed(0)} ns\n`);
  }
  const floor = results.floor!.median;
  const lines = [
    `### ns per chunk, ${CHUNKS.toLocaleString('en-US')} chunks in 16 KiB pieces, no network (median of ${ROUNDS})`,
    '',
    '| contestant | median | min–max | vs floor |',
    '|---|--:|--:|--:|',
    ...['floor', 'pipe', 'client', 'bare'].map((name) => {
      const r = results[name]!;
      return `| ${name} | ${r.median.toFixed(0)} | ${r.min.toFixed(0)}–${r.max.toFixed(0)} | ${(r.median / floor).toFixed(2)}× |`;
    }),
    '',
    `### µs per stream (one-chunk streams, ${STREAMS.toLocaleString('en-US')} in a row)`,
    '',
    '| contestant | median | min–max |',
    '|---|--:|--:|',
    ...['pipe-per-stream', 'client-per-stream'].map((name) => {
      const r = results[name]!;
      return `| ${name} | ${(r.median / 1000).toFixed(2)} | ${(r.min / 1000).toFixed(2)}–${(r.max / 1000).toFixed(2)} |`;
    }),
  ];
  console.log(lines.join('\n'));
  console.log(
    `\nJSON: ${await writeResults('client-cpu', { config: { chunks: CHUNKS, streams: STREAMS, rounds: ROUNDS }, results })}`,
  );
}

const at = process.argv.indexOf('--child');
if (at >= 0) child(process.argv[at + 1]!);
else
  void main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
