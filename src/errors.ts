import type { ChatCompletion, Usage } from './chunks/types';

/**
 * Every error code rxchat can fail with. The codes are stable: match on them, not on messages.
 *
 * - `http_error`: the server answered with a non-2xx status.
 * - `stream_error`: the provider reported an error inside the stream (`event: error` or a data
 *   object with a top-level `error`).
 * - `parse_error`: an event's data is not valid JSON.
 * - `validation_error`: a request, or a field of a chunk that rxchat reads, has an impossible type.
 * - `truncated`: the body ended without `[DONE]` and without any `finish_reason`.
 * - `timeout`: a timeout phase ran out.
 * - `connection_error`: the connection failed or was reset.
 * - `event_too_large`: one server-sent event grew beyond the configured bound.
 * - `aborted`: an `AbortSignal` given by the caller was aborted.
 */
export const RX_CHAT_ERROR_CODES = [
  'http_error',
  'stream_error',
  'parse_error',
  'validation_error',
  'truncated',
  'timeout',
  'connection_error',
  'event_too_large',
  'aborted',
] as const;

/** The union of {@link RX_CHAT_ERROR_CODES}. */
export type RxChatErrorCode = (typeof RX_CHAT_ERROR_CODES)[number];

/** An error reported by the provider, as found in an OpenAI-style `{"error": {...}}` object. */
export interface ProviderErrorDetails {
  /** The provider's own message. */
  message: string;
  /** The provider's code: OpenAI uses strings (`rate_limit_exceeded`), some gateways numbers. */
  code: string | number | null;
  /** The provider's error category (`invalid_request_error`, `server_error`, …); `null` if none. */
  type: string | null;
  /** The request parameter the error is about (`messages`, `model`, …); `null` if none. */
  param: string | null;
}

/** The phases that {@link chatTimeout} measures. */
export type TimeoutPhase = 'headers' | 'firstChunk' | 'idle' | 'total';

/** Options accepted by the {@link RxChatError} constructor. */
export interface RxChatErrorOptions {
  /** The underlying error (a network error, a `SyntaxError`, …), kept as the standard `cause`. */
  cause?: unknown;
  /**
   * The provider's error object. Default `null`, except for `stream_error`, which then gets
   * `{ message, code: null, type: null, param: null }` from the error's own message.
   */
  provider?: ProviderErrorDetails | null;
  /** The usage the server reported before the failure; default `null`. */
  usage?: Usage | null;
  /** The completion received before the failure (the accumulating operators set it later). */
  partial?: ChatCompletion;
  /** The raw data that caused the error, for debugging (already bounded by the caller). */
  data?: string;
  /** `http_error`: the response status. */
  status?: number;
  /** `http_error`: the response headers, lower-case names. */
  headers?: Readonly<Record<string, string>>;
  /** The provider's request id (`x-request-id` and similar), when the response had one. */
  requestId?: string;
  /** How long the server asked us to wait before retrying, in milliseconds. */
  retryAfterMs?: number;
  /** `timeout`: the phase that ran out. */
  phase?: TimeoutPhase;
  /** Overrides the default judgement of {@link RxChatError.retryable}. */
  retryable?: boolean;
  /** `validation_error` from a schema (`structuredOutput`, tool arguments): its issues. */
  issues?: ReadonlyArray<SchemaIssue>;
}

/** One problem a schema found (the Standard Schema issue shape, which zod 4 gives). */
export interface SchemaIssue {
  /** What is wrong, in the schema library's words. */
  readonly message: string;
  /** Where: the keys (or `{ key }` segments) from the root to the value. */
  readonly path?: ReadonlyArray<PropertyKey | SchemaPathSegment> | undefined;
}

/** A segment of a {@link SchemaIssue}'s path given as an object. */
export interface SchemaPathSegment {
  /** The key (or index) of this step of the path. */
  readonly key: PropertyKey;
}

const RETRYABLE_STATUSES = new Set([408, 409, 429]);

