// The one home of redaction: which headers and query parameters are secret, the secrets of a
// request, and the views that hide them (redacted text, headers, URLs, requests and errors).
import { isErrorLike, RxChatError } from '../errors';
import type { ChatHttpRequest } from '../transport/types';

const REDACTED = '[redacted]';

/** Replaces every occurrence of each secret in `text`. Secrets shorter than 4 characters are kept. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** How deep {@link redactError} follows nested objects, arrays and causes. */
const MAX_DEPTH = 8;

/**
 * Removes secrets from an error before it leaves the client: every string it carries, in
 * whatever own property it sits (message, stack, data, request id, the provider's message,
 * code, type and param, header values, fields a transport added), nested in plain objects and
 * arrays or not. Providers can echo a key back in any field ("Incorrect API key provided:
 * sk-...", a `param` naming the header), and so can proxies.
 *
 * Nested values are replaced by redacted copies, never edited in place: they may be shared with
 * the caller (the `headers` of a response event, say).
 *
 * A `cause` that is not an rxchat error (an undici or fetch error, or whatever a custom
 * transport threw, perhaps with its request config and headers attached) is replaced by a plain
 * copy of its name, code, message and stack, so no other property of it can carry a key out.
 */
export function redactError<E>(error: E, secrets: readonly string[], depth = 0): E {
  if (secrets.length === 0 || depth > 4 || !isErrorLike(error)) return error;
  const target = error as unknown as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(target)) {
    if (key === 'cause') continue;
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    // Accessors (V8's `stack` on some versions) are read once; a throwing getter is left alone.
    let value: unknown;
    try {
      value = descriptor && 'value' in descriptor ? descriptor.value : target[key];
    } catch {
      continue;
    }
    const clean = redactValue(value, secrets, 0, new Set());
    if (clean !== value) replace(target, key, clean, descriptor?.enumerable ?? false);
  }
  // `message` and `stack` may live on the prototype chain of an odd error: read them too.
  for (const key of ['message', 'stack']) {
    if (Object.prototype.hasOwnProperty.call(target, key)) continue;
    const value = target[key];
    if (typeof value === 'string') {
      const clean = redactText(value, secrets);
      if (clean !== value) replace(target, key, clean, false);
    }
  }
  if ('cause' in target && target.cause !== undefined) {
    replace(target, 'cause', plainCause(target.cause, secrets, depth + 1), false);
  }
  return error;
}

function replace(target: object, key: string, value: unknown, enumerable: boolean): void {
  try {
    Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable });
  } catch {
    // A frozen or non-configurable property cannot be rewritten; nothing else can be done.
  }
}

/**
 * `value` with every secret removed from its strings: the value itself when nothing changed, a
 * redacted copy of a plain object or array otherwise. Other objects (class instances, typed
 * arrays, errors) are not errors' data and are returned as they are; nested errors are causes,
 * handled by {@link redactError}.
 */
function redactValue(
  value: unknown,
  secrets: readonly string[],
  depth: number,
  seen: Set<object>,
): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH || seen.has(value)) {
    return value;
  }
  if (Array.isArray(value)) {
    seen.add(value);
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const clean = redactValue(item, secrets, depth + 1, seen);
      if (clean !== item) (copy ??= value.slice())[i] = clean;
    }
    seen.delete(value);
    return copy ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  seen.add(value);
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const clean = redactValue(item, secrets, depth + 1, seen);
    if (clean !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = clean;
  }
  seen.delete(value);
  return copy ?? value;
}

function plainCause(cause: unknown, secrets: readonly string[], depth: number): unknown {
  if (RxChatError.isInstance(cause)) return redactError(cause, secrets, depth);
  if (typeof cause === 'string') return redactText(cause, secrets);
  if (!isErrorLike(cause)) return cause === null || typeof cause !== 'object' ? cause : REDACTED;
  const copy = new Error(redactText(cause.message, secrets));
  copy.name = cause.name;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') replace(copy, 'code', redactText(code, secrets), true);
  else if (typeof code === 'number') replace(copy, 'code', code, true);
  replace(copy, 'stack', redactText(String(cause.stack ?? ''), secrets), false);
  if (cause.cause !== undefined && depth < 4) {
    replace(copy, 'cause', plainCause(cause.cause, secrets, depth + 1), false);
  }
  return copy;
}

/** Header names whose values are secrets: never shown in logs, errors or inspections. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'api-key',
  'x-api-key',
  'x-goog-api-key',
  'cookie',
]);

/**
 * Header names that hold a credential by their shape: `x-portkey-api-key`, `x-functions-key`,
 * `ocp-apim-subscription-key`, `x-auth-token`, `cf-access-client-secret`, ….
 */
const SECRET_HEADER_NAME = /(^|[-_])(api[-_]?key|key|token|secret|password|auth)$/i;

/**
 * Which request headers are secret: the well-known ones ({@link SECRET_HEADERS}), any whose name
 * has a credential's shape, and the ones the caller named (`secretHeaders`). Their values are
 * redacted wherever they could show, like the API key.
 */
export function secretHeaderTest(
  ...named: (readonly string[] | undefined)[]
): (name: string) => boolean {
  // Most streams name none: they share one test instead of building a set each.
  if (named.every((names) => names === undefined || names.length === 0)) {
    return DEFAULT_SECRET_HEADER;
  }
  const extra = new Set(named.flatMap((names) => (names ?? []).map((n) => n.toLowerCase())));
  return (name) => DEFAULT_SECRET_HEADER(name) || extra.has(name);
}

