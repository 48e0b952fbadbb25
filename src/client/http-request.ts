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