/** Whether an HTTP status is worth retrying: 408, 409, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status) || (status >= 500 && status <= 599);
}

// Codes and types providers use for "slow down" or "try again": OpenAI `rate_limit_exceeded`,
// `server_error`; Anthropic-style `overloaded_error`; gateways' `service_unavailable`, `capacity`.
const TRANSIENT_PROVIDER_ERROR =
  /rate.?limit|overload|capacity|unavailable|too.?many|server.?error|timeout|busy/i;

/**
 * Whether an error the provider reported inside a stream means "rate limited" or "overloaded"
 * (so retrying before any output is safe and useful), judged from its code and type. Numeric
 * codes are read as HTTP statuses, as OpenRouter sends them.
 */
export function isTransientProviderError(details: ProviderErrorDetails): boolean {
  if (typeof details.code === 'number') return isRetryableStatus(details.code);
  if (details.code !== null && /^\d{3}$/.test(details.code))
    return isRetryableStatus(+details.code);
  return TRANSIENT_PROVIDER_ERROR.test(`${details.code ?? ''} ${details.type ?? ''}`);
}

function defaultRetryable(code: RxChatErrorCode, options: RxChatErrorOptions): boolean {
  switch (code) {
    case 'http_error':
      return options.status !== undefined && isRetryableStatus(options.status);
    case 'stream_error':
      return options.provider != null && isTransientProviderError(options.provider);
    case 'connection_error':
    case 'truncated':
      // A cut connection: safe to try again as long as nothing was shown yet.
      return true;
    case 'timeout':
      return options.phase !== 'total';
    default:
      return false;
  }
}

/**
 * What {@link RxChatError.toJSON} returns: the error's fields as plain data, for logs. The
 * optional fields are present only when the error has them; never the partial output or a key.
 */
export interface RxChatErrorJson {
  /** Always `'RxChatError'`. */
  name: string;
  /** The stable error code. */
  code: RxChatErrorCode;
  /** The message, secrets redacted; says how many attempts were made when there were several. */
  message: string;
  /** The provider's error object, or `null` when the provider sent none. */
  provider: ProviderErrorDetails | null;
  /** Whether trying the same request again may succeed (see {@link RxChatError.retryable}). */
  retryable: boolean;
  /** `http_error`: the HTTP status (0 when none could be read). */
  status?: number;
  /** The provider's request id, when the response carried one. */
  requestId?: string;
  /** How long the server asked to wait before a retry, in milliseconds. */
  retryAfterMs?: number;
  /** `timeout`: the phase that ran out. */
  phase?: TimeoutPhase;
  /** How many attempts were made in all, when {@link retryBeforeOutput} gave up. */
  attempts?: number;
}

const brand = Symbol.for('rxchat.error');

/**
 * The one error type rxchat fails with. `code` is the discriminant, and the type narrows by it:
 * after `err.code === 'http_error'`, `err.status` is a number and `err.headers` an object;
 * after `'stream_error'`, `err.provider` is set. (An `http_error` made without a status has
 * status 0, as an opaque fetch response does; a `stream_error` made without provider details
 * gets its message as theirs.)
 *
 * The class is branded with `Symbol.for('rxchat.error')`, so {@link RxChatError.isInstance} (and
 * `instanceof`) hold even across duplicate copies of the package and Jest realms.
 *
 * The package exports this class as a type only (its fields are documented here): construct and
 * test errors with the {@link RxChatError} value, which is this class typed by code.
 *
 * @example
 * ```ts
 * client.stream(request).pipe(finalCompletion()).subscribe({
 *   error: (err) => {
 *     if (RxChatError.isInstance(err) && err.code === 'truncated') {
 *       console.warn('cut off, got so far:', err.partial?.choices[0]?.message.content);
 *     }
 *   },
 * });
 * ```
 */
