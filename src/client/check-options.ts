import { isRecord, kindOf, RxChatError } from '../errors';

/*
 * Options checked before anything is sent. A bad option is a caller's mistake: it becomes a
 * `validation_error` notification of the stream (never a throw at call time, never silently
 * ignored, never a retried `connection_error` from a transport that refused it). Messages name
 * the option, what was expected and what came, never a header's value: that value may be a key.
 */

const invalid = (message: string) => new RxChatError('validation_error', message);

/** A value for a message: short strings and numbers as they are, other values by their kind. */
const show = (value: unknown): string =>
  typeof value === 'string'
    ? JSON.stringify(value.slice(0, 40))
    : typeof value === 'number'
      ? String(value)
      : kindOf(value);

/**
 * Fails with `<what> must be <expected>, got <value>`: the value shown (see {@link show}) when
 * `shown`, else only its kind (for options that may hold a key).
 */
function fail(what: string, expected: string, value: unknown, shown?: boolean): never {
  throw invalid(`${what} must be ${expected}, got ${(shown ? show : kindOf)(value)}`);
}

/** An HTTP token (RFC 9110): the characters a header name may have. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The characters a header value may not have: CR, LF, NUL and other controls but tab (a header
 * injection, or a request every HTTP stack refuses), and anything above U+00FF (not Latin-1:
 * fetch and undici cannot send it as a header byte).
 */
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

const hex = (code: number) => code.toString(16).toUpperCase().padStart(4, '0');

/** Fails when `value` (of the header or API key `what`) has a character no header may carry. */
function checkHeaderValue(value: string, what: string): void {
  const bad = BAD_HEADER_VALUE.exec(value)?.[0];
  if (bad === undefined) return;
  const code = bad.charCodeAt(0);
  throw invalid(
    `${what} contains ${
      bad === '\r' || bad === '\n'
        ? 'a line break (CR or LF)'
        : code === 0
          ? 'a NUL character'
          : `a ${code < 0x20 || code === 0x7f ? 'control character' : 'character outside Latin-1'} (U+${hex(code)})`
    }; it was not sent`,
  );
}

