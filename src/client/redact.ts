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