export class RxChatErrorClass extends Error {
  /** The stable discriminant. */
  declare readonly code: RxChatErrorCode;
  /** The provider's error object, when the provider sent one. */
  declare readonly provider: ProviderErrorDetails | null;
  /** The usage the server reported before the failure (billing happened anyway), if any. */
  declare readonly usage: Usage | null;
  /** A bounded excerpt of the data that caused the error (never a header or a key). */
  declare readonly data: string | undefined;
  /**
   * What had been received before the failure, folded into a completion. Set by the operator
   * that accumulates ({@link finalCompletion}, {@link accumulate}); `undefined` above them.
   */
  declare readonly partial: ChatCompletion | undefined;
  /** `http_error`: the response status. */
  declare readonly status: number | undefined;
  /** `http_error`: the response headers (lower-case names). */
  declare readonly headers: Readonly<Record<string, string>> | undefined;
  /** The provider's request id, when the response carried one: quote it to their support. */
  declare readonly requestId: string | undefined;
  /** How long the server asked to wait before a retry, in milliseconds (`retry-after[-ms]`). */
  declare readonly retryAfterMs: number | undefined;
  /** `timeout`: the phase that ran out. */
  declare readonly phase: TimeoutPhase | undefined;
  /**
   * Whether trying the same request again may succeed: 408, 409, 429 and 5xx statuses, cut
   * connections, timeouts before the total budget, and provider errors meaning rate limit or
   * overload. {@link retryBeforeOutput} reads it, and never retries once output was emitted;
   * an error a client's stream fails with after output is never retryable (trying again would
   * show the same text twice).
   */
  declare readonly retryable: boolean;
  /** How many attempts were made in all, set by {@link retryBeforeOutput} on the final error. */
  declare readonly attempts: number | undefined;
  /**
   * A `validation_error` from a schema (`structuredOutput()`, tool arguments): the schema's
   * issues, as it gave them (zod's for a zod schema). Absent otherwise.
   */
  declare readonly issues: ReadonlyArray<SchemaIssue> | undefined;

  /**
   * The brand {@link RxChatError.isInstance} checks, the same in every copy of the package.
   *
   * @internal
   */
  declare readonly [brand]: true;

  /**
   * Prefer `new RxChatError(code, message, options)`, the same constructor typed by code.
   *
   * @param code - The stable error code.
   * @param message - What went wrong, for people (secrets are redacted by the client).
   * @param options - Details: provider error, usage, status, phase, cause, …
   */
  constructor(code: RxChatErrorCode, message: string, options: RxChatErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Fields are declared, not emitted: assigned here in their order, `name` last.
    this.code = code;
    this.provider =
      options.provider ??
      (code === 'stream_error' ? { message, code: null, type: null, param: null } : null);
    this.usage = options.usage ?? null;
    this.data = options.data;
    this.partial = options.partial;
    this.status = options.status ?? (code === 'http_error' ? 0 : undefined);
    this.headers = options.headers ?? (code === 'http_error' ? {} : undefined);
    this.requestId = options.requestId;
    this.retryAfterMs = options.retryAfterMs;
    this.phase = options.phase;
    this.retryable = options.retryable ?? defaultRetryable(code, options);
    this.attempts = undefined;
    // Only on schema failures, so that every other error keeps the fields it always had.
    if (options.issues) this.issues = options.issues;
    this.name = 'RxChatError';
    Object.defineProperty(this, brand, { value: true });
  }

  /** True for any rxchat error, whichever copy of the package created it. */
  static isInstance(value: unknown): value is RxChatError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[brand] === true
    );
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return RxChatErrorClass.isInstance(value);
  }

  /**
   * A plain object for logs and `JSON.stringify`: code, message, provider details and, where
   * they apply, status, request id, retry hints, phase and attempts. Never the partial output.
   */
  toJSON(): RxChatErrorJson {
    const json: RxChatErrorJson = {
      name: this.name,
      code: this.code,
      message: this.message,
      provider: this.provider,
      retryable: this.retryable,
    };
    for (const key of ['status', 'requestId', 'retryAfterMs', 'phase', 'attempts'] as const) {
      if (this[key] !== undefined) (json as unknown as Record<string, unknown>)[key] = this[key];
    }
    return json;
  }
}

