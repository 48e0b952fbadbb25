import { isRecord, kindOf, RxChatError } from '../errors';

/** A content part of a user message (text, image, audio, file, or a provider's own kind). */
export interface ChatContentPart {
  /** The part's kind; the other fields depend on it (`image_url: { url }` for `'image_url'`). */
  type: 'text' | 'image_url' | 'input_audio' | 'file' | (string & {});
  /** The text of a `'text'` part. */
  text?: string;
  /** The kind's own fields (`image_url`, `input_audio`, `file`, …), sent as given. */
  [key: string]: unknown;
}

/**
 * A tool call in an assistant message of the conversation: a function call, or a custom
 * (freeform) tool call, so the calls of a completion go back into the conversation as they are.
 */
export type ChatRequestToolCall =
  | {
      /** The call's id, which the `tool` message answering it quotes as `tool_call_id`. */
      id: string;
      /** The discriminant: a function call. */
      type: 'function';
      /** The function called. */
      function: {
        /** The function's name. */
        name: string;
        /** Its arguments as the model wrote them (a JSON text). */
        arguments: string;
      };
    }
  | {
      /** The call's id, which the `tool` message answering it quotes as `tool_call_id`. */
      id: string;
      /** The discriminant: a custom (freeform) tool call. */
      type: 'custom';
      /** The custom tool called. */
      custom: {
        /** The tool's name. */
        name: string;
        /** The free-form text the model wrote for it. */
        input: string;
      };
    };

/** One message of the conversation. Provider-specific fields pass through. */
export interface ChatMessage {
  /** Who speaks: `'system'` or `'developer'` (instructions), `'user'`, `'assistant'`, `'tool'`. */
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | (string & {});
  /**
   * The text, or typed parts (images, audio, files) for user messages; `null` or absent for an
   * assistant message that only calls tools.
   */
  content?: string | ChatContentPart[] | null;
  /** An optional name for the participant, to tell speakers of one role apart. */
  name?: string;
  /** `assistant` messages: the tool calls the model made, as a completion returned them. */
  tool_calls?: ChatRequestToolCall[];
  /** `tool` messages: the id of the call this message answers. */
  tool_call_id?: string;
  /** Provider-specific fields, sent as given. */
  [key: string]: unknown;
}

/** A tool the model may call: a function, or a provider's other kind (`custom`, …). */
export interface ChatTool {
  /** `'function'`, or another kind the provider knows (its fields then go beside `type`). */
  type: 'function' | (string & {});
  /** The function, for `type: 'function'`. */
  function?: {
    /** The name the model calls it by (letters, digits, `_` and `-`, for OpenAI). */
    name: string;
    /** What the function does and when to call it, for the model. */
    description?: string;
    /** The arguments as a JSON Schema object; absent for a function without arguments. */
    parameters?: unknown;
    /** Whether the model must follow `parameters` exactly (OpenAI's structured outputs). */
    strict?: boolean;
  };
  /** The kind's own fields (`custom: { name, format }`, …), sent as given. */
  [key: string]: unknown;
}

/**
 * The body of `POST /chat/completions`, as in OpenAI's API. rxchat sets `stream: true` and (unless
 * the client's `includeUsage` is off) `stream_options.include_usage`. Fields rxchat does not know
 * (provider extensions such as `reasoning_effort`, `top_k`, `extra_body` content) pass through.
 */
