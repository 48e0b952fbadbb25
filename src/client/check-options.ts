import { RxChatError } from '../errors';
import type { ChatTimeoutConfig } from '../operators/chat-timeout';
import type { RetryConfig } from '../operators/retry-before-output';

/*
 * Options checked before anything is sent. A bad option is a caller's mistake: it becomes a
 * `validation_error` notification of the stream (never a throw at call time, never silently
 * ignored, never a retried `connection_error` from a transport that refused it). Messages name
 * the option and what is wrong with it, never a header's value: that value may be a key.
 */

const invalid = (message: string) => new RxChatError('validation_error', message);

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An HTTP token (RFC 9110): the characters a header name may have. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The characters a header value may not have: CR, LF, NUL and other controls but tab (a header
 * injection, or a request every HTTP stack refuses), and anything above U+00FF (not Latin-1:
 * fetch and undici cannot send it as a header byte).
 */

const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function badValueReason(value: string): string {
  const bad = BAD_HEADER_VALUE.exec(value)![0];
  const code = bad.codePointAt(0)!;
  if (bad === '\r' || bad === '\n') return 'a line break (CR or LF)';
  if (code === 0) return 'a NUL character';
  if (code < 0x20 || code === 0x7f) return `a control character (U+${hex(code)})`;
  return `a character outside Latin-1 (U+${hex(code)})`;
}

const hex = (code: number) => code.toString(16).toUpperCase().padStart(4, '0');

/**
 * Checks a `headers` option: an object whose names are HTTP tokens and whose values are strings
 * a request can carry (or `null`/`undefined`, which remove a header).
 */
export function checkHeaders(headers: unknown, where: string): void {
  if (headers === undefined) return;
  if (!isRecord(headers)) {
    throw invalid(`${where}: headers must be an object of strings, got ${describe(headers)}`);
  }
  for (const [name, value] of Object.entries(headers)) {
    checkHeader(name, value, where);
  }
}

/** Checks one header that is about to be sent (a merged one, the API key's included). */
export function checkHeader(name: string, value: unknown, where: string): void {
  if (!HEADER_NAME.test(name)) {
    throw invalid(`${where}: "${printableName(name)}" is not a valid header name`);
  }
  if (value === null || value === undefined) return;
  if (typeof value !== 'string') {
    throw invalid(`${where}: header "${name}" must be a string, got ${describe(value)}`);
  }
  if (BAD_HEADER_VALUE.test(value)) {
    throw invalid(
      `${where}: the value of header "${name}" contains ${badValueReason(value)}; it was not sent`,
    );
  }
}

