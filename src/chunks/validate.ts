import { isRecord, kindOf } from '../errors';
import type { ChatCompletionChunk } from './types';

/*
 * The zod schema in ./schema.ts (published as `rxchat/schemas`) is the contract, but the core does
 * not carry zod (92 kB gzipped in a browser bundle). The hot path runs `looksValid`, a
 * hand-written check of the same rules that allocates nothing; only when it says no does
 * `chunkIssues` walk the value again, by a table of the rules (SCHEMA), to explain why. Property tests
 * (test/chunks/validate.test.ts) pin both to the schema: `looksValid` accepts exactly what the
 * schema accepts, and `chunkIssues` finds a problem exactly when the schema does.
 */

/**
 * A rule: a primitive type; an object's fields (each rule, in the schema's order); or an array
 * `[item]` of items that must match `item` (`0`: anything), `[item, 1]` when a string will do
 * too. A field may always be `null` or absent; an array item (and the chunk itself) may not.
 */
type Rule = 'string' | 'number' | { [key: string]: Rule } | [Rule | 0] | [Rule | 0, 1];

const usage: Rule = {
  prompt_tokens: 'number',
  completion_tokens: 'number',
  total_tokens: 'number',
};
const typedText: Rule = { type: 'string', text: 'string' };
const SCHEMA: Rule = {
  id: 'string',
  object: 'string',
  created: 'number',
  model: 'string',
  choices: [
    {
      index: 'number',
      delta: {
        role: 'string',
        content: [{ ...typedText, thinking: [typedText, 1] }, 1],
        reasoning_content: 'string',
        reasoning: 'string',
        refusal: 'string',
        tool_calls: [
          {
            index: 'number',
            id: 'string',
            type: 'string',
            function: { name: 'string', arguments: 'string' },
            custom: { name: 'string', input: 'string' },
          },
        ],
      },
      finish_reason: 'string',
      logprobs: { content: [0], refusal: [0] },
    },
  ],
  usage,
  x_groq: { usage },
};

/**
 * Notes in `issues` each way `v` breaks `rule` (up to `max`, as
 * `path: Invalid input: expected …, received …`); `item` when `v` may not be null or absent.
 */
function check(
  v: unknown,
  rule: Rule,
  item: boolean,
  path: string,
  issues: string[],
  max: number,
): void {
  if (!item && (v === undefined || v === null)) return;
  let expected: string;
  if (typeof rule === 'string') {
    if (typeof v === rule) return;
    expected = rule;
  } else if (Array.isArray(rule)) {
    if (rule[1] && typeof v === 'string') return;
    if (Array.isArray(v)) {
      const each = rule[0];
      if (each) v.forEach((x, i) => check(x, each, true, at(path, i), issues, max));
      return;
    }
    expected = rule[1] ? 'string or array' : 'array';
  } else {
    if (isRecord(v)) {
      for (const key in rule) check(v[key], rule[key]!, false, at(path, key), issues, max);
      return;
    }
    expected = 'object';
  }
  if (issues.length < max) {
    issues.push(`${path || '(chunk)'}: Invalid input: expected ${expected}, received ${kindOf(v)}`);
  }
}

const at = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));

const isObject = isRecord;
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

/**
 * Collects, in the schema's field order, what is wrong with a chunk-like value: up to `max`
 * problems as `path: Invalid input: expected …, received …` (the path `(chunk)` for the value
 * itself). Empty when the value is a valid chunk.
 */
export function chunkIssues(value: unknown, max = 3): string[] {
  const issues: string[] = [];
  check(value, SCHEMA, true, '', issues, max);
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
