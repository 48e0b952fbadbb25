// A Responses API request body (`POST /v1/responses`): checked as OpenAI does for the fields the
// mock reads, and turned into the chat request that answers are planned from, so both APIs give
// the same text for the same input.
import { ApiError, invalidRequest } from './api-errors';
import type { AnswerRequest } from './answers';

/**
 * A Responses request the server accepted: the chat request its answer is planned from, and
 * what the Response object echoes back.
 *
 * @example
 * ```ts
 * const body = validateResponsesBody({ model: 'mock-1', input: 'Hi', stream: true });
 * planAnswer(body.answerRequest).choices[0].content.join(''); // mockAnswerText('Hi')
 * ```
 */
export interface ResponsesBody {
  model: string;
  /** The input as chat messages: `instructions` first (as a system message), then the items. */
  answerRequest: AnswerRequest;
  stream: boolean;
  background: boolean;
  /** `store` (default true): whether `GET /v1/responses/{id}` finds it afterwards. */
  store: boolean;
  /** A reasoning item is part of the answer (a model name containing `reason`). */
  reasons: boolean;
  /** The reasoning item streams its summary (`reasoning.summary` set). */
  summarizes: boolean;
  /** The request fields a Response object echoes back. */
  echo: {
    instructions: string | null;
    max_output_tokens: number | null;
    previous_response_id: string | null;
    metadata: Record<string, unknown>;
    tools: unknown[];
    tool_choice: unknown;
    reasoning: { effort: unknown; summary: unknown };
    text: unknown;
    parallel_tool_calls: boolean;
  };
}

const bad = (message: string, param: string | null, code: string | null = null) =>
  new ApiError(400, invalidRequest(message, param, code));

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One input item as a chat message: messages keep their role and content (input_text parts
 * have the `text` chat's text parts have), a function call becomes an assistant tool call and
 * its output a tool message, so prompt tokens count alike.
 */
function messageOf(item: unknown, i: number): Record<string, unknown> {
  if (!isObject(item)) throw bad(`Invalid 'input[${i}]': expected an object.`, `input[${i}]`);
  if (item.type === 'function_call_output') {
    if (typeof item.call_id !== 'string') {
      throw bad(`Missing required parameter: 'input[${i}].call_id'.`, `input[${i}].call_id`);
    }
    const output = typeof item.output === 'string' ? item.output : JSON.stringify(item.output);
    return { role: 'tool', tool_call_id: item.call_id, content: output };
  }
  if (item.type === 'function_call') {
    return {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: item.call_id, function: { name: item.name, arguments: item.arguments } }],
    };
  }
  if (item.type !== undefined && item.type !== 'message') {
    // Reasoning items and the like carry no text a prompt counts.
    return { role: 'assistant', content: '' };
  }
  if (typeof item.role !== 'string' || item.role === '') {
    throw bad(`Missing required parameter: 'input[${i}].role'.`, `input[${i}].role`);
  }
  return { role: item.role, content: item.content };
}

/** The input as chat messages, `instructions` first. */
function messagesOf(input: unknown, instructions: string | null): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  if (instructions !== null) messages.push({ role: 'system', content: instructions });
  if (typeof input === 'string') messages.push({ role: 'user', content: input });
  else (input as unknown[]).forEach((item, i) => messages.push(messageOf(item, i)));
  return messages;
}

/** Responses tools are flat (`{type: 'function', name, parameters}`); chat's nest `function`. */
function chatToolsOf(tools: unknown): Record<string, unknown>[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools) || !tools.every(isObject)) {
    throw bad("Invalid 'tools': expected an array of objects.", 'tools');
  }
  return tools.map((tool) =>
    tool.type === 'function'
      ? { type: 'function', function: { name: tool.name, parameters: tool.parameters } }
      : tool,
  );
}

/** `tool_choice` in chat's form: `{type: 'function', name}` names its function the chat way. */
function chatToolChoiceOf(choice: unknown, tools: unknown): unknown {
  if (!isObject(choice)) return choice;
  if (choice.type !== 'function') return 'auto';
  const known =
    Array.isArray(tools) && tools.some((tool) => isObject(tool) && tool.name === choice.name);
  if (!known) {
    throw bad(
      `Invalid 'tool_choice': no tool named ${JSON.stringify(choice.name)}.`,
      'tool_choice',
    );
  }
  return { type: 'function', function: { name: choice.name } };
}

/** `max_output_tokens`: any positive integer (OpenAI asks for 16 or more; the mock is lenient). */
function maxOutputTokensOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw bad(
      `Invalid 'max_output_tokens': expected a positive integer, got ${JSON.stringify(value)}`,
      'max_output_tokens',
    );
  }
  return value;
}

/**
 * Checks a parsed `POST /v1/responses` body and throws an {@link ApiError} (400,
 * `invalid_request_error`, `param` naming the field) when one the mock reads is wrong: not an
 * object, a missing `model`, `messages` instead of `input` (as OpenAI answers a chat body), a
 * missing or malformed `input`, bad `tools`, `tool_choice` or `max_output_tokens`. The rest
 * passes through.
 *
 * @example
 * ```ts
 * validateResponsesBody({ model: 'mock-1', messages: [] }); // throws: param 'input'
 * ```
 */
export function validateResponsesBody(body: unknown): ResponsesBody {
  if (!isObject(body)) throw bad('The request body must be a JSON object.', null);
  const { model, input } = body;
  if (typeof model !== 'string' || model === '') {
    throw bad('You must provide a model parameter.', 'model');
  }
  if (input === undefined && body.messages !== undefined) {
    throw bad(
      "Unsupported parameter: 'messages'. In the Responses API, this parameter has moved to " +
        "'input'. Try again with the new parameter.",
      'input',
      'unsupported_parameter',
    );
  }
  if (typeof input !== 'string' && !Array.isArray(input)) {
    throw bad("Missing required parameter: 'input'.", 'input');
  }
  const instructions = typeof body.instructions === 'string' ? body.instructions : null;
  const maxOutputTokens = maxOutputTokensOf(body.max_output_tokens);
  const tools = chatToolsOf(body.tools);
  const reasoning = isObject(body.reasoning) ? body.reasoning : {};
  const parallel = body.parallel_tool_calls !== false;
  return {
    model,
    answerRequest: {
      model,
      messages: messagesOf(input, instructions),
      max_completion_tokens: maxOutputTokens,
      tools,
      tool_choice: chatToolChoiceOf(body.tool_choice, body.tools),
      parallel_tool_calls: parallel,
    },
    stream: body.stream === true,
    background: body.background === true,
    store: body.store !== false,
    reasons: model.toLowerCase().includes('reason'),
    summarizes: reasoning.summary !== undefined && reasoning.summary !== null,
    echo: {
      instructions,
      max_output_tokens: maxOutputTokens ?? null,
      previous_response_id:
        typeof body.previous_response_id === 'string' ? body.previous_response_id : null,
      metadata: isObject(body.metadata) ? body.metadata : {},
      tools: Array.isArray(body.tools) ? body.tools : [],
      tool_choice: body.tool_choice ?? 'auto',
      reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
      text: body.text ?? { format: { type: 'text' } },
      parallel_tool_calls: parallel,
    },
  };
}
