// Fault specs: the faults a test asks the mock server for, as text, and their reading.

/**
 * A fault to inject, as text. The forms:
 *
 * | spec | what the server does |
 * | --- | --- |
 * | `status:CODE[:retry-after=S][:retry-after-ms=MS]` | answers HTTP `CODE` (400..599) with an OpenAI-style JSON error body (429: code `rate_limit_exceeded`), with `Retry-After: S` when given; `retry-after-ms=MS` sends `retry-after-ms: MS` (and `Retry-After` in whole seconds unless given) |
 * | `error-before` | after the headers, an SSE error frame before any output (rate limit: code `rate_limit_exceeded`) |
 * | `error-after:N` | an SSE error frame after `N` token chunks (code `server_error`), then the end |
 * | `disconnect-after:N` | destroys the socket after `N` token chunks: no finish, no `[DONE]` |
 * | `stall` | headers and the first data event, then nothing until the client goes away |
 * | `stall:keepalive` | the same, but a `: keep-alive` comment every 100 ms |
 * | `malformed-json[:N]` | a broken JSON data line after `N` token chunks (default 0), then the rest |
 * | `oversized-event[:BYTES]` | after the first data event, one valid chunk (no choices) whose data is over `BYTES` long (default 5 MiB) |
 * | `slow-headers:MS` | waits `MS` before sending the response headers (of any response) |
 *
 * "Token chunks" are the chunks that carry generated text: content, reasoning or tool-call
 * arguments. A position past the last token means "after the last token". Several faults may be
 * combined; the ending fault that cuts earliest wins. In an `x-mock-fault` header, specs are
 * separated by commas, and `none` switches the server's faults off for that request.
 *
 * Without streaming (`stream: false`), `error-before` answers HTTP 429 and `error-after` HTTP 500
 * (errors of a JSON request are statuses); `disconnect-after` cuts the body halfway,
 * `malformed-json` sends a truncated body, `oversized-event` pads the body, and `stall` sends the
 * headers only.
 *
 * On `/v1/responses` the same faults apply the Responses way: `error-before` and `error-after:N`
 * end the events with an `error` event then `response.failed` (`error-before` right after
 * `response.in_progress`); `disconnect-after:N` and `stall` send no terminal event (`stall`
 * stops after `response.created`). In background mode an error fault ends the stored response,
 * while `disconnect-after` and `stall` only cut or stop that connection: the response goes on
 * and can be resumed; `malformed-json` and `oversized-event` do not apply there.
 *
 * @example
 * ```ts
 * const server = await startMockServer({ fault: ['slow-headers:200', 'error-after:3'] });
 * // or for one request: headers: { 'x-mock-fault': 'status:503:retry-after=2' }
 * ```
 */
export type FaultSpec = string;

/**
 * A {@link FaultSpec} once read.
 *
 * @example
 * ```ts
 * parseFault('status:429:retry-after-ms=50');
 * // { kind: 'status', status: 429, retryAfterMs: 50, spec: 'status:429:retry-after-ms=50' }
 * ```
 */
export type Fault =
  | {
      kind: 'status';
      spec: string;
      status: number;
      retryAfterSeconds?: number;
      retryAfterMs?: number;
    }
  | { kind: 'error-before'; spec: string }
  | { kind: 'error-after'; spec: string; after: number }
  | { kind: 'disconnect-after'; spec: string; after: number }
  | { kind: 'stall'; spec: string; keepAlive: boolean }
  | { kind: 'malformed-json'; spec: string; after: number }
  | { kind: 'oversized-event'; spec: string; bytes: number }
  | { kind: 'slow-headers'; spec: string; ms: number };

/**
 * The default size of an `oversized-event` fault: 5 MiB, above rxchat's default 4 MiB bound.
 *
 * @example
 * ```ts
 * parseFault('oversized-event').bytes === DEFAULT_OVERSIZED_BYTES; // true
 * ```
 */
export const DEFAULT_OVERSIZED_BYTES = 5 * 1024 * 1024;

/** Timers cannot wait longer (about 24.8 days); a larger wait would fire at once instead. */
const MAX_WAIT_MS = 2 ** 31 - 1;
/** The largest oversized event: big enough to trip any sane bound, small enough to survive. */
export const MAX_OVERSIZED_BYTES = 64 * 1024 * 1024;

const count = (text: string | undefined, spec: string, what: string, max = MAX_WAIT_MS): number => {
  if (text === undefined || !/^\d+$/.test(text)) {
    throw new RangeError(`Invalid fault "${spec}": ${what} must be a whole number`);
  }
  const value = Number(text);
  if (value > max) throw new RangeError(`Invalid fault "${spec}": ${what} must be at most ${max}`);
  return value;
};

