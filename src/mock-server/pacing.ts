import type { SseFrame } from './frames';

/**
 * How fast the mock server streams: a wait before the first event, then a wait per token, each
 * varied by a seeded jitter so that runs are reproducible. All times are in milliseconds.
 *
 * Fields left out mean "no wait": `{}` streams as fast as `'none'`.
 *
 * @example
 * ```ts
 * import { startMockServer } from 'rxchat/mock-server';
 *
 * // A slow model: 1 s to the first token, then 10 tokens per second, ±20 %, reproducibly.
 * const server = await startMockServer({
 *   pace: { firstTokenMs: 1000, tokensPerSecond: 10, jitter: 0.2, seed: 42 },
 * });
 * ```
 */
export interface PaceOptions {
  /** The wait after the response headers, before the first event. Default 0. */
  firstTokenMs?: number;
  /** Tokens per second once streaming (a wait of `1000 / tokensPerSecond` per token). Default: no wait. */
  tokensPerSecond?: number;
  /** The fraction (0..1) by which each wait may randomly grow or shrink. Default 0. */
  jitter?: number;
  /** The seed of the jitter. Default: derived from the request, so a prompt always paces alike. */
  seed?: number;
}

/**
 * How the mock server paces its streams: explicit {@link PaceOptions}, `'realistic'`
 * ({@link REALISTIC_PACE}) or `'none'` (no waits at all, for tests).
 *
 * @example
 * ```ts
 * const pace: PaceSetting = process.env.CI ? 'none' : 'realistic';
 * const server = await startMockServer({ pace });
 * ```
 */
export type PaceSetting = PaceOptions | 'realistic' | 'none';

/**
 * What `pace: 'realistic'` means: 300 ms to the first token, then 60 tokens per second, ±30 %.
 *
 * @example
 * ```ts
 * const server = await startMockServer({ pace: { ...REALISTIC_PACE, tokensPerSecond: 20 } });
 * ```
 */
export const REALISTIC_PACE: Readonly<PaceOptions> = Object.freeze({
  firstTokenMs: 300,
  tokensPerSecond: 60,
  jitter: 0.3,
});

/**
 * Reads a pace setting (or an `x-mock-pace` header value) into explicit {@link PaceOptions};
 * throws a `RangeError` naming the field when it is invalid.
 *
 * @example
 * ```ts
 * resolvePace('realistic'); // { firstTokenMs: 300, tokensPerSecond: 60, jitter: 0.3 }
 * resolvePace('none'); // {}
 * resolvePace({ jitter: 2 }); // throws RangeError: Invalid pace.jitter: 2
 * ```
 */
export function resolvePace(setting: PaceSetting | string | undefined): PaceOptions {
  if (setting === undefined || setting === 'none') return {};
  if (setting === 'realistic') return { ...REALISTIC_PACE };
  if (typeof setting !== 'object' || setting === null) {
    throw new RangeError(`Unknown pace "${String(setting)}": use none, realistic or PaceOptions`);
  }
  const { firstTokenMs, tokensPerSecond, jitter, seed } = setting;
  const check = (name: string, value: number | undefined, ok: (v: number) => boolean) => {
    if (value !== undefined && (typeof value !== 'number' || !ok(value))) {
      throw new RangeError(`Invalid pace.${name}: ${String(value)}`);
    }
  };
  check('firstTokenMs', firstTokenMs, (v) => Number.isFinite(v) && v >= 0);
  check('tokensPerSecond', tokensPerSecond, (v) => v > 0);
  check('jitter', jitter, (v) => v >= 0 && v <= 1);
  check('seed', seed, Number.isFinite);
  return { firstTokenMs, tokensPerSecond, jitter, seed };
}

/**
 * mulberry32: a tiny seeded generator of numbers in [0, 1). Good enough for jitter and padding,
 * and the same on every platform, so paced runs and padded chunks are reproducible.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random() === seededRandom(42)(); // true
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The waits of one response, in the order its events go out.
 *
 * @example
 * ```ts
 * await sleep(pacer.first()); // before the first event
 * await sleep(pacer.token()); // before each later event that carries a token
 * ```
 */
export interface Pacer {
  /** The wait before the first event after the headers. */
  first(): number;
  /** The wait before an event that carries a token. */
  token(): number;
}

/**
 * Builds the {@link Pacer} of one response: each wait is its nominal length times
 * `1 ± jitter` (seeded), rounded to whole milliseconds. `requestSeed` is used when the pace has
 * no seed of its own, so the same prompt is paced alike on every run.
 *
 * @example
 * ```ts
 * const pacer = createPacer({ firstTokenMs: 300, tokensPerSecond: 60, jitter: 0.3 }, answer.seed);
 * pacer.first(); // 210..390
 * pacer.token(); // 12..22
 * ```
 */
export function createPacer(pace: PaceOptions, requestSeed: number): Pacer {
  const random = seededRandom(pace.seed ?? requestSeed);
  const jitter = pace.jitter ?? 0;
  const vary = (ms: number) =>
    ms > 0 ? Math.max(0, Math.round(ms * (1 + jitter * (2 * random() - 1)))) : 0;
  const perToken =
    pace.tokensPerSecond && Number.isFinite(pace.tokensPerSecond) ? 1000 / pace.tokensPerSecond : 0;
  return {
    first: () => vary(pace.firstTokenMs ?? 0),
    token: () => vary(perToken),
  };
}

/**
 * The waits of one streamed response, frame by frame: the first-token wait before the first
 * event that is not a comment (comments such as OpenRouter's come at once), then a token wait
 * before each frame that carries tokens.
 *
 * @example
 * ```ts
 * const pacing = new FramePacing(createPacer(pace, answer.seed));
 * for (const frame of frames) await lifetime.sleep(pacing.waitBefore(frame));
 * ```
 */
export class FramePacing {
  private waitedFirst = false;

  constructor(private readonly pacer: Pacer) {}

  /** The wait before `frame`, in milliseconds (0: none). */
  waitBefore(frame: SseFrame): number {
    if (!this.waitedFirst && frame.kind !== 'comment') {
      this.waitedFirst = true;
      return this.pacer.first();
    }
    return frame.tokens ? this.pacer.token() : 0;
  }
}

/**
 * The wait of an answer sent whole (a JSON completion): it comes when it is complete, after the
 * first-token wait and every token's.
 *
 * @example
 * ```ts
 * await lifetime.sleep(wholeAnswerWait(createPacer(pace, answer.seed), 24));
 * ```
 */
export function wholeAnswerWait(pacer: Pacer, tokens: number): number {
  let wait = pacer.first();
  for (let i = tokens; i > 0; i--) wait += pacer.token();
  return wait;
}
