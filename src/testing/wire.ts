import type { ProviderErrorDetails } from '../errors';

/** A line ending an SSE stream may use. */
export type LineEnding = '\n' | '\r\n' | '\r';

/** Options of {@link sseEvent}. */
export interface SseEventOptions {
  /** An `event:` field, e.g. `'error'`. */
  event?: string;
  /** An `id:` field. */
  id?: string;
  /** What ends each line and the event. Default `'\n'`. */
  lineEnding?: LineEnding;
}

/** The `[DONE]` sentinel, for value maps and payload lists. */
export const DONE = '[DONE]';

/**
 * One server-sent event carrying `data` (objects are JSON-encoded; a string with newlines becomes
 * several `data:` lines, as the SSE format requires).
 *
 * @example
 * ```ts
 * sseEvent({ choices: [] }); // 'data: {"choices":[]}\n\n'
 * ```
 */
export function sseEvent(data: unknown, options: SseEventOptions = {}): string {
  const eol = options.lineEnding ?? '\n';
  oneLine('event', options.event);
  oneLine('id', options.id);
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  let out = '';
  if (options.event !== undefined) out += `event: ${options.event}${eol}`;
  if (options.id !== undefined) out += `id: ${options.id}${eol}`;
  for (const line of text.split(/\r\n|\r|\n/)) out += `data: ${line}${eol}`;
  return out + eol;
}

/** An SSE comment line, such as the keep-alive `: ping` many providers send. */
export function sseComment(text = 'keep-alive', lineEnding: LineEnding = '\n'): string {
  oneLine('comment', text);
  return `: ${text}${lineEnding}${lineEnding}`;
}

/** Options of {@link errorFrame}. */
export interface ErrorFrameOptions {
  /** Send it as `event: error` (Groq, Anthropic style) instead of a data object. Default false. */
  asEvent?: boolean;
  /** What ends each line and the event. Default `'\n'`. */
  lineEnding?: LineEnding;
}

/**
 * An error frame as providers send it mid-stream: `data: {"error": {...}}` (OpenAI, OpenRouter),
 * or with `asEvent`, `event: error` followed by the same data.
 */
export function errorFrame(
  error: Partial<ProviderErrorDetails> & { message: string },
  options: ErrorFrameOptions = {},
): string {
  return sseEvent(
    { error: { type: null, code: null, param: null, ...error } },
    {
      ...(options.asEvent ? { event: 'error' } : {}),
      lineEnding: options.lineEnding,
    },
  );
}

/** Options of {@link sseWire}. */
export interface SseWireOptions {
  /** End with `data: [DONE]`. Default true. */
  done?: boolean;
  /** Default `'\n'`; use `'\r\n'` to test CRLF framing. */
  lineEnding?: LineEnding;
  /** Put a comment (e.g. `'keep-alive'`) before every event. */
  comment?: string;
  /** Insert an error frame after this many payloads (0: before any output). */
  errorAfter?: number;
  /** The error frame to insert at `errorAfter`; `type`, `code` and `param` default to `null`. */
  error?: Partial<ProviderErrorDetails> & {
    /** The provider's message. */
    message: string;
  };
  /** Send the error frame as `event: error`. */
  errorAsEvent?: boolean;
  /**
   * Cut the finished wire text after this many UTF-16 units (one fewer if that would split a
   * surrogate pair), as a dropped connection would. To cut bytes, use {@link splitBytes}.
   */
  truncateAt?: number;
}

/**
 * The SSE wire text of a stream: one event per payload (chunks, or raw strings), then `[DONE]`,
 * with optional CRLF endings, comments, an error frame and truncation.
 *
 * @example
 * ```ts
 * const wire = sseWire(textChunks(['Hel', 'lo']), { comment: 'ping', lineEnding: '\r\n' });
 * ```
 */
export function sseWire(payloads: readonly unknown[], options: SseWireOptions = {}): string {
  const eol = options.lineEnding ?? '\n';
  const parts: string[] = [];
  const errorAt = options.errorAfter;
  const pushError = () => {
    parts.push(
      errorFrame(options.error ?? { message: 'scripted error' }, {
        asEvent: options.errorAsEvent,
        lineEnding: eol,
      }),
    );
  };
  payloads.forEach((payload, i) => {
    if (errorAt === i) pushError();
    if (options.comment !== undefined) parts.push(sseComment(options.comment, eol));
    parts.push(sseEvent(payload, { lineEnding: eol }));
  });
  if (errorAt !== undefined && errorAt >= payloads.length) pushError();
  if ((options.done ?? true) && errorAt === undefined)
    parts.push(sseEvent(DONE, { lineEnding: eol }));
  const wire = parts.join('');
  if (options.truncateAt === undefined) return wire;
  // Never leave half a surrogate pair: that is not text a server could have sent.
  let at = Math.max(0, Math.min(options.truncateAt, wire.length));
  const before = wire.charCodeAt(at - 1);
  if (at > 0 && before >= 0xd800 && before <= 0xdbff) at--;
  return wire.slice(0, at);
}

/**
 * Splits text into pieces of `size` code points (or the given list of sizes, the last one
 * repeating), never inside a surrogate pair: for feeding the pipeline string pieces.
 */
export function splitText(text: string, size: number | readonly number[]): string[] {
  const points = Array.from(text);
  return cut(points.length, size).map(([from, to]) => points.slice(from, to).join(''));
}

/**
 * Encodes text as UTF-8 and splits the bytes into pieces of `size` bytes (or the given sizes),
 * cutting anywhere, including inside multi-byte characters, as the network does.
 */
export function splitBytes(text: string, size: number | readonly number[]): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  return cut(bytes.length, size).map(([from, to]) => bytes.slice(from, to));
}

function cut(length: number, size: number | readonly number[]): [number, number][] {
  const sizes = typeof size === 'number' ? [size] : size;
  if (sizes.length === 0 || sizes.some((s) => !(s >= 1) || !Number.isInteger(s))) {
    throw new RangeError('split sizes must be positive integers');
  }
  const ranges: [number, number][] = [];
  for (let from = 0, i = 0; from < length; i++) {
    const to = Math.min(length, from + sizes[Math.min(i, sizes.length - 1)]!);
    ranges.push([from, to]);
    from = to;
  }
  return ranges;
}

/** A field value or comment must stay on one line, or it would inject fields into the frame. */
function oneLine(what: string, value: string | undefined): void {
  if (value !== undefined && /[\r\n]/.test(value)) {
    throw new RangeError(`sse ${what} must not contain a line break: ${JSON.stringify(value)}`);
  }
}