/**
 * Reads one fault spec; throws a `RangeError` naming the problem when it is not one.
 *
 * @example
 * ```ts
 * parseFault('error-after:2'); // { kind: 'error-after', after: 2, spec: 'error-after:2' }
 * parseFault('stall:keepalive'); // { kind: 'stall', keepAlive: true, spec: 'stall:keepalive' }
 * ```
 */
export function parseFault(input: FaultSpec): Fault {
  const spec = String(input).trim();
  const [kind, ...args] = spec.split(':');
  const noArgs = () => {
    if (args.length > 0) throw new RangeError(`Invalid fault "${spec}": ${kind} takes no argument`);
  };
  const oneArg = () => {
    if (args.length > 1) throw new RangeError(`Invalid fault "${spec}": too many arguments`);
    return args[0];
  };
  switch (kind) {
    case 'status': {
      const status = count(args[0], spec, 'the status');
      if (status < 400 || status > 599) {
        throw new RangeError(`Invalid fault "${spec}": the status must be 400..599`);
      }
      const fault: Fault = { kind: 'status', spec, status };
      for (const option of args.slice(1)) {
        const [name, value, extra] = option.split('=');
        if (extra !== undefined) {
          throw new RangeError(`Invalid fault "${spec}": "${option}" has more than one =`);
        }
        if (name === 'retry-after') fault.retryAfterSeconds = count(value, spec, 'retry-after');
        else if (name === 'retry-after-ms')
          fault.retryAfterMs = count(value, spec, 'retry-after-ms');
        else throw new RangeError(`Invalid fault "${spec}": unknown option "${option}"`);
      }
      return fault;
    }
    case 'error-before':
      noArgs();
      return { kind, spec };
    case 'error-after':
    case 'disconnect-after':
      return { kind, spec, after: count(oneArg(), spec, 'N') };
    case 'stall': {
      const mode = oneArg();
      if (mode !== undefined && mode !== 'keepalive') {
        throw new RangeError(`Invalid fault "${spec}": use stall or stall:keepalive`);
      }
      return { kind, spec, keepAlive: mode === 'keepalive' };
    }
    case 'malformed-json': {
      const after = oneArg();
      return { kind, spec, after: after === undefined ? 0 : count(after, spec, 'N') };
    }
    case 'oversized-event': {
      const bytes = oneArg();
      return {
        kind,
        spec,
        bytes:
          bytes === undefined
            ? DEFAULT_OVERSIZED_BYTES
            : count(bytes, spec, 'BYTES', MAX_OVERSIZED_BYTES),
      };
    }
    case 'slow-headers':
      return { kind, spec, ms: count(oneArg(), spec, 'MS') };
    default:
      throw new RangeError(
        `Unknown fault "${spec}": use status:CODE, error-before, error-after:N, disconnect-after:N, ` +
          'stall[:keepalive], malformed-json[:N], oversized-event[:BYTES] or slow-headers:MS',
      );
  }
}

/**
 * Reads the faults of the server's options or of an `x-mock-fault` header (specs separated by
 * commas; `none` or an empty value means no fault, to switch the server's faults off for one
 * request).
 *
 * @example
 * ```ts
 * parseFaults('slow-headers:100, error-after:2').map((f) => f.kind); // ['slow-headers', 'error-after']
 * parseFaults('none'); // []
 * ```
 */
export function parseFaults(input: FaultSpec | readonly FaultSpec[] | undefined): Fault[] {
  if (input === undefined) return [];
  const specs = (typeof input === 'string' ? [input] : input)
    .flatMap((spec) => String(spec).split(','))
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '' && spec !== 'none');
  return specs.map(parseFault);
}

/**
 * A fault that reports an error in the answer: `error-before` or `error-after`.
 *
 * @example
 * ```ts
 * const fault = findFault(faults, 'error-before') ?? findFault(faults, 'error-after');
 * ```
 */
export type ErrorFault = Extract<Fault, { kind: 'error-before' | 'error-after' }>;

/**
 * The first fault of a kind, typed as that kind; `undefined` when there is none.
 *
 * @example
 * ```ts
 * const slow = findFault(selection.faults, 'slow-headers'); // slow?.ms is a number
 * ```
 */
export function findFault<K extends Fault['kind']>(
  faults: readonly Fault[],
  kind: K,
): Extract<Fault, { kind: K }> | undefined {
  return faults.find((fault): fault is Extract<Fault, { kind: K }> => fault.kind === kind);
}
