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

/**
 * Removes secrets from an error before it leaves the client: its message, stack, data, provider
 * message, header values and (recursively, a few levels deep) its causes. Errors the provider
 * wrote can echo a key back ("Incorrect API key provided: sk-..."), and so can proxies.
 */
export function redactError<E>(error: E, secrets: readonly string[], depth = 0): E {
  if (secrets.length === 0 || depth > 4 || !isErrorLike(error)) {
    return error;
  }
  const target = error as unknown as Record<string, unknown> & Error;
  const scrub = (key: string) => {
    const value = target[key];
    if (typeof value === 'string') {
      const clean = redactText(value, secrets);
      if (clean !== value) {
        Object.defineProperty(target, key, { value: clean, writable: true, configurable: true });
      }
    }
  };
  scrub('message');
  scrub('stack');
  scrub('data');
  if (RxChatError.isInstance(error)) {
    const provider = error.provider;
    if (provider) {
      const message = redactText(provider.message, secrets);
      if (message !== provider.message) {
        Object.defineProperty(target, 'provider', {
          value: { ...provider, message },
          enumerable: true,
        });
      }
    }
    if (error.headers) {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(error.headers))
        headers[name] = redactText(value, secrets);
      Object.defineProperty(target, 'headers', { value: headers, enumerable: true });
    }
  }
  if (target.cause !== undefined) redactError(target.cause, secrets, depth + 1);
  return error;
}
