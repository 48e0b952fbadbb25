import { RxChatError } from '../errors';
import type { ResponsesRequest } from './types';

const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A field's rule: its expected kind (nullish always passes) and, for numbers, a range check. */
const RULES: ReadonlyArray<
  readonly [string, 'string' | 'boolean' | 'object' | 'count' | 'finite']
> = [
  ['instructions', 'string'],
  ['previous_response_id', 'string'],
  ['store', 'boolean'],
  ['background', 'boolean'],
  ['metadata', 'object'],
  ['reasoning', 'object'],
  ['text', 'object'],
  ['max_output_tokens', 'count'],
  ['temperature', 'finite'],
  ['top_p', 'finite'],
];

/**
 * What is wrong with a Responses request, as `path: problem`, up to `max`; empty when it is
 * valid. Lenient: the fields rxchat or every server relies on are typed, the rest passes through.
 * A request with `messages` (a chat request sent to the wrong method) is named as such.
 */
export function responsesRequestIssues(request: unknown, max = 5): string[] {
  const issues: string[] = [];
  const add = (path: string, problem: string) => {
    if (issues.length < max) issues.push(`${path}: ${problem}`);
  };
  if (!isRecord(request)) {
    add('request', `expected object, received ${kindOf(request)}`);
    return issues;
  }
  const { model, input, tools, stream } = request;
  if (typeof model !== 'string') add('model', `expected string, received ${kindOf(model)}`);
  else if (model === '') add('model', 'must not be empty');
  if (request.messages !== undefined) {
    add(
      'messages',
      'the Responses API takes `input` (a text or items), not `messages`: use stream() for Chat Completions, or send the messages as `input`',
    );
  }
  if (request.stream_options !== undefined) {
    add(
      'stream_options',
      'is a Chat Completions field; the Responses API reports usage without it',
    );
  }
  if (stream !== undefined && stream !== true)
    add('stream', 'must be true or absent (the client streams)');
  if (input !== undefined && typeof input !== 'string') {
    if (!Array.isArray(input)) add('input', `expected string or array, received ${kindOf(input)}`);
    else {
      input.forEach((item: unknown, i) => {
        if (!isRecord(item)) add(`input.${i}`, `expected object, received ${kindOf(item)}`);
        else if (item.type !== undefined && typeof item.type !== 'string') {
          add(`input.${i}.type`, `expected string, received ${kindOf(item.type)}`);
        }
      });
    }
  }
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) add('tools', `expected array, received ${kindOf(tools)}`);
    else {
      tools.forEach((tool: unknown, i) => {
        if (!isRecord(tool)) add(`tools.${i}`, `expected object, received ${kindOf(tool)}`);
        else if (typeof tool.type !== 'string') {
          add(`tools.${i}.type`, `expected string, received ${kindOf(tool.type)}`);
        }
      });
    }
  }
  const { tool_choice: choice, metadata, text } = request;
  if (choice !== undefined && choice !== null && typeof choice !== 'string' && !isRecord(choice)) {
    add('tool_choice', `expected string or object, received ${kindOf(choice)}`);
  }
  if (isRecord(metadata)) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string')
        add(`metadata.${key}`, `expected string, received ${kindOf(value)}`);
    }
  }
  if (isRecord(text) && text.format != null && !isRecord(text.format)) {
    add('text.format', `expected object, received ${kindOf(text.format)}`);
  }
  for (const [field, rule] of RULES) {
    const v = request[field];
    if (v === undefined || v === null) continue;
    if (rule === 'count') {
      if (!(typeof v === 'number' && Number.isSafeInteger(v) && v >= 1)) {
        add(field, `expected an integer ≥ 1, received ${typeof v === 'number' ? v : kindOf(v)}`);
      }
    } else if (rule === 'finite') {
      if (!(typeof v === 'number' && Number.isFinite(v))) {
        add(field, `must be a finite number, received ${typeof v === 'number' ? v : kindOf(v)}`);
      }
    } else if (rule === 'object' ? !isRecord(v) : typeof v !== rule) {
      add(field, `expected ${rule}, received ${kindOf(v)}`);
    }
  }
  return issues;
}

/**
 * Checks a Responses request and serialises it with `stream: true`. Fails with
 * `validation_error` naming each problem (and a number JSON cannot carry, NaN or ±Infinity).
 */
export function serialiseResponsesRequest(request: ResponsesRequest): string {
  const problems = responsesRequestIssues(request);
  if (problems.length) {
    throw new RxChatError('validation_error', `Invalid Responses request: ${problems.join('; ')}`);
  }
  let badNumber: string | undefined;
  let json: string;
  try {
    json = JSON.stringify({ ...request, stream: true }, function (key, value: unknown) {
      if (typeof value === 'number' && !Number.isFinite(value)) badNumber ??= key;
      return value;
    });
  } catch (cause) {
    throw new RxChatError(
      'validation_error',
      `Invalid Responses request: it cannot be serialised as JSON (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  }
  if (badNumber !== undefined) {
    throw new RxChatError(
      'validation_error',
      `Invalid Responses request: ${badNumber || 'request'} is not a finite number (JSON cannot carry NaN or Infinity)`,
    );
  }
  return json;
}
