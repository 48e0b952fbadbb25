import type { ChatCompletionChunk } from './types';

/*
 * The zod schema in ./schema.ts (published as `rxchat/schemas`) is the contract, but the core does
 * not carry zod (92 kB gzipped in a browser bundle). The hot path runs `looksValid`, a
 * hand-written check of the same rules that allocates nothing; only when it says no does
 * `chunkIssues` walk the value again to explain why. Property tests
 * (test/chunks/validate.test.ts) pin both to the schema: `looksValid` accepts exactly what the
 * schema accepts, and `chunkIssues` finds a problem exactly when the schema does.
 */

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const nullishOr = (v: unknown, type: 'string' | 'number'): boolean =>
  v === undefined || v === null || typeof v === type;

function usageOk(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  return (
    isObject(v) &&
    nullishOr(v.prompt_tokens, 'number') &&
    nullishOr(v.completion_tokens, 'number') &&
    nullishOr(v.total_tokens, 'number')
  );
}

function toolCallOk(v: unknown): boolean {
  if (!isObject(v)) return false;
  if (!nullishOr(v.index, 'number') || !nullishOr(v.id, 'string') || !nullishOr(v.type, 'string'))
    return false;
  const fn = v.function;
  if (fn !== undefined && fn !== null) {
    if (!isObject(fn) || !nullishOr(fn.name, 'string') || !nullishOr(fn.arguments, 'string'))
      return false;
  }
  const custom = v.custom;
  if (custom === undefined || custom === null) return true;
  return isObject(custom) && nullishOr(custom.name, 'string') && nullishOr(custom.input, 'string');
}

function partOk(v: unknown): boolean {
  if (!isObject(v) || !nullishOr(v.type, 'string') || !nullishOr(v.text, 'string')) return false;
  const thinking = v.thinking;
  if (thinking === undefined || thinking === null || typeof thinking === 'string') return true;
  if (!Array.isArray(thinking)) return false;
  for (const inner of thinking) {
    if (!isObject(inner) || !nullishOr(inner.type, 'string') || !nullishOr(inner.text, 'string'))
      return false;
  }
  return true;
}

function arrayOf(v: unknown, ok: (item: unknown) => boolean): boolean {
  if (v === undefined || v === null) return true;
  if (!Array.isArray(v)) return false;
  for (const item of v) if (!ok(item)) return false;
  return true;
}

function deltaOk(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (!isObject(v)) return false;
  const content = v.content;
  if (
    content !== undefined &&
    content !== null &&
    typeof content !== 'string' &&
    !(Array.isArray(content) && arrayOf(content, partOk))
  )
    return false;
  return (
    nullishOr(v.role, 'string') &&
    nullishOr(v.reasoning_content, 'string') &&
    nullishOr(v.reasoning, 'string') &&
    nullishOr(v.refusal, 'string') &&
    arrayOf(v.tool_calls, toolCallOk)
  );
}

function logprobsOk(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  const anything = () => true;
  return isObject(v) && arrayOf(v.content, anything) && arrayOf(v.refusal, anything);
}

function choiceOk(v: unknown): boolean {
  return (
    isObject(v) &&
    nullishOr(v.index, 'number') &&
    nullishOr(v.finish_reason, 'string') &&
    deltaOk(v.delta) &&
    logprobsOk(v.logprobs)
  );
}

/** The allocation-free twin of `chatCompletionChunkSchema.safeParse(v).success`. */
export function looksValid(v: unknown): v is ChatCompletionChunk {
  if (!isObject(v)) return false;
  if (
    !nullishOr(v.id, 'string') ||
    !nullishOr(v.object, 'string') ||
    !nullishOr(v.created, 'number') ||
    !nullishOr(v.model, 'string') ||
    !arrayOf(v.choices, choiceOk) ||
    !usageOk(v.usage)
  )
    return false;
  const groq = v.x_groq;
  return groq === undefined || groq === null || (isObject(groq) && usageOk(groq.usage));
}

/** What a value is, in an explanation: `null`, `array`, or its `typeof`. */
const kindOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;

/**
 * Collects, in the schema's field order, what is wrong with a chunk-like value: up to `max`
 * problems as `path: Invalid input: expected …, received …` (the path `(chunk)` for the value
 * itself). Empty when the value is a valid chunk.
 */
