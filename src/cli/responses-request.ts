import type { ChatRequest, ResponseInputItem, ResponsesRequest } from '../node';

/**
 * The Responses API counterpart of the chat request `rxchat chat` builds, for `--api responses`:
 * system messages become `instructions` (the Responses API's place for them; joined by a blank
 * line if there were several), the other messages `input` items as they are (`{ role, content }`
 * is a message item), the token limit `max_output_tokens`, a `json_schema` response format
 * `text.format`, and function tools (and a named `tool_choice`) in their flat form. The
 * Responses API has one limit
 * where chat has two, so `--max-completion-tokens` wins over `--max-tokens`, as OpenAI's chat
 * endpoint reads them. `stream_options` has no counterpart: the terminal event always carries
 * the usage.
 */
export function toResponsesRequest(request: ChatRequest): ResponsesRequest {
  const system: string[] = [];
  const input: ResponseInputItem[] = [];
  for (const message of request.messages) {
    if (message.role === 'system' && typeof message.content === 'string') {
      system.push(message.content);
    } else {
      // The CLI's messages are text, which a Responses message item takes as it is.
      input.push({ role: message.role, content: message.content as string });
    }
  }
  const responses: ResponsesRequest = { model: request.model, input };
  if (system.length > 0) responses.instructions = system.join('\n\n');
  const limit = request.max_completion_tokens ?? request.max_tokens;
  if (limit != null) responses.max_output_tokens = limit;
  if (request.temperature != null) responses.temperature = request.temperature;
  // `--json-schema`: chat nests the format in `json_schema`; the Responses API flattens it.
  const format = request.response_format;
  if (format?.type === 'json_schema') {
    responses.text = { format: { type: 'json_schema', ...(format.json_schema as object) } };
  }
  // `--tools`: chat nests each function in `function`; the Responses API flattens it.
  if (request.tools) {
    responses.tools = request.tools.map((tool) => ({ type: 'function', ...tool.function }));
  }
  const choice = request.tool_choice;
  if (choice !== undefined) {
    responses.tool_choice =
      typeof choice === 'object' && choice.type === 'function'
        ? { type: 'function', name: choice.function.name }
        : choice;
  }
  return responses;
}
