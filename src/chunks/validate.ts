import { chatCompletionChunkSchema } from './schema';
import type { ChatCompletionChunk } from './types';

/*
 * The zod schema in ./schema.ts is the contract. Running it on every chunk costs about half of
 * JSON.parse again, so the hot path first runs `looksValid`, a hand-written check of the same
 * rules that allocates nothing. Only when it says no does zod run, to decide and to explain.
 * The equivalence of the two is a property test (test/chunks/validate.test.ts): `looksValid`
 * must never accept what the schema rejects.
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

/**
 * Checks a parsed JSON value against the lenient chunk schema and returns what is wrong with it,
 * or `undefined` when it is a valid chunk (then use the value as received: no copy is made).
 */
export function chunkProblem(value: unknown): string | undefined {
  if (looksValid(value)) return undefined;
  const result = chatCompletionChunkSchema.safeParse(value);
  if (result.success) return undefined;
  return result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(chunk)'}: ${issue.message}`)
    .join('; ');
}
