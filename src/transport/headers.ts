/** Response headers of any shape as a plain object with lower-case names. */
export function headerRecord(
  headers:
    | Iterable<[string, string]>
    | Record<string, string | string[] | undefined>
    | { forEach(callback: (value: string, name: string) => void): void },
): Record<string, string> {
  const record: Record<string, string> = {};
  if (typeof (headers as { forEach?: unknown }).forEach === 'function' && !Array.isArray(headers)) {
    (headers as { forEach(callback: (value: string, name: string) => void): void }).forEach(
      (value, name) => {
        record[name.toLowerCase()] = value;
      },
    );
    return record;
  }
  if (Symbol.iterator in (headers as object)) {
    for (const [name, value] of headers as Iterable<[string, string]>) {
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
