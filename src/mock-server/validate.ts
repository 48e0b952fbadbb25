import { ApiError, invalidRequest } from './api-errors';
import type { AnswerRequest } from './answers';

/**
 * A chat completion request the server accepted: what answers read, and how to deliver them.
 *
 * @example
 * ```ts
 * const request: ChatBody = validateChatBody(JSON.parse(text));
 * if (request.stream) await streamAnswer(context, dialect, planAnswer(request), request.includeUsage);
 * ```
 */
export interface ChatBody extends AnswerRequest {
  stream: boolean;
  /** `stream_options.include_usage`. */
  includeUsage: boolean;
}

const bad = (message: string, param: string | null, code: string | null = null) =>
  new ApiError(400, invalidRequest(message, param, code));

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalCount = (body: Record<string, unknown>, name: string, max: number) => {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw bad(
      `Invalid '${name}': expected an integer from 1 to ${max}, got ${JSON.stringify(value)}`,
      name,
    );
  }
  return value;
};

/**
 * Checks a parsed request body the way OpenAI does for the fields the mock reads, and throws an
 * {@link ApiError} (400, `invalid_request_error`, `param` naming the field) when one is wrong:
 * a body that is not an object, a missing or empty `model`, missing or empty `messages`, a
 * message without a role, a bad `n`, `max_tokens`, `max_completion_tokens`, `tools` or
 * `tool_choice`. Everything else passes through.
 *
 * @example
 * ```ts
 * validateChatBody({ model: 'mock-1', messages: [] }); // throws: param 'messages'
 * ```
 */
export function validateChatBody(body: unknown): ChatBody {
  if (!isObject(body)) throw bad('The request body must be a JSON object.', null);
  const { model, messages } = body;
  if (typeof model !== 'string' || model === '') {
    throw bad('You must provide a model parameter.', 'model');
  }
  if (!Array.isArray(messages)) {
    throw bad("Missing required parameter: 'messages'.", 'messages');
  }
  if (messages.length === 0) {
    throw bad(
      "Invalid 'messages': empty array. Expected an array with minimum length 1.",
      'messages',
      'empty_array',
    );
  }
  messages.forEach((message: unknown, i) => {
    if (!isObject(message) || typeof message.role !== 'string' || message.role === '') {
      throw bad(`Missing required parameter: 'messages.[${i}].role'.`, `messages.[${i}].role`);
    }
  });

  const tools = body.tools;
  if (tools !== undefined && tools !== null && (!Array.isArray(tools) || !tools.every(isObject))) {
    throw bad("Invalid 'tools': expected an array of objects.", 'tools');
  }
  const toolChoice = body.tool_choice;
  if (isObject(toolChoice)) {
    const name = (toolChoice.function as { name?: unknown } | undefined)?.name;
    const known = (tools as Record<string, unknown>[] | undefined)?.some(
      (tool) => (tool.function as { name?: unknown } | undefined)?.name === name,
    );
    if (!known) {
      throw bad(`Invalid 'tool_choice': no tool named ${JSON.stringify(name)}.`, 'tool_choice');
    }
  }

  const streamOptions = body.stream_options;
  return {
    model,
    messages: messages as Record<string, unknown>[],
    n: optionalCount(body, 'n', 128),
    max_tokens: optionalCount(body, 'max_tokens', 1_000_000),
    max_completion_tokens: optionalCount(body, 'max_completion_tokens', 1_000_000),
    tools: (tools ?? undefined) as Record<string, unknown>[] | undefined,
    tool_choice: toolChoice,
    parallel_tool_calls:
      typeof body.parallel_tool_calls === 'boolean' ? body.parallel_tool_calls : undefined,
    stream: body.stream === true,
    includeUsage: isObject(streamOptions) && streamOptions.include_usage === true,
  };
}