/** Checks one header that is about to be sent (a merged one, the API key's included). */
export function checkHeader(name: string, value: unknown, where: string): void {
  if (!HEADER_NAME.test(name)) {
    // The name, short and without the control characters that made it bad.
    // eslint-disable-next-line no-control-regex
    const shown = name.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${hex(c.charCodeAt(0)).slice(2)}`);
    throw invalid(
      `${where}: "${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown}" is not a valid header name`,
    );
  }
  if (value === null || value === undefined) return;
  if (typeof value !== 'string') fail(`${where}: header "${name}"`, 'a string', value);
  checkHeaderValue(value, `${where}: the value of header "${name}"`);
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

/** The longest wait a timer can take (about 24.8 days); longer ones fire at once in Node. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Checks the fields of a `timeout` or `retry` option named `what` (`where: timeout`), in this
 * order: waits in milliseconds from 0 to {@link MAX_TIMER_MS} (or `Infinity` when
 * `infinityAllowed`), the option's own checks (`between`), functions, and an RxJS scheduler.
 */
function checkConfig(
  config: Record<string, unknown>,
  what: string,
  waits: readonly string[],
  infinityAllowed: boolean,
  functions: readonly string[],
  between?: () => void,
): void {
  for (const name of waits) {
    const value = config[name];
    if (
      value !== undefined &&
      !(
        typeof value === 'number' &&
        value >= 0 &&
        (value <= MAX_TIMER_MS || (infinityAllowed && value === Infinity))
      )
    ) {
      fail(
        `${what}.${name}`,
        `a number of milliseconds from 0 to ${MAX_TIMER_MS}${infinityAllowed ? ' (or Infinity for none)' : ''}`,
        value,
        true,
      );
    }
  }
  between?.();
  for (const name of functions) {
    const value = config[name];
    if (value !== undefined && typeof value !== 'function')
      fail(`${what}.${name}`, 'a function', value);
  }
  const scheduler = config.scheduler;
  if (scheduler !== undefined && !hasShape(scheduler, ['now', 'schedule'])) {
    fail(`${what}.scheduler`, 'an RxJS scheduler', scheduler);
  }
}

/** Checks the options a client and a request both take. */
function checkSharedOptions(options: Record<string, unknown>, where: string): void {
  const { headers, query, retry, timeout, signal, secretHeaders } = options;
  // headers: an object of valid names and sendable values (or `null`/`undefined`, which remove).
  if (headers !== undefined) {
    if (!isRecord(headers)) fail(`${where}: headers`, 'an object of strings', headers);
    for (const [name, value] of Object.entries(headers)) checkHeader(name, value, where);
  }
  // query: an object of strings, finite numbers, booleans (or `null`/`undefined`).
  if (query !== undefined) {
    if (!isRecord(query)) fail(`${where}: query`, 'an object', query);
    for (const [name, value] of Object.entries(query)) {
      if (
        !(value == null || typeof value === 'string' || typeof value === 'boolean') &&
        !(typeof value === 'number' && Number.isFinite(value))
      ) {
        fail(
          `${where}: query parameter "${name}"`,
          'a string, a finite number or a boolean',
          value,
          true,
        );
      }
    }
  }
  // retry: `false`, or an object of retry settings.
  if (retry !== undefined && retry !== false) {
    if (!isRecord(retry)) fail(`${where}: retry`, 'an object or false', retry, true);
    const { maxRetries, jitter } = retry;
    if (
      maxRetries !== undefined &&
      !(Number.isInteger(maxRetries) && (maxRetries as number) >= 0)
    ) {
      fail(`${where}: retry.maxRetries`, 'a whole number >= 0', maxRetries, true);
    }
    checkConfig(
      retry,
      `${where}: retry`,
      ['baseDelay', 'maxDelay', 'maxRetryAfter'],
      false,
      ['random', 'shouldRetry', 'isOutput'],
      () => {
        if (jitter !== undefined && !(typeof jitter === 'number' && jitter >= 0 && jitter <= 1)) {
          fail(`${where}: retry.jitter`, 'a number from 0 to 1', jitter, true);
        }
      },
    );
  }
  // timeout: `false`, or an object of per-phase limits.
  if (timeout !== undefined && timeout !== false) {
    if (!isRecord(timeout)) fail(`${where}: timeout`, 'an object or false', timeout, true);
    checkConfig(timeout, `${where}: timeout`, ['headers', 'firstChunk', 'idle', 'total'], true, [
      'endsData',
    ]);
  }
  // signal: an `AbortSignal` (any realm's: it is duck-typed).
  if (
    signal !== undefined &&
    !hasShape(signal, ['addEventListener', 'removeEventListener'], ['aborted'])
  ) {
    fail(`${where}: signal`, 'an AbortSignal', signal);
  }
  // secretHeaders: a list of header names.
  if (
    secretHeaders !== undefined &&
    (!Array.isArray(secretHeaders) || secretHeaders.some((name) => typeof name !== 'string'))
  ) {
    fail(`${where}: secretHeaders`, 'an array of header names', secretHeaders);
  }
}

/** Checks the options of one request (the second argument of `stream` and `complete`). */
export function checkRequestOptions(options: unknown): void {
  if (options === undefined) return;
  if (!isRecord(options)) fail('request options', 'an object', options);
  checkSharedOptions(options, 'request options');
}

/** Checks the client's options that `stream` reads (each stream reports a problem here). */
export function checkClientOptions(options: Record<string, unknown>): void {
  const { apiKey, baseURL } = options;
  // apiKey: a string that can travel in an `Authorization` header.
  if (apiKey !== undefined && apiKey !== null && apiKey !== '') {
    if (typeof apiKey !== 'string') fail('apiKey', 'a string', apiKey);
    checkHeaderValue(apiKey, 'apiKey');
  }
  checkSharedOptions(options, 'createChatClient');
  if (baseURL !== undefined && typeof baseURL !== 'string') {
    fail('createChatClient: baseURL', 'a string', baseURL);
  }
}
