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

const STRINGS = ['item_id', 'delta', 'text', 'refusal', 'arguments', 'input', 'name'] as const;
const NUMBERS = ['sequence_number', 'output_index', 'content_index', 'summary_index'] as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

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
  for (const field of STRINGS) {
    const v = value[field];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      return `${field}: expected string, received ${kindOf(v)}`;
    }
  }
  for (const field of NUMBERS) {
    const v = value[field];
    if (v !== undefined && v !== null && typeof v !== 'number') {
      return `${field}: expected number, received ${kindOf(v)}`;
    }
  }
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
