/**
 * Response headers in any of the shapes HTTP clients give them: WHATWG `Headers` (fetch), a
 * Node or undici record (values may be arrays), a list of name/value pairs, or a multi-value
 * map with `keys()` and `getAll()` (Angular's `HttpHeaders`). `null` and `undefined` are none.
 */
export type HeadersLike =
  | Iterable<readonly [string, string]>
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | {
      /** Calls `callback` with each header (WHATWG `Headers`, fetch's). */
      forEach(callback: (value: string, name: string) => void): void;
    }
  | {
      /** The header names (Angular's `HttpHeaders`). */
      keys(): Iterable<string>;
      /** All values of one header, or `null` when absent. */
      getAll(name: string): string[] | null;
    }
  | null
  | undefined;

type MultiValueMap = { keys(): Iterable<string>; getAll(name: string): string[] | null };
type ForEachHeaders = { forEach(callback: (value: string, name: string) => void): void };

/** Response headers of any shape as a plain object with lower-case names, repeats joined. */
export function headerRecord(headers: HeadersLike): Record<string, string> {
  const record: Record<string, string> = {};
  if (headers == null) return record;
  // Before forEach: Angular's HttpHeaders has one too, called with (name, values).
  if (typeof (headers as Partial<MultiValueMap>).getAll === 'function') {
    const map = headers as MultiValueMap;
    for (const name of map.keys()) {
      const values = map.getAll(name);
      if (values) record[name.toLowerCase()] = values.join(', ');
    }
    return record;
  }
  if (
    typeof (headers as Partial<ForEachHeaders>).forEach === 'function' &&
    !Array.isArray(headers)
  ) {
    (headers as ForEachHeaders).forEach((value, name) => {
      record[name.toLowerCase()] = value;
    });
    return record;
  }
  if (Symbol.iterator in headers) {
    for (const [name, value] of headers as Iterable<readonly [string, string]>) {
      const key = name.toLowerCase();
      record[key] = key in record ? `${record[key]}, ${value}` : value;
    }
    return record;
  }
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (value === undefined) continue;
    record[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return record;
}
