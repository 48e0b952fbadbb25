/*
 * What the benchmarks share: the token vocabulary of their streams, a seeded PRNG so every
 * process builds the same bytes, medians, and writing results with the machine they ran on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';

/** Content tokens of the benchmark streams: accents, Greek, Cyrillic, CJK, Hangul, emoji, escapes. */
/** The fields every benchmark chunk carries besides its choices (an OpenAI-shaped chunk). */
export const CHUNK_BASE = {
  id: 'chatcmpl-CBench0123456789abcdefABCDEF',
  object: 'chat.completion.chunk',
  created: 1763700000,
  model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_560af6e559',
};

export const TOKENS = [
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
  ' résumé',
  ' Zürich',
  ' Ωμέγα',
  ' Привет',
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
  ' 👩‍💻',
  ' 🇫🇷',
  ' "quoted"',
  '\n',
  '\n\n',
  ' a\\b',
  ' €5',
  ' ½',
];

/** Deterministic PRNG (mulberry32), so every process builds the same bytes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The machine a result was measured on. */
export function machine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

/**
 * Writes `bench/results/<name>-<date>.json` with the date, the machine and `data`, formatted with
 * the repo's own prettier settings (so `prettier --check .` accepts it). Returns the path,
 * relative to the working directory.
 */
export async function writeResults(name: string, data: Record<string, unknown>): Promise<string> {
  const date = new Date().toISOString();
  const file = path.join(__dirname, 'results', `${name}-${date.slice(0, 10)}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  const json = JSON.stringify({ date, machine: machine(), ...data });
  writeFileSync(file, await format(json, { ...(await resolveConfig(file)), parser: 'json' }));
  return path.relative(process.cwd(), file);
}

/**
 * The SSE events of one realistic OpenAI chat stream, the same in every bench that uses it: a
 * role chunk, `chunks - 2` content chunks with tokens drawn from {@link TOKENS} by a PRNG seeded
 * with 6, a finish chunk, a usage chunk (`choices: []`) and `[DONE]`. Each event is
 * `data: ...\n\n`. `text` is the content every reader must reproduce; `chunks` counts the JSON
 * chunks (the usage chunk included).
 */
export function chatStreamEvents(chunks: number): {
  events: string[];
  text: string;
  chunks: number;
} {
  const random = prng(6);
  const events: string[] = [];
  let text = '';
  const push = (data: string) => events.push(`data: ${data}\n\n`);
  const base = CHUNK_BASE;
  for (let i = 0; i < chunks; i++) {
    const last = i === chunks - 1;
    let delta: Record<string, unknown>;
    if (i === 0) delta = { role: 'assistant', content: '', refusal: null };
    else if (last) delta = {};
    else {
      const token = TOKENS[Math.floor(random() * TOKENS.length)]!;
      delta = { content: token };
      text += token;
    }
    push(
      JSON.stringify({
        ...base,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: last ? 'stop' : null }],
      }),
    );
  }
  push(
    JSON.stringify({
      ...base,
      choices: [],
      usage: {
        prompt_tokens: 42,
        completion_tokens: chunks,
        total_tokens: chunks + 42,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
    }),
  );
  push('[DONE]');
  return { events, text, chunks: chunks + 1 };
}

/** Latency samples in ms (a fixed-size buffer; samples past its size are dropped). */
export class Samples {
  values: Float64Array;
  count = 0;
  constructor(size: number) {
    this.values = new Float64Array(size);
  }
  add(ms: number) {
    if (this.count < this.values.length) this.values[this.count++] = ms;
  }
  quantile(q: number): number {
    const sorted = this.values.subarray(0, this.count).sort();
    return sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
      : NaN;
  }
}
