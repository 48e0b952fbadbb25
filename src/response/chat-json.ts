import { reportedUsage } from '../chunks/reported-usage';
import type { ChatCompletionChunk, ChatStreamEvent } from '../chunks/types';
import { chunkProblem } from '../chunks/validate';
import { excerpt, providerStreamError, RxChatError } from '../errors';

/**
 * Turns a non-streaming JSON completion (a server that ignored `stream: true`) into the events a
 * stream would have produced: one chunk per choice, its message as the delta (tool calls given
 * their index), then the usage event. An `{"error": ...}` body fails with `stream_error`.
 */
export function eventsFromJsonCompletion(text: string): ChatStreamEvent[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new RxChatError(
      'parse_error',
      `The JSON response is not valid JSON: ${excerpt(text, 80)}`,
      {
        cause,
        data: excerpt(text),
      },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RxChatError(
      'validation_error',
      `The JSON response is not a chat completion: ${excerpt(text, 80)}`,
      {
        data: excerpt(text),
      },
    );
  }
  const completion = value as Record<string, unknown>;
  if (completion.error != null) {
    throw providerStreamError(completion, text);
  }
  if (!Array.isArray(completion.choices)) {
    throw new RxChatError('validation_error', 'The JSON response has no choices array', {
      data: excerpt(text),
    });
  }

  const { choices, usage: _usage, object: _object, ...rest } = completion;
  const events: ChatStreamEvent[] = [];
  for (const raw of choices as unknown[]) {
    const choice = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const { message, ...choiceRest } = choice;
    const delta =
      typeof message === 'object' && message !== null
        ? { ...(message as Record<string, unknown>) }
        : {};
    if (Array.isArray(delta.tool_calls)) {
      delta.tool_calls = delta.tool_calls.map((call: unknown, index) =>
        typeof call === 'object' && call !== null ? { index, ...(call as object) } : call,
      );
    }
    const chunk = { ...rest, object: 'chat.completion.chunk', choices: [{ ...choiceRest, delta }] };
    checkShape(chunk, text);
    events.push({ type: 'chunk', chunk: chunk as ChatCompletionChunk });
  }
  const usageCarrier = { ...rest, choices: [], usage: completion.usage ?? null };
  checkShape(usageCarrier, text);
  events.push({ type: 'usage', usage: reportedUsage(usageCarrier as ChatCompletionChunk) ?? null });
  return events;
}

/** Fails with `validation_error` when `chunk` (made from the JSON body `text`) is impossible. */
function checkShape(chunk: unknown, text: string): void {
  const problem = chunkProblem(chunk);
  if (problem !== undefined) {
    throw new RxChatError(
      'validation_error',
      `The JSON response has an impossible shape: ${problem}`,
      {
        data: excerpt(text),
      },
    );
  }
}