export interface ChatRequest {
  /** The model to ask, as the provider names it (`'gpt-4o-mini'`); must not be empty. */
  model: string;
  /** The conversation so far, oldest first; at least one message. */
  messages: ChatMessage[];
  /** Tools the model may call; absent means none. */
  tools?: ChatTool[];
  /**
   * Whether and which tool the model calls: `'auto'` (the default when `tools` are given),
   * `'none'`, `'required'` (at least one), or one named tool.
   */
  tool_choice?:
    | 'none'
    | 'auto'
    | 'required'
    | {
        /** The discriminant: force one function. */
        type: 'function';
        /** The function to call. */
        function: {
          /** Its name, as in {@link ChatTool}. */
          name: string;
        };
      }
    | {
        /** The discriminant: force one custom tool. */
        type: 'custom';
        /** The custom tool to call. */
        custom: {
          /** Its name. */
          name: string;
        };
      };
  /** Whether the model may make several tool calls in one answer (provider default: `true`). */
  parallel_tool_calls?: boolean;
  /** Sampling temperature, 0 to 2 for OpenAI (provider default, usually 1); must be finite. */
  temperature?: number;
  /** Nucleus sampling: the probability mass to sample from, 0 to 1; must be finite. */
  top_p?: number;
  /** How many choices to generate (an integer ≥ 1; default 1). Chunks then carry `index`. */
  n?: number;
  /** The most tokens to generate (an integer ≥ 1); the older name of `max_completion_tokens`. */
  max_tokens?: number;
  /** The most tokens to generate, reasoning tokens included (an integer ≥ 1). */
  max_completion_tokens?: number;
  /** Up to 4 sequences (OpenAI) where generation stops; the sequence is not included. */
  stop?: string | string[] | null;
  /** A seed for best-effort deterministic sampling. */
  seed?: number;
  /** -2 to 2: positive values favour tokens not yet used (new topics). */
  presence_penalty?: number;
  /** -2 to 2: positive values penalise tokens by how often they were used (less repetition). */
  frequency_penalty?: number;
  /** Whether to return log probabilities of the output tokens (in each choice's `logprobs`). */
  logprobs?: boolean;
  /** How many most likely tokens to return per position (0 to 20); needs `logprobs: true`. */
  top_logprobs?: number;
  /** The output format: `{ type: 'json_object' }` or `{ type: 'json_schema', json_schema }`. */
  response_format?: {
    /** `'text'` (the default), `'json_object'` or `'json_schema'`. */
    type: string;
    /** The format's own fields (`json_schema: { name, schema, strict }`). */
    [key: string]: unknown;
  };
  /**
   * Streaming options. rxchat adds `include_usage: true` unless the client's `includeUsage` is
   * `false`; fields given here win over it.
   */
  stream_options?: {
    /** Whether the server sends usage on a last chunk; rxchat asks for it by default. */
    include_usage?: boolean;
    /** A provider's other streaming options, sent as given. */
    [key: string]: unknown;
  } | null;
  /** An id for the end user, for the provider's abuse monitoring. */
  user?: string;
  /** Provider extensions (`reasoning_effort`, `top_k`, …), sent as given. */
  [key: string]: unknown;
}

/**
 * Checks a request before anything goes on the wire and serialises it with `stream: true` (and
 * `stream_options.include_usage` when asked). Fails with `validation_error` naming each problem.
 */