export function chunkIssues(value: unknown, max = 3): string[] {
  const issues: string[] = [];
  const fail = (path: string, expected: string, v: unknown): false => {
    if (issues.length < max) {
      issues.push(
        `${path || '(chunk)'}: Invalid input: expected ${expected}, received ${kindOf(v)}`,
      );
    }
    return false;
  };
  const at = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));
  const nullish = (v: unknown) => v === undefined || v === null;
  /** Checks an object's fields, each optional and nullable, of the given primitive types. */
  const fields = (o: Obj, path: string, types: Record<string, 'string' | 'number'>) => {
    for (const [key, type] of Object.entries(types)) {
      if (!nullishOr(o[key], type)) fail(at(path, key), type, o[key]);
    }
  };
  /** Checks an object, or a nullish value when `optional`; returns it when it is an object. */
  const object = (v: unknown, path: string, optional: boolean): Obj | undefined => {
    if (optional && nullish(v)) return undefined;
    if (isObject(v)) return v;
    fail(path, 'object', v);
    return undefined;
  };
  /** Checks a nullish value or an array, and each item with `item`. */
  const array = (v: unknown, path: string, item: (v: unknown, path: string) => void) => {
    if (nullish(v)) return;
    if (!Array.isArray(v)) return void fail(path, 'array', v);
    v.forEach((entry, i) => item(entry, at(path, i)));
  };
  const usage = (v: unknown, path: string) => {
    const o = object(v, path, true);
    if (o)
      fields(o, path, {
        prompt_tokens: 'number',
        completion_tokens: 'number',
        total_tokens: 'number',
      });
  };
  const part = (v: unknown, path: string) => {
    const o = object(v, path, false);
    if (!o) return;
    fields(o, path, { type: 'string', text: 'string' });
    const thinking = o.thinking;
    if (nullish(thinking) || typeof thinking === 'string') return;
    if (!Array.isArray(thinking))
      return void fail(at(path, 'thinking'), 'string or array', thinking);
    thinking.forEach((inner, i) => {
      const p = at(at(path, 'thinking'), i);
      const io = object(inner, p, false);
      if (io) fields(io, p, { type: 'string', text: 'string' });
    });
  };
  const toolCall = (v: unknown, path: string) => {
    const o = object(v, path, false);
    if (!o) return;
    fields(o, path, { index: 'number', id: 'string', type: 'string' });
    const fn = object(o.function, at(path, 'function'), true);
    if (fn) fields(fn, at(path, 'function'), { name: 'string', arguments: 'string' });
    const custom = object(o.custom, at(path, 'custom'), true);
    if (custom) fields(custom, at(path, 'custom'), { name: 'string', input: 'string' });
  };
  const delta = (v: unknown, path: string) => {
    const o = object(v, path, true);
    if (!o) return;
    fields(o, path, { role: 'string' });
    const content = o.content;
    if (Array.isArray(content)) array(content, at(path, 'content'), part);
    else if (!nullishOr(content, 'string')) fail(at(path, 'content'), 'string or array', content);
    fields(o, path, { reasoning_content: 'string', reasoning: 'string', refusal: 'string' });
    array(o.tool_calls, at(path, 'tool_calls'), toolCall);
  };
  const choice = (v: unknown, path: string) => {
    const o = object(v, path, false);
    if (!o) return;
    fields(o, path, { index: 'number' });
    delta(o.delta, at(path, 'delta'));
    fields(o, path, { finish_reason: 'string' });
    const logprobs = object(o.logprobs, at(path, 'logprobs'), true);
    if (logprobs) {
      array(logprobs.content, at(at(path, 'logprobs'), 'content'), () => undefined);
      array(logprobs.refusal, at(at(path, 'logprobs'), 'refusal'), () => undefined);
    }
  };

  const chunk = object(value, '', false);
  if (!chunk) return issues;
  fields(chunk, '', { id: 'string', object: 'string', created: 'number', model: 'string' });
  array(chunk.choices, 'choices', choice);
  usage(chunk.usage, 'usage');
  const groq = object(chunk.x_groq, 'x_groq', true);
  if (groq) usage(groq.usage, 'x_groq.usage');
  return issues;
}

/**
 * Checks a parsed JSON value against the lenient chunk schema and returns what is wrong with it
 * (up to three problems, each with its path), or `undefined` when it is a valid chunk (then use
 * the value as received: no copy is made).
 */
export function chunkProblem(value: unknown): string | undefined {
  if (looksValid(value)) return undefined;
  const issues = chunkIssues(value);
  // Never empty (the property test pins it), but a rejection must always say something.
  return issues.length ? issues.join('; ') : '(chunk): Invalid input';
}
