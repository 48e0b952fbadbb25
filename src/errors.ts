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
  type: string | null;
  param: string | null;
}

/** Options accepted by the {@link RxChatError} constructor. */
export interface RxChatErrorOptions {
  cause?: unknown;
  provider?: ProviderErrorDetails | null;
  usage?: Usage | null;
  partial?: ChatCompletion;
  /** The raw data that caused the error, for debugging (already bounded by the caller). */
  data?: string;
}

const brand = Symbol.for('rxchat.error');

/**
 * The one error type rxchat fails with. `code` is the discriminant.
 *
 * The class is branded with `Symbol.for('rxchat.error')`, so {@link RxChatError.isInstance} (and
 * `instanceof`) hold even across duplicate copies of the package and Jest realms.
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
export class RxChatError extends Error {
  /** The stable discriminant. */
  readonly code: RxChatErrorCode;
  /** The provider's error object, when the provider sent one. */
  readonly provider: ProviderErrorDetails | null;
  /** The usage the server reported before the failure (billing happened anyway), if any. */
  readonly usage: Usage | null;
  /** A bounded excerpt of the data that caused the error (never a header or a key). */
  readonly data: string | undefined;
  /**
   * What had been received before the failure, folded into a completion. Set by the operator
   * that accumulates ({@link finalCompletion}, {@link accumulate}); `undefined` above them.
   */
  partial: ChatCompletion | undefined;

  declare readonly [brand]: true;

  constructor(code: RxChatErrorCode, message: string, options: RxChatErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RxChatError';
    this.code = code;
    this.provider = options.provider ?? null;
    this.usage = options.usage ?? null;
    this.data = options.data;
    this.partial = options.partial;
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
    return RxChatError.isInstance(value);
  }

  /** A plain object for logs and `JSON.stringify`: code, message, provider details. */
  toJSON(): {
    name: string;
    code: RxChatErrorCode;
    message: string;
    provider: ProviderErrorDetails | null;
  } {
    return { name: this.name, code: this.code, message: this.message, provider: this.provider };
  }
}

/** Limits an excerpt of untrusted data so that an error never carries megabytes. */
export function excerpt(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}
