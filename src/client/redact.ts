import { isErrorLike, RxChatError } from '../errors';

const REDACTED = '[redacted]';

/** Replaces every occurrence of each secret in `text`. Secrets shorter than 4 characters are kept. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

const set = (target: object, key: string, value: unknown, enumerable = false) =>
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable });

/**
 * Removes secrets from an error before it leaves the client: its message, stack, data, provider
 * message and header values. Errors the provider wrote can echo a key back ("Incorrect API key
 * provided: sk-..."), and so can proxies.
 *
 * A `cause` that is not an rxchat error (an undici or fetch error, or whatever a custom
 * transport threw, perhaps with its request config and headers attached) is replaced by a plain
 * copy of its name, code, message and stack, so no property of it can carry a key out.
 */
export function redactError<E>(error: E, secrets: readonly string[], depth = 0): E {
  if (secrets.length === 0 || depth > 4 || !isErrorLike(error)) return error;
  const target = error as unknown as Record<string, unknown> & Error;
  for (const key of ['message', 'stack', 'data']) {
    const value = target[key];
    if (typeof value === 'string') {
      const clean = redactText(value, secrets);
      if (clean !== value) set(target, key, clean, key === 'data');
    }
  }
  if (RxChatError.isInstance(error)) {
    const provider = error.provider;
    if (provider) {
      const message = redactText(provider.message, secrets);
      if (message !== provider.message) set(target, 'provider', { ...provider, message }, true);
    }
    if (error.headers) {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(error.headers)) {
        headers[name] = redactText(value, secrets);
      }
      set(target, 'headers', headers, true);
    }
  }
  if ('cause' in target && target.cause !== undefined) {
    set(target, 'cause', plainCause(target.cause, secrets, depth + 1));
  }
  return error;
}

function plainCause(cause: unknown, secrets: readonly string[], depth: number): unknown {
  if (RxChatError.isInstance(cause)) return redactError(cause, secrets, depth);
  if (typeof cause === 'string') return redactText(cause, secrets);
  if (!isErrorLike(cause)) return cause === null || typeof cause !== 'object' ? cause : REDACTED;
  const copy = new Error(redactText(cause.message, secrets));
  copy.name = cause.name;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') set(copy, 'code', code, true);
  set(copy, 'stack', redactText(String(cause.stack ?? ''), secrets));
  if (cause.cause !== undefined && depth < 4) {
    set(copy, 'cause', plainCause(cause.cause, secrets, depth + 1));
  }
  return copy;
}
