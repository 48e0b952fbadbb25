import { SECRET_HEADERS } from '../transport/headers';
import type { ChatHttpRequest } from '../transport/types';
import { redactText } from './redact';

/** A value in a `headers` option; `null` or `undefined` removes a header set at a lower level. */
export type HeaderValue = string | null | undefined;

/** Query parameters appended to the URL, for example Azure's `api-version`. */
export type QueryParams = Record<string, string | number | boolean | null | undefined>;

/**
 * Joins a base URL and a path with exactly one slash, keeping the base's own query and adding
 * `query` (later values win; `null` and `undefined` remove).
 */
export function joinURL(
  baseURL: string,
  path: string,
  ...queries: (QueryParams | undefined)[]
): string {
  const hashless = baseURL.split('#', 1)[0]!;
  const q = hashless.indexOf('?');
  const base = q === -1 ? hashless : hashless.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : hashless.slice(q + 1));
  for (const query of queries) {
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value === null || value === undefined) params.delete(name);
      else params.set(name, String(value));
    }
  }
  const url = `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  const search = params.toString();
  return search ? `${url}?${search}` : url;
}

/** Merges header layers (later wins, case-insensitively); `null`/`undefined` remove. */
export function mergeHeaders(
  ...layers: (Record<string, HeaderValue> | undefined)[]
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer ?? {})) {
      const key = name.toLowerCase();
      if (value === null || value === undefined) delete merged[key];
      else merged[key] = value;
    }
  }
  return merged;
}

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
  const extra = new Set(named.flatMap((names) => (names ?? []).map((n) => n.toLowerCase())));
  return (name) => SECRET_HEADERS.has(name) || extra.has(name) || SECRET_HEADER_NAME.test(name);
}

const DEFAULT_SECRET_HEADER = secretHeaderTest();

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
    const shown: Record<string, string> = {};
    for (const [name, value] of Object.entries(this) as [string, string][]) {
      shown[name] = this.#isSecret(name) ? '[redacted]' : redactText(value, this.#secrets);
    }
    return shown;
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