/** A header name fit for a message: short, and without the control characters that made it bad. */
function printableName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const shown = name.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${hex(c.charCodeAt(0)).slice(2)}`);
  return shown.length > 60 ? `${shown.slice(0, 60)}…` : shown;
}

/** Checks an `apiKey` option: a string that can travel in an `Authorization` header. */
export function checkApiKey(apiKey: unknown): void {
  if (apiKey === undefined || apiKey === null || apiKey === '') return;
  if (typeof apiKey !== 'string') {
    throw invalid(`apiKey must be a string, got ${describe(apiKey)}`);
  }
  if (BAD_HEADER_VALUE.test(apiKey)) {
    throw invalid(`apiKey contains ${badValueReason(apiKey)}; it was not sent`);
  }
}

/** Checks a `query` option: an object of strings, numbers, booleans (or `null`/`undefined`). */
export function checkQuery(query: unknown, where: string): void {
  if (query === undefined) return;
  if (!isRecord(query)) {
    throw invalid(`${where}: query must be an object, got ${describe(query)}`);
  }
  for (const [name, value] of Object.entries(query)) {
    if (value === null || value === undefined || typeof value === 'string') continue;
    if (typeof value === 'boolean') continue;
    if (typeof value === 'number' && Number.isFinite(value)) continue;
    throw invalid(
      `${where}: query parameter "${name}" must be a string, a finite number or a boolean, got ${typeof value === 'number' ? String(value) : describe(value)}`,
    );
  }
}

/** Checks a `secretHeaders` option: a list of header names. */
export function checkSecretHeaders(names: unknown, where: string): void {
  if (names === undefined) return;
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string')) {
    throw invalid(`${where}: secretHeaders must be an array of header names`);
  }
}

/** Whether `value` is an object with these methods (and, for `aborted`, a boolean). */
function hasShape(value: unknown, methods: readonly string[], booleans: readonly string[] = []) {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    methods.every((name) => typeof v[name] === 'function') &&
    booleans.every((name) => typeof v[name] === 'boolean')
  );
}

/** Checks a `signal` option: an `AbortSignal` (any realm's: it is duck-typed). */
export function checkSignal(signal: unknown, where: string): void {
  if (signal === undefined) return;
  if (!hasShape(signal, ['addEventListener', 'removeEventListener'], ['aborted'])) {
    throw invalid(`${where}: signal must be an AbortSignal, got ${describe(signal)}`);
  }
}

/** The longest wait a timer can take (about 24.8 days); longer ones fire at once in Node. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

function checkScheduler(scheduler: unknown, where: string): void {
  if (scheduler === undefined) return;
  if (!hasShape(scheduler, ['now', 'schedule'])) {
    throw invalid(`${where}.scheduler must be an RxJS scheduler, got ${describe(scheduler)}`);
  }
}

/** A wait in milliseconds: a number from 0 to {@link MAX_TIMER_MS}, or `Infinity` if allowed. */
function checkMs(value: unknown, name: string, infinityAllowed: boolean): void {
  if (value === undefined) return;
  const ok =
    typeof value === 'number' &&
    value >= 0 &&
    (value <= MAX_TIMER_MS || (infinityAllowed && value === Infinity));
  if (!ok) {
    throw invalid(
      `${name} must be a number of milliseconds from 0 to ${MAX_TIMER_MS}` +
        `${infinityAllowed ? ' (or Infinity for none)' : ''}, got ${show(value)}`,
    );
  }
}

const show = (value: unknown): string =>
  typeof value === 'string'
    ? JSON.stringify(value.slice(0, 40))
    : typeof value === 'number'
      ? String(value)
      : describe(value);

/** Checks a `timeout` option: `false`, or an object of per-phase limits. */
export function checkTimeout(timeout: unknown, where: string): void {
  if (timeout === undefined || timeout === false) return;
  if (!isRecord(timeout)) {
    throw invalid(`${where}: timeout must be an object or false, got ${show(timeout)}`);
  }
  const config = timeout as ChatTimeoutConfig;
  for (const phase of ['headers', 'firstChunk', 'idle', 'total'] as const) {
    checkMs(config[phase], `${where}: timeout.${phase}`, true);
  }
  if (config.endsData !== undefined && typeof config.endsData !== 'function') {
    throw invalid(
      `${where}: timeout.endsData must be a function, got ${describe(config.endsData)}`,
    );
  }
  checkScheduler(config.scheduler, `${where}: timeout`);
}

/** Checks a `retry` option: `false`, or an object of retry settings. */
export function checkRetry(retry: unknown, where: string): void {
  if (retry === undefined || retry === false) return;
  if (!isRecord(retry)) {
    throw invalid(`${where}: retry must be an object or false, got ${show(retry)}`);
  }
  const config = retry as RetryConfig;
  const { maxRetries, jitter } = config;
  if (
    maxRetries !== undefined &&
    !(typeof maxRetries === 'number' && Number.isInteger(maxRetries) && maxRetries >= 0)
  ) {
    throw invalid(
      `${where}: retry.maxRetries must be a whole number >= 0, got ${show(maxRetries)}`,
    );
  }
  checkMs(config.baseDelay, `${where}: retry.baseDelay`, false);
  checkMs(config.maxDelay, `${where}: retry.maxDelay`, false);
  checkMs(config.maxRetryAfter, `${where}: retry.maxRetryAfter`, false);
  if (jitter !== undefined && !(typeof jitter === 'number' && jitter >= 0 && jitter <= 1)) {
    throw invalid(`${where}: retry.jitter must be a number from 0 to 1, got ${show(jitter)}`);
  }
  for (const name of ['random', 'shouldRetry', 'isOutput'] as const) {
    const value = config[name];
    if (value !== undefined && typeof value !== 'function') {
      throw invalid(`${where}: retry.${name} must be a function, got ${describe(value)}`);
    }
  }
  checkScheduler(config.scheduler, `${where}: retry`);
}

/** Checks the options of one request (the second argument of `stream` and `complete`). */
export function checkRequestOptions(options: unknown): void {
  if (options === undefined) return;
  if (!isRecord(options)) {
    throw invalid(`request options must be an object, got ${describe(options)}`);
  }
  checkSharedOptions(options, 'request options');
}

/** Checks the options a client and a request both take. */
function checkSharedOptions(options: Record<string, unknown>, where: string): void {
  checkHeaders(options.headers, where);
  checkQuery(options.query, where);
  checkRetry(options.retry, where);
  checkTimeout(options.timeout, where);
  checkSignal(options.signal, where);
  checkSecretHeaders(options.secretHeaders, where);
}

/** Checks the client's options that `stream` reads (each stream reports a problem here). */
export function checkClientOptions(options: Record<string, unknown>): void {
  const where = 'createChatClient';
  checkApiKey(options.apiKey);
  checkSharedOptions(options, where);
  if (options.baseURL !== undefined && typeof options.baseURL !== 'string') {
    throw invalid(`${where}: baseURL must be a string, got ${describe(options.baseURL)}`);
  }
}