/** The secret-header test when none are named: the well-known names and credential shapes. */
const DEFAULT_SECRET_HEADER = (name: string): boolean =>
  SECRET_HEADERS.has(name) || SECRET_HEADER_NAME.test(name);

/** Query parameters whose values are credentials (Azure SAS `sig`, Gemini-style `key`, …). */
const SECRET_QUERY = /^(api[-_]?key|key|token|access[-_]?token|sig|signature|code)$/i;

/**
 * The secrets that must never show: the API key, the values of secret headers, and secret query
 * parameters of the final URL, both as given and percent-encoded as they appear in the URL.
 */
export function secretsOf(
  apiKey: string | undefined,
  headers: Record<string, string>,
  url?: string,
  isSecretHeader: (name: string) => boolean = DEFAULT_SECRET_HEADER,
): string[] {
  const secrets = new Set<string>();
  if (apiKey) secrets.add(apiKey);
  for (const [name, value] of Object.entries(headers)) {
    if (!isSecretHeader(name)) continue;
    secrets.add(value);
    // "Bearer sk-..." also hides the bare token.
    const space = value.indexOf(' ');
    if (space !== -1) secrets.add(value.slice(space + 1).trim());
  }
  const password = url?.match(USERINFO_PASSWORD)?.[2];
  if (password) secrets.add(password);
  for (const [, value] of secretParams(url)) {
    secrets.add(value);
    secrets.add(encodeURIComponent(value));
    secrets.add(new URLSearchParams({ v: value }).toString().slice(2));
  }
  return [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/**
 * Response headers fit to show (in `response` events and `http_error`s): the values of secret
 * headers replaced, and every secret removed from the others (a server or proxy may echo the
 * key back). The same object when there was nothing to hide.
 */
export function redactHeaders(
  headers: Readonly<Record<string, string>>,
  secrets: readonly string[],
  isSecretHeader: (name: string) => boolean,
): Readonly<Record<string, string>> {
  let shown: Record<string, string> | undefined;
  for (const name in headers) {
    const value = headers[name]!;
    const clean = isSecretHeader(name) ? '[redacted]' : redactText(value, secrets);
    if (clean !== value) (shown ??= { ...headers })[name] = clean;
  }
  return shown ?? headers;
}

function secretParams(url: string | undefined): [string, string][] {
  const q = url?.indexOf('?') ?? -1;
  if (!url || q === -1) return [];
  const params = new URLSearchParams(url.slice(q + 1).split('#', 1)[0]);
  return [...params].filter(([name, value]) => SECRET_QUERY.test(name) && value !== '');
}

/** `scheme://user:password@`: the password part of a URL's user info. */
const USERINFO_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):([^/?#@]*)@/i;

/**
 * A URL safe to show: a user-info password and secret query parameters blanked by name, other
 * secrets by value.
 */
export function redactURL(url: string, secrets: readonly string[]): string {
  url = url.replace(USERINFO_PASSWORD, '$1:REDACTED@');
  const q = url.indexOf('?');
  if (q === -1 || secretParams(url).length === 0) return redactText(url, secrets);
  const params = new URLSearchParams(url.slice(q + 1));
  for (const [name] of secretParams(url)) params.set(name, 'REDACTED');
  return redactText(`${url.slice(0, q)}?${params.toString()}`, secrets);
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * A request object that hides its secrets from `JSON.stringify`, `util.inspect`/`console.log`
 * and `toString()`, while `Object.entries(request.headers)` still yields the real values.
 */
export function createHttpRequest(
  method: 'POST' | 'GET',
  url: string,
  headers: Record<string, string>,
  body: string | undefined,
  secrets: readonly string[],
  isSecretHeader: (name: string) => boolean = DEFAULT_SECRET_HEADER,
): ChatHttpRequest {
  const shown = new RedactingHeaders(headers, secrets, isSecretHeader);
  return new RedactingRequest(
    method,
    url,
    shown as unknown as Record<string, string>,
    body,
    secrets,
  );
}

// Classes rather than per-object hidden properties: the redacting views live on the prototypes,
// so building a request (once per attempt) defines no properties, and the secrets sit in private
// fields that neither Object.entries, spreading, JSON nor util.inspect can see.

class RedactingHeaders {
  readonly #secrets: readonly string[];
  readonly #isSecret: (name: string) => boolean;

  constructor(
    headers: Record<string, string>,
    secrets: readonly string[],
    isSecret: (name: string) => boolean,
  ) {
    Object.assign(this, headers);
    this.#secrets = secrets;
    this.#isSecret = isSecret;
  }

  toJSON(): Record<string, string> {
    // A plain copy of the headers, redacted as a response's are.
    const headers = { ...(this as unknown as Record<string, string>) };
    return redactHeaders(headers, this.#secrets, this.#isSecret);
  }

  [inspectSymbol](): Record<string, string> {
    return this.toJSON();
  }
}

class RedactingRequest implements ChatHttpRequest {
  readonly #secrets: readonly string[];

  constructor(
    readonly method: 'POST' | 'GET',
    readonly url: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: string | undefined,
    secrets: readonly string[],
  ) {
    this.#secrets = secrets;
  }

  toJSON(): Record<string, unknown> {
    return {
      method: this.method,
      url: redactURL(this.url, this.#secrets),
      headers: (this.headers as unknown as RedactingHeaders).toJSON(),
      ...(this.body === undefined ? {} : { body: this.body }),
    };
  }

  [inspectSymbol](): Record<string, unknown> {
    return this.toJSON();
  }

  toString(): string {
    return `${this.method} ${redactURL(this.url, this.#secrets)}`;
  }
}