export function serialiseRequest(request: ChatRequest, includeUsage: boolean): string {
  let json: string;
  try {
    const problems = isPlainRequest(request) ? [] : requestIssues(request);
    if (problems.length) {
      throw new RxChatError('validation_error', `Invalid chat request: ${problems.join('; ')}`);
    }
    const body: Record<string, unknown> = { ...request, stream: true };
    if (includeUsage) {
      body.stream_options = { include_usage: true, ...(request.stream_options ?? {}) };
    }
    json = JSON.stringify(body);
    // JSON writes NaN and ±Infinity as null: a silent change of what the caller asked for. No
    // "null" in the text means there was none; otherwise find where it came from.
    const path = json.includes('null') ? nonFiniteNumberPath(body, '') : undefined;
    if (path !== undefined) {
      throw new RxChatError(
        'validation_error',
        `Invalid chat request: ${path || 'request'} is not a finite number (JSON cannot carry NaN or Infinity)`,
      );
    }
  } catch (cause) {
    if (RxChatError.isInstance(cause)) throw cause;
    // A getter or toJSON that throws, a cycle, a BigInt: the request cannot be read as JSON.
    throw new RxChatError(
      'validation_error',
      `Invalid chat request: it cannot be serialised as JSON (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  }
  return json;
}

/**
 * The path of the first NaN or ±Infinity JSON.stringify would write as `null`, or `undefined`.
 * Follows what JSON.stringify follows: `toJSON` results, own enumerable keys, array items.
 */
function nonFiniteNumberPath(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (typeof value !== 'object' || value === null || depth > 64) return undefined;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const shown: unknown = (toJSON as (key: string) => unknown).call(value, '');
    if (shown !== value) return nonFiniteNumberPath(shown, path, depth + 1);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nonFiniteNumberPath(value[i], `${path}${path ? '.' : ''}${i}`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const found = nonFiniteNumberPath(item, `${path}${path ? '.' : ''}${key}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

const absentOr = (value: unknown, type: 'string' | 'number') =>
  value === undefined || typeof value === type;

/**
 * The common request (text messages, sampling settings) checked in one pass that allocates
 * nothing. Whatever this accepts, `requestIssues` (and the zod schema in ./request-schema.ts)
 * accepts too; anything else (tools, multimodal content, n, token limits, stream options) goes
 * to `requestIssues`, which has the last word and the error messages.
 */
export function isPlainRequest(request: unknown): boolean {
  if (!isRecord(request)) return false;
  const { model, messages, temperature, top_p, stop } = request;
  if (typeof model !== 'string' || model.length === 0) return false;
  if (!Array.isArray(messages) || messages.length === 0) return false;
  for (const message of messages) {
    if (!isRecord(message)) return false;
    const { role, content } = message;
    if (typeof role !== 'string' || role.length === 0) return false;
    if (content !== undefined && content !== null && typeof content !== 'string') return false;
    if (!absentOr(message.name, 'string') || !absentOr(message.tool_call_id, 'string'))
      return false;
    if (message.tool_calls !== undefined) return false;
  }
  if (request.stream !== undefined && request.stream !== true) return false;
  for (const field of ['stream_options', 'tools', 'n', 'max_tokens', 'max_completion_tokens']) {
    if (request[field] !== undefined) return false;
  }
  for (const value of [temperature, top_p]) {
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value))) return false;
  }
  return stop === undefined || stop === null || typeof stop === 'string';
}

/**
 * What is wrong with a request, as `path: problem` (the path `request` for the value itself), up
 * to `max` problems; empty when it is valid. Lenient like the chunk checks: the fields rxchat or
 * every provider relies on are typed, everything else passes through untouched. The rules are
 * those of the zod schema in ./request-schema.ts, which a property test holds this to.
 */
