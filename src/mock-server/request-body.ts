// Receiving a request body: bounded in memory, then read as JSON if it is JSON.
import type { IncomingMessage } from 'node:http';

/** The most a request body may hold before the server answers 413. */
const MAX_REQUEST_BODY = 16 * 1024 * 1024;

/**
 * A request body once it has all arrived.
 *
 * @example
 * ```ts
 * const received: ReceivedBody = { body: { model: 'mock-1' }, bodyIsJson: true, tooLarge: false };
 * ```
 */
export interface ReceivedBody {
  /** The body parsed as JSON; `undefined` when empty or not JSON. */
  body: unknown;
  /** Whether the body was non-empty JSON. */
  bodyIsJson: boolean;
  /** Whether it was over the limit (then only the pieces within it were kept). */
  tooLarge: boolean;
}

/** The body text as JSON: `undefined` (and not JSON) when empty or unparsable. */
function parseJson(text: string): Pick<ReceivedBody, 'body' | 'bodyIsJson'> {
  if (text === '') return { body: undefined, bodyIsJson: false };
  try {
    return { body: JSON.parse(text), bodyIsJson: true };
  } catch {
    return { body: undefined, bodyIsJson: false };
  }
}

/**
 * Collects the body of `req` and calls `received` once it has ended. A callback rather than a
 * promise, so the request is handled in the very tick its body ends.
 *
 * @example
 * ```ts
 * readBody(req, ({ body, bodyIsJson, tooLarge }) => answer(body));
 * ```
 */
export function readBody(req: IncomingMessage, received: (body: ReceivedBody) => void): void {
  const pieces: Buffer[] = [];
  let size = 0;
  req.on('data', (piece: Buffer) => {
    size += piece.length;
    if (size <= MAX_REQUEST_BODY) pieces.push(piece);
  });
  req.on('end', () => {
    const tooLarge = size > MAX_REQUEST_BODY;
    received({ ...parseJson(Buffer.concat(pieces).toString('utf8')), tooLarge });
  });
}