/** The fields each code always has, beyond those of every {@link RxChatError}. */
export interface RxChatErrorDetails {
  /** An `http_error` always has a status and headers. */
  http_error: {
    /** The response status (0 when none could be read, as for an opaque fetch response). */
    readonly status: number;
    /** The response headers, lower-case names, secret ones redacted (`{}` when unknown). */
    readonly headers: Readonly<Record<string, string>>;
  };
  /** A `stream_error` always has the provider's error details. */
  stream_error: {
    /** The provider's error object (its message alone when the provider sent no object). */
    readonly provider: ProviderErrorDetails;
  };
}

/** An {@link RxChatError} of one code, with the fields that code always has. */
export type RxChatErrorOf<C extends RxChatErrorCode> = RxChatErrorClass & {
  /** The code this error type is narrowed to. */
  readonly code: C;
} & (C extends keyof RxChatErrorDetails ? RxChatErrorDetails[C] : unknown);

/**
 * The one error type rxchat fails with: a union over its codes, so that checking `code`
 * narrows the fields (see the class documentation above).
 */
export type RxChatError = { [C in RxChatErrorCode]: RxChatErrorOf<C> }[RxChatErrorCode];

/** The constructor and statics of {@link RxChatError}. */
export interface RxChatErrorConstructor {
  new <C extends RxChatErrorCode>(
    code: C,
    message: string,
    options?: RxChatErrorOptions,
  ): RxChatErrorOf<C>;
  /** The class's prototype, shared by every rxchat error of this package copy. */
  readonly prototype: RxChatError;
  /** True for any rxchat error, whichever copy of the package created it. */
  isInstance(value: unknown): value is RxChatError;
}

/**
 * The one error type rxchat fails with, at run time: one class ({@link RxChatErrorClass}),
 * typed so that `new RxChatError('http_error', …)` is an error of that code, and `instanceof`
 * and {@link RxChatErrorConstructor.isInstance} narrow to the union of codes.
 */
export const RxChatError: RxChatErrorConstructor = RxChatErrorClass as never;

/**
 * The changes an {@link RxChatError} may take after it is made: everything else about it is
 * fixed at construction. Each has one owner, the stage that learns the fact:
 * - `partial`: the accumulating operators (`finalCompletion`, `accumulate`), once, closest to
 *   the source first;
 * - `attempts`: `retryBeforeOutput`, on the error it gives up with (the message then says how
 *   many attempts were made);
 * - `afterOutput`: the client, when the stream had emitted output (never safely retryable then).
 * Redaction (`client/secrets.ts`) is the one other change: it removes secrets from the strings
 * of any error, rxchat's or not.
 */
export interface RxChatErrorAmendment {
  partial?: ChatCompletion;
  attempts?: number;
  afterOutput?: true;
}

/** Applies an {@link RxChatErrorAmendment} to `error` (the same object, changed), and returns it. */
export function amendError<E extends RxChatError>(error: E, amendment: RxChatErrorAmendment): E {
  const set = (key: string, value: unknown) => Object.defineProperty(error, key, { value });
  if (amendment.partial !== undefined) set('partial', amendment.partial);
  if (amendment.attempts !== undefined) {
    set('attempts', amendment.attempts);
    if (amendment.attempts > 1) {
      set('message', `${error.message} (after ${amendment.attempts} attempts)`);
    }
  }
  if (amendment.afterOutput) set('retryable', false);
  return error;
}

/**
 * The error a stream fails with once output has been emitted: not safely retryable whatever its
 * code, since trying again would show the same text twice. Returns the same error, marked.
 */
export function afterOutput<E>(error: E): E {
  if (RxChatError.isInstance(error) && error.retryable) amendError(error, { afterOutput: true });
  return error;
}