export function requestIssues(request: unknown, max = 5): string[] {
  const issues: string[] = [];
  const add = (path: string, problem: string): false => {
    if (issues.length < max) issues.push(`${path || 'request'}: ${problem}`);
    return false;
  };
  const expected = (path: string, what: string, v: unknown) =>
    add(path, `Invalid input: expected ${what}, received ${kindOf(v)}`);
  const at = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));
  const string = (v: unknown, path: string, empty?: string): boolean => {
    if (typeof v !== 'string') return expected(path, 'string', v);
    return empty !== undefined && v.length === 0 ? add(path, empty) : true;
  };
  const optional = (v: unknown, path: string, check: (v: unknown, path: string) => boolean) =>
    v === undefined || check(v, path);
  const object = (v: unknown, path: string): v is Record<string, unknown> =>
    isRecord(v) || expected(path, 'object', v);
  const strings = (o: Record<string, unknown>, path: string, keys: string[]) =>
    keys.map((key) => string(o[key], at(path, key))).every(Boolean);
  const positiveInteger = (v: unknown, path: string) =>
    (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) ||
    add(path, `expected an integer ≥ 1, received ${typeof v === 'number' ? v : kindOf(v)}`);
  const finite = (v: unknown, path: string) =>
    (typeof v === 'number' && Number.isFinite(v)) ||
    add(path, `must be a finite number, received ${typeof v === 'number' ? v : kindOf(v)}`);

  const toolCall = (v: unknown, path: string) => {
    if (!object(v, path)) return;
    const { id, type, custom, function: fn } = v;
    const has = (o: unknown, a: string, b: string) =>
      isRecord(o) && typeof o[a] === 'string' && typeof o[b] === 'string';
    // A custom call (`type: 'custom'`) or a function call (any other type): either will do.
    if (typeof id === 'string' && type === 'custom' && has(custom, 'name', 'input')) return;
    if (typeof id === 'string' && typeof type === 'string' && has(fn, 'name', 'arguments')) return;
    string(id, at(path, 'id'));
    if (type === 'custom' && fn === undefined) {
      if (object(custom, at(path, 'custom')))
        strings(custom, at(path, 'custom'), ['name', 'input']);
      return;
    }
    string(type, at(path, 'type'));
    if (object(fn, at(path, 'function'))) strings(fn, at(path, 'function'), ['name', 'arguments']);
  };
  const message = (v: unknown, path: string) => {
    if (!object(v, path)) return;
    string(v.role, at(path, 'role'), 'a message needs a role');
    const content = v.content;
    if (Array.isArray(content)) {
      content.forEach((part, i) => {
        if (object(part, at(at(path, 'content'), i))) {
          string(part.type, at(at(at(path, 'content'), i), 'type'), 'must not be empty');
        }
      });
    } else if (content !== undefined && content !== null && typeof content !== 'string') {
      expected(at(path, 'content'), 'string, array of parts or null', content);
    }
    optional(v.name, at(path, 'name'), string);
    const calls = v.tool_calls;
    if (calls !== undefined) {
      if (!Array.isArray(calls)) expected(at(path, 'tool_calls'), 'array', calls);
      else calls.forEach((call, i) => toolCall(call, at(at(path, 'tool_calls'), i)));
    }
    optional(v.tool_call_id, at(path, 'tool_call_id'), string);
  };
  const tool = (v: unknown, path: string) => {
    if (!object(v, path)) return;
    string(v.type, at(path, 'type'), 'must not be empty');
    const fn = v.function;
    if (fn !== undefined && object(fn, at(path, 'function'))) {
      string(fn.name, at(at(path, 'function'), 'name'), 'must not be empty');
    }
  };

  if (!object(request, '')) return issues;
  string(request.model, 'model', 'model must not be empty');
  const messages = request.messages;
  if (!Array.isArray(messages)) expected('messages', 'array', messages);
  else if (messages.length === 0) add('messages', 'messages must not be empty');
  else messages.forEach((m, i) => message(m, at('messages', i)));
  if (request.stream !== undefined && request.stream !== true) {
    add('stream', 'stream is always true here: use complete() for one answer');
  }
  const streamOptions = request.stream_options;
  if (streamOptions !== undefined && streamOptions !== null) {
    if (object(streamOptions, 'stream_options')) {
      const includeUsage = streamOptions.include_usage;
      if (includeUsage !== undefined && typeof includeUsage !== 'boolean') {
        expected('stream_options.include_usage', 'boolean', includeUsage);
      }
    }
  }
  const tools = request.tools;
  if (tools !== undefined) {
    if (!Array.isArray(tools)) expected('tools', 'array', tools);
    else tools.forEach((t, i) => tool(t, at('tools', i)));
  }
  for (const key of ['n', 'max_tokens', 'max_completion_tokens']) {
    optional(request[key], key, positiveInteger);
  }
  for (const key of ['temperature', 'top_p']) optional(request[key], key, finite);
  const stop = request.stop;
  if (Array.isArray(stop)) stop.forEach((s, i) => string(s, at('stop', i)));
  else if (stop !== undefined && stop !== null && typeof stop !== 'string') {
    expected('stop', 'string, array of strings or null', stop);
  }
  return issues;
}
