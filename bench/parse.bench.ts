/*
 * Chunks per second through decodeSse() + parseChunks() (lenient validation on) against the
 * floor: a bare eventsource-parser + JSON.parse loop over the same bytes, cut into the same
 * 1 KiB pieces, in the same process. Run with `npm run bench`.
 */
import { createParser } from 'eventsource-parser';
import { from } from 'rxjs';
import { decodeSse, finalCompletion, parseChunks } from './rxchat';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 100_000);
const PIECE = 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

let expectedText = '';

function makeStream(): Uint8Array {
  const words = [
    'The',
    ' quick',
    ' brown',
    ' fox',
    ' jumps',
    ' over',
    ' the',
    ' lazy',
    ' dog',
    '.',
    ' Ünïcödé',
    ' 世界',
    ' 👋',
  ];
  let text = '';
  for (let i = 0; i < CHUNKS; i++) {
    const chunk = {
      id: 'chatcmpl-BENCH0123456789abcdef',
      object: 'chat.completion.chunk',
      created: 1763700000,
      model: 'gpt-4o-mini-2024-07-18',
      service_tier: 'default',
      system_fingerprint: 'fp_0123456789',
      choices: [
        {
          index: 0,
          delta: { content: words[i % words.length] },
          logprobs: null,
          finish_reason: i === CHUNKS - 1 ? 'stop' : null,
        },
      ],
      usage: null,
      obfuscation: 'a1B2c3',
    };
    text += `data: ${JSON.stringify(chunk)}\n\n`;
    expectedText += words[i % words.length];
  }
  text += `data: ${JSON.stringify({ id: 'chatcmpl-BENCH', object: 'chat.completion.chunk', created: 1763700000, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 10, completion_tokens: CHUNKS, total_tokens: CHUNKS + 10 } })}\n\ndata: [DONE]\n\n`;
  return new TextEncoder().encode(text);
}

function cut(bytes: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += PIECE) pieces.push(bytes.subarray(i, i + PIECE));
  return pieces;
}

function floor(pieces: Uint8Array[]): number {
  let count = 0;
  const decoder = new TextDecoder();
  const parser = createParser({
    onEvent(event) {
      if (event.data === '[DONE]') return;
      JSON.parse(event.data);
      count++;
    },
  });
  for (const piece of pieces) parser.feed(decoder.decode(piece, { stream: true }));
  return count;
}

function rxchat(pieces: Uint8Array[]): number {
  let count = 0;
  from(pieces)
    .pipe(decodeSse(), parseChunks())
    .subscribe({
      next: (event) => {
        if (event.type === 'chunk') count++;
      },
      error: (error) => {
        throw error;
      },
    });
  return count;
}

function rxchatFolded(pieces: Uint8Array[]): number {
  let count = 0;
  from(pieces)
    .pipe(decodeSse(), parseChunks(), finalCompletion())
    .subscribe((completion) => {
      // Every chunk carried one word: the folded text proves each one was merged.
      if (completion.choices[0]?.message.content !== expectedText) throw new Error('wrong fold');
      count = CHUNKS;
    });
  return count;
}

function measure(name: string, fn: (pieces: Uint8Array[]) => number, pieces: Uint8Array[]): number {
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    const count = fn(pieces);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (count < CHUNKS) throw new Error(`${name} counted ${count} of ${CHUNKS + 1} chunks`);
    rates.push(count / seconds);
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  console.log(
    `${name.padEnd(44)} ${Math.round(median).toLocaleString('en-US').padStart(10)} chunks/s (median of ${ROUNDS})`,
  );
  return median;
}

const bytes = makeStream();
const pieces = cut(bytes);
console.log(
  `stream: ${CHUNKS.toLocaleString('en-US')} chunks, ${(bytes.length / 1048576).toFixed(1)} MiB, ${pieces.length.toLocaleString('en-US')} pieces of ${PIECE} B`,
);
// Warm both paths up (JIT) before measuring either.
floor(pieces);
rxchat(pieces);
const floorRate = measure('floor: eventsource-parser + JSON.parse', floor, pieces);
const rxRate = measure('rxchat: decodeSse + parseChunks (validated)', rxchat, pieces);
const foldedRate = measure('rxchat: ... + finalCompletion', rxchatFolded, pieces);
console.log(
  `ratio rxchat / floor: ${(rxRate / floorRate).toFixed(2)} (with accumulation: ${(foldedRate / floorRate).toFixed(2)})`,
);