/** Limits an excerpt of untrusted data so that an error never carries megabytes. */
export function excerpt(text: string, max = 200): string {
  if (text.length <= max) return text;
  // Never cut between the halves of a surrogate pair: half an emoji is not text.
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}… (${text.length} chars)`;
}

/** Whether a value is a plain object (no array, no `null`): shared by rxchat's checks. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a value is, in an explanation: `null`, `array`, or its `typeof`. */
export const kindOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

/**
 * Whether a value looks like an error: `instanceof Error` fails for errors from another realm
 * (Node's own `fetch` rejects with its realm's `TypeError` inside a Jest sandbox).
 */
export function isErrorLike(value: unknown): value is Error {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string' &&
    typeof (value as { name?: unknown }).name === 'string'
  );
}

/** Wraps a network failure as a `connection_error`, keeping the original as `cause`. */
export function connectionError(cause: unknown, what = 'The connection failed'): RxChatError {
  if (RxChatError.isInstance(cause)) return cause;
  // Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, a reset) is in its cause.
  const inner = isErrorLike(cause) ? cause.cause : undefined;
  const detail = isErrorLike(cause)
    ? [cause.message, isErrorLike(inner) ? inner.message : undefined].filter(Boolean).join(': ')
    : String(cause);
  return new RxChatError('connection_error', `${what}: ${detail}`, { cause });
}

/**
 * The most of one provider string (message, code, type, param) an error keeps: far above any
 * real message, but a server that puts megabytes into an error cannot make every log line and
 * `JSON.stringify(err)` carry them.
 */
export const PROVIDER_TEXT_LIMIT = 4096;

const bounded = (text: string): string => excerpt(text, PROVIDER_TEXT_LIMIT);

const asNullableString = (v: unknown): string | null =>
  typeof v === 'string' ? bounded(v) : typeof v === 'number' ? String(v) : null;

/** The raw text when it says anything, else a stand-in (never an empty message). */
const rawOrUnknown = (rawText: string | undefined): string =>
  rawText !== undefined && rawText.trim() !== '' ? excerpt(rawText) : 'unknown provider error';

/**
 * Reads an OpenAI-style error from whatever a provider sent: `{"error": {...}}`,
 * `{"error": "text"}`, a bare `{"message": ...}` object, a JSON string (`"Rate limit exceeded"`,
 * read as the message itself, without its quotes), or plain text. Never throws.
 */
export function providerErrorFrom(value: unknown, rawText?: string): ProviderErrorDetails {
  const container =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  const inner = container && 'error' in container ? container.error : (container ?? value);
  if (typeof inner === 'string') {
    return {
      message: inner.trim() !== '' ? bounded(inner) : rawOrUnknown(rawText),
      code: null,
      type: null,
      param: null,
    };
  }
  if (typeof inner === 'object' && inner !== null) {
    const e = inner as Record<string, unknown>;
    const code =
      typeof e.code === 'string' ? bounded(e.code) : typeof e.code === 'number' ? e.code : null;
    const message =
      asNullableString(e.message) ??
      asNullableString(e.detail) ??
      (rawText !== undefined ? excerpt(rawText) : excerpt(JSON.stringify(inner)));
    return { message, code, type: asNullableString(e.type), param: asNullableString(e.param) };
  }
  return { message: rawOrUnknown(rawText), code: null, type: null, param: null };
}

/**
 * The `stream_error` for an error the provider reported (an `event: error` frame, a data object
 * with a top-level `error`, or a JSON body with one): its details read from `value`, the raw
 * text kept as a bounded excerpt.
 */
export function providerStreamError(
  value: unknown,
  rawText: string,
  usage: Usage | null = null,
): RxChatError {
  const provider = providerErrorFrom(value, rawText);
  return new RxChatError('stream_error', `The provider reported an error: ${provider.message}`, {
    provider,
    usage,
    data: excerpt(rawText),
  });
}
