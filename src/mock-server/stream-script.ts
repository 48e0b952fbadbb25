// What a faulty stream writes: a dialect's frames with the faults applied.
import type { ErrorFault, Fault } from './faults';
import type { SseFrame } from './frames';

/**
 * How often `stall:keepalive` sends its `: keep-alive` comment, in milliseconds.
 *
 * @example
 * ```ts
 * // An idle timeout above this still fires: comments are no data.
 * client.stream(request, { timeout: { idle: 5 * KEEPALIVE_INTERVAL_MS } });
 * ```
 */
export const KEEPALIVE_INTERVAL_MS = 100;

/**
 * What a streamed response writes: its frames in order, then how it ends: `end` (the response
 * ends), `destroy` (the socket is destroyed), `stall` (nothing more, until the client leaves) or
 * `keepalive` (a comment every {@link KEEPALIVE_INTERVAL_MS}, until the client leaves).
 *
 * @example
 * ```ts
 * const script = scriptStream(dialect.stream(answer, options), faults, errorFrames);
 * for (const frame of script.frames) res.write(frame.text);
 * if (script.ending === 'end') res.end();
 * ```
 */
export interface StreamScript {
  frames: SseFrame[];
  ending: 'end' | 'destroy' | 'stall' | 'keepalive';
}

/**
 * Builds the error frames of `error-before` (a rate limit) or `error-after` (a server error), in
 * the dialect of the stream.
 *
 * @example
 * ```ts
 * const errorFrames: ErrorFramesOf = (fault) =>
 *   dialect.errorFrames(answer, rateLimitError(` (mock fault ${fault.spec})`), 429);
 * ```
 */
export type ErrorFramesOf = (fault: ErrorFault) => SseFrame[];

/**
 * The frames `malformed-json` and `oversized-event` insert, in the shape of the API being
 * streamed (chat chunks by default).
 *
 * @example
 * ```ts
 * const shapes: InsertShapes = { malformed: brokenEvent, oversized: (bytes) => paddingEvent(bytes) };
 * ```
 */
export interface InsertShapes {
  /** A frame whose JSON breaks off mid-string (the event itself is complete). */
  malformed: SseFrame;
  /** A valid event over `bytes` long that carries no output. */
  oversized(bytes: number): SseFrame;
}

/** Where the stream stops, how it ends, and the frames that close it. */
interface Cut {
  at: number;
  ending: StreamScript['ending'];
  closing: SseFrame[];
}

// A data line whose JSON breaks off mid-string (the event itself is complete).
const MALFORMED_FRAME: SseFrame = {
  text: 'data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"cut off\n\n',
  kind: 'data',
  tokens: false,
};

/**
 * Valid JSON with no choices: a client with a large enough bound reads past it unharmed. Written
 * out rather than through JSON.stringify, which would scan megabytes of padding for escapes.
 */
const oversizedFrame = (bytes: number): SseFrame => ({
  text: `data: {"object":"chat.completion.chunk","choices":[],"mock_padding":"${'x'.repeat(bytes)}"}\n\n`,
  kind: 'data',
  tokens: false,
});

const CHAT_SHAPES: InsertShapes = { malformed: MALFORMED_FRAME, oversized: oversizedFrame };

/**
 * The engine of {@link scriptStream}: positions in one dialect's frames ("after N token
 * chunks", "after the first data event"), the frames faults insert at them, and the earliest cut
 * so far.
 */
export class StreamScriptBuilder {
  /** The position after each token chunk. */
  private readonly tokenEnds: number[] = [];
  private readonly firstData: number;
  private readonly afterFirstData: number;
  private readonly inserts = new Map<number, SseFrame[]>();
  private cut: Cut | undefined;

  constructor(
    private readonly frames: readonly SseFrame[],
    private readonly shapes: InsertShapes = CHAT_SHAPES,
  ) {
    frames.forEach((frame, i) => {
      if (frame.tokens) this.tokenEnds.push(i + 1);
    });
    this.firstData = frames.findIndex((frame) => frame.kind === 'data');
    this.afterFirstData = this.firstData === -1 ? 0 : this.firstData + 1;
  }

  /** Applies one fault; those that do not shape a stream (`status`, `slow-headers`) do nothing. */
  apply(fault: Fault, errorFramesOf: ErrorFramesOf): void {
    switch (fault.kind) {
      case 'error-before':
        return this.cutAt(Math.max(0, this.firstData), 'end', errorFramesOf(fault));
      case 'error-after':
        return this.cutAt(this.afterTokens(fault.after), 'end', errorFramesOf(fault));
      case 'disconnect-after':
        return this.cutAt(this.afterTokens(fault.after), 'destroy');
      case 'stall':
        return this.cutAt(this.afterFirstData, fault.keepAlive ? 'keepalive' : 'stall');
      case 'malformed-json':
        return this.insert(this.afterTokens(fault.after), this.shapes.malformed);
      case 'oversized-event':
        return this.insert(this.afterFirstData, this.shapes.oversized(fault.bytes));
      default:
        return;
    }
  }

  /** The frames up to the cut, with the inserted ones, then the cut's closing frames. */
  script(): StreamScript {
    const end = this.cut?.at ?? this.frames.length;
    const out: SseFrame[] = [];
    for (let i = 0; i <= end; i++) {
      out.push(...(this.inserts.get(i) ?? []));
      if (i < end) out.push(this.frames[i]!);
    }
    out.push(...(this.cut?.closing ?? []));
    return { frames: out, ending: this.cut?.ending ?? 'end' };
  }

  /**
   * Where "after N token chunks" is: before the first token chunk for 0, after the last one for
   * any N past the end, after the first data event when no chunk carries tokens.
   */
  private afterTokens(n: number): number {
    const { tokenEnds } = this;
    if (tokenEnds.length === 0) return this.afterFirstData;
    if (n === 0) return tokenEnds[0]! - 1;
    return tokenEnds[Math.min(n, tokenEnds.length) - 1]!;
  }

  private insert(at: number, frame: SseFrame): void {
    this.inserts.set(at, [...(this.inserts.get(at) ?? []), frame]);
  }

  /** The ending fault that cuts earliest wins (the first applied, on a tie). */
  private cutAt(at: number, ending: Cut['ending'], closing: SseFrame[] = []): void {
    if (!this.cut || at < this.cut.at) this.cut = { at, ending, closing };
  }
}

/**
 * Applies the stream faults to a dialect's frames: inserts broken or oversized events, and cuts
 * the stream where the first ending fault (`error-before`, `error-after`, `disconnect-after`,
 * `stall`) says. Faults that do not shape a stream (`status`, `slow-headers`) are ignored here.
 * `shapes` gives the inserted frames another API's shape (default: chat chunks).
 *
 * @example
 * ```ts
 * const { frames, ending } = scriptStream(frames, [parseFault('disconnect-after:3')], errorFrames);
 * // frames stop after the third token chunk; ending === 'destroy'
 * ```
 */
export function scriptStream(
  frames: readonly SseFrame[],
  faults: readonly Fault[],
  errorFramesOf: ErrorFramesOf,
  shapes?: InsertShapes,
): StreamScript {
  const builder = new StreamScriptBuilder(frames, shapes);
  for (const fault of faults) builder.apply(fault, errorFramesOf);
  return builder.script();
}
