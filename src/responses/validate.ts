/*
 * The lenient check of a Responses event: the fields rxchat reads must have their type when they
 * are present (or be null); everything else passes. One pass, no allocation on the way: the
 * scalar fields of the event itself are checked inline (a text delta has nothing else), nested
 * objects (`item`, `part`, `response`) by a small shape table.
 */

/** A field's expected kind: string, number, boolean, an object of fields, or an array of one. */
type Shape = 'string' | 'number' | { readonly [field: string]: Shape } | readonly [Shape];

const PART: Shape = { type: 'string', text: 'string', refusal: 'string' };
const ITEM: Shape = {
  type: 'string',
  id: 'string',
  status: 'string',
  call_id: 'string',
  name: 'string',
  arguments: 'string',
  input: 'string',
  content: [PART],
  summary: [PART],
};
const USAGE: Shape = {
  input_tokens: 'number',
  output_tokens: 'number',
  total_tokens: 'number',
  input_tokens_details: { cached_tokens: 'number' },
  output_tokens_details: { reasoning_tokens: 'number' },
};
const RESPONSE: Shape = {
  id: 'string',
  created_at: 'number',
  model: 'string',
  status: 'string',
  output: [ITEM],
  usage: USAGE,
  // `code` is not read for its type: some servers send an HTTP status number.
  error: { message: 'string' },
  incomplete_details: { reason: 'string' },
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

const notString = (v: unknown, field: string): string | undefined =>
  v === undefined || v === null || typeof v === 'string'
    ? undefined
    : `${field}: expected string, received ${kindOf(v)}`;
const notNumber = (v: unknown, field: string): string | undefined =>
  v === undefined || v === null || typeof v === 'number'
    ? undefined
    : `${field}: expected number, received ${kindOf(v)}`;

/** What is wrong with `value` (nullish is always fine) at `path`, or `undefined`. */
function shapeProblem(value: unknown, shape: Shape, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof shape === 'string') {
    return typeof value === shape
      ? undefined
      : `${path}: expected ${shape}, received ${kindOf(value)}`;
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return `${path}: expected array, received ${kindOf(value)}`;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (!isObject(item)) return `${path}.${i}: expected object, received ${kindOf(item)}`;
      const problem = shapeProblem(item, shape[0] as Shape, `${path}.${i}`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (!isObject(value)) return `${path}: expected object, received ${kindOf(value)}`;
  for (const field in shape) {
    const problem = shapeProblem(
      value[field],
      (shape as Record<string, Shape>)[field]!,
      `${path}.${field}`,
    );
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Why a parsed Responses event cannot be read (`field: expected …, received …`), or `undefined`
 * when it can: an object with a string `type`, and the fields rxchat reads of the right type.
 */
export function responseEventProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `event: expected object, received ${kindOf(value)}`;
  if (typeof value.type !== 'string')
    return `type: expected string, received ${kindOf(value.type)}`;
  // Each field read by name (not in a loop over names), so that every read site stays
  // monomorphic: a text delta has the same few fields every time, and this is its hot path.
  const bad =
    notString(value.delta, 'delta') ??
    notNumber(value.sequence_number, 'sequence_number') ??
    notNumber(value.output_index, 'output_index') ??
    notNumber(value.content_index, 'content_index') ??
    notString(value.item_id, 'item_id') ??
    notNumber(value.summary_index, 'summary_index') ??
    notString(value.text, 'text') ??
    notString(value.refusal, 'refusal') ??
    notString(value.arguments, 'arguments') ??
    notString(value.input, 'input') ??
    notString(value.name, 'name');
  if (bad !== undefined) return bad;
  // Error events: `code` may be a number on some servers (an HTTP status).
  if (value.message !== undefined && value.message !== null && typeof value.message !== 'string') {
    return `message: expected string, received ${kindOf(value.message)}`;
  }
  return (
    (value.item !== undefined && shapeProblem(value.item, ITEM, 'item')) ||
    (value.part !== undefined && shapeProblem(value.part, PART, 'part')) ||
    (value.response !== undefined && shapeProblem(value.response, RESPONSE, 'response')) ||
    undefined
  );
}
