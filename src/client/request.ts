import { z } from 'zod';
import { RxChatError } from '../errors';

/** A content part of a user message (text, image, audio, file, or a provider's own kind). */
export interface ChatContentPart {
  type: 'text' | 'image_url' | 'input_audio' | 'file' | (string & {});
  text?: string;
  [key: string]: unknown;
}

/**
 * A tool call in an assistant message of the conversation: a function call, or a custom
 * (freeform) tool call, so the calls of a completion go back into the conversation as they are.
 */
export type ChatRequestToolCall =
  | { id: string; type: 'function'; function: { name: string; arguments: string } }
  | { id: string; type: 'custom'; custom: { name: string; input: string } };

/** One message of the conversation. Provider-specific fields pass through. */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | (string & {});
  content?: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: ChatRequestToolCall[];
  tool_call_id?: string;
  [key: string]: unknown;
}

/** A function the model may call. */
export interface ChatTool {
  type: 'function' | (string & {});
  function?: { name: string; description?: string; parameters?: unknown; strict?: boolean };
  [key: string]: unknown;
}

/**
 * The body of `POST /chat/completions`, as in OpenAI's API. rxchat sets `stream: true` and (unless
 * the client's `includeUsage` is off) `stream_options.include_usage`. Fields rxchat does not know
 * (provider extensions such as `reasoning_effort`, `top_k`, `extra_body` content) pass through.
 */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  tool_choice?:
    | 'none'
    | 'auto'
    | 'required'
    | { type: 'function'; function: { name: string } }
    | { type: 'custom'; custom: { name: string } };
  parallel_tool_calls?: boolean;
  temperature?: number;
  top_p?: number;
  n?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[] | null;
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  logprobs?: boolean;
  top_logprobs?: number;
  response_format?: { type: string; [key: string]: unknown };
  stream_options?: { include_usage?: boolean; [key: string]: unknown } | null;
  user?: string;
  [key: string]: unknown;
}

// Lenient like the chunk schemas: the fields rxchat or every provider relies on are typed,
// everything else passes through untouched.
const contentSchema = z.union([
  z.string(),
  z.array(z.looseObject({ type: z.string().min(1) })),
  z.null(),
]);

const messageSchema = z.looseObject({
  role: z.string().min(1, 'a message needs a role'),
  content: contentSchema.optional(),
  name: z.string().optional(),
  tool_calls: z
    .array(
      z.union([
        z.looseObject({
          id: z.string(),
          type: z.literal('custom'),
          custom: z.looseObject({ name: z.string(), input: z.string() }),
        }),
        z.looseObject({
          id: z.string(),
          type: z.string(),
          function: z.looseObject({ name: z.string(), arguments: z.string() }),
        }),
      ]),
    )
    .optional(),
  tool_call_id: z.string().optional(),
});

const finiteNumber = z.number().refine(Number.isFinite, 'must be a finite number');

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1, 'model must not be empty'),
  messages: z.array(messageSchema).min(1, 'messages must not be empty'),
  stream: z.literal(true, 'stream is always true here: use complete() for one answer').optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  tools: z
    .array(
      z.looseObject({
        type: z.string().min(1),
        function: z.looseObject({ name: z.string().min(1) }).optional(),
      }),
    )
    .optional(),
  n: z.int().min(1).optional(),
  max_tokens: z.int().min(1).optional(),
  max_completion_tokens: z.int().min(1).optional(),
  temperature: finiteNumber.optional(),
  top_p: finiteNumber.optional(),
  stop: z.union([z.string(), z.array(z.string()), z.null()]).optional(),
});

/**
 * Checks a request before anything goes on the wire and serialises it with `stream: true` (and
 * `stream_options.include_usage` when asked). Fails with `validation_error` naming each problem.
 */
export function serialiseRequest(request: ChatRequest, includeUsage: boolean): string {
  let json: string;
  try {
    const result = isPlainRequest(request)
      ? ({ success: true } as const)
      : chatRequestSchema.safeParse(request);
    if (!result.success) {
      const problems = result.error.issues
        .slice(0, 5)
        .map(
          (issue) => `${issue.path.length ? issue.path.join('.') : 'request'}: ${issue.message}`,
        );
      throw new RxChatError('validation_error', `Invalid chat request: ${problems.join('; ')}`, {
        cause: result.error,
      });
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

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const absentOr = (value: unknown, type: 'string' | 'number') =>
  value === undefined || typeof value === type;

/**
 * The common request (text messages, sampling settings) checked by hand, so a plain request does
 * not pay for a zod parse. Whatever this accepts, {@link chatRequestSchema} accepts too; anything
 * else (tools, multimodal content, n, token limits, stream options) goes to the schema, which has
 * the last word and the error messages.
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
