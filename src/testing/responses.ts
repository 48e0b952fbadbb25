import type { ResponseOutputItem, ResponseStreamEvent, ResponseUsage } from '../responses/types';
import { sseEvent } from './wire';

/** A function call of {@link ResponseEventsOptions.calls}. */
export interface ResponseCallOptions {
  /** The function's name. */
  name: string;
  /** The call id the tool's answer quotes. Default `call_<output index>`. */
  callId?: string;
  /** The arguments text as its deltas. */
  arguments: readonly string[];
}

/** The error of a `failed` end ({@link ResponseEventsOptions.error}). */
export interface ResponseErrorOptions {
  /** The provider's error code, e.g. `'server_error'`. */
  code: string;
  /** The provider's message. */
  message: string;
}

/** Options of {@link makeResponseEvents}: what the answer holds and how the stream ends. */
export interface ResponseEventsOptions {
  /** The response id. Default `'resp_1'`. */
  id?: string;
  /** The model. Default `'mock-1'`. */
  model?: string;
  /** `created_at`, in Unix seconds. Default `1700000000`. */
  createdAt?: number;
  /** Reasoning summary parts, each as its deltas (a reasoning item comes first when given). */
  reasoning?: readonly (readonly string[])[];
  /** The answer text as its deltas (a message item). Default `['Hel', 'lo']`; `[]` for none. */
  text?: readonly string[];
  /** Function calls, each with its arguments as deltas (after the message). */
  calls?: readonly ResponseCallOptions[];
  /** The usage on the terminal event. Default 10 input and 5 output tokens. */
  usage?: ResponseUsage | null;
  /**
   * How the stream ends: `completed` (default), `incomplete` (with `incompleteReason`, default
   * `max_output_tokens`), `failed` (an `error` event, then `response.failed`, with `error`), or
   * `none` (no terminal event: a cut stream).
   */
  end?: 'completed' | 'incomplete' | 'failed' | 'none';
  /** The reason of an `incomplete` end. */
  incompleteReason?: string;
  /** The error of a `failed` end. Default `{ code: 'server_error', message: 'The model failed' }`. */
  error?: ResponseErrorOptions;
  /** Adds `response.queued` after `response.created` (background mode). */
  queued?: boolean;
}

/** Token usage of a Responses stream, as the Responses API names it. */
export function makeResponseUsage(inputTokens = 10, outputTokens = 5): ResponseUsage {
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
}

/**
 * The events of a whole Responses API stream, as OpenAI sends them (numbered from 0 by
 * `sequence_number`): `response.created`, `response.in_progress`, then per output item its
 * `output_item.added`, its parts and deltas, their `.done` events and `output_item.done`, then
 * the terminal event with the usage. For tests and fixtures; turn them into wire text with
 * {@link responsesWire}.
 *
 * @example
 * ```ts
 * const events = makeResponseEvents({ text: ['Hel', 'lo'], calls: [{ name: 'f', arguments: ['{}'] }] });
 * const body = responsesWire(events);
 * ```
 */
export function makeResponseEvents(options: ResponseEventsOptions = {}): ResponseStreamEvent[] {
  const id = options.id ?? 'resp_1';
  const model = options.model ?? 'mock-1';
  const createdAt = options.createdAt ?? 1700000000;
  const text = options.text ?? ['Hel', 'lo'];
  const end = options.end ?? 'completed';
  const events: Omit<ResponseStreamEvent, 'sequence_number'>[] = [];
  const output: ResponseOutputItem[] = [];
  const response = (status: string, extra: Record<string, unknown> = {}) => ({
    id,
    object: 'response',
    created_at: createdAt,
    model,
    status,
    output: status === 'in_progress' || status === 'queued' ? [] : output.slice(),
    usage: null,
    ...extra,
  });

  events.push({
    type: 'response.created',
    response: response(options.queued ? 'queued' : 'in_progress'),
  });
  if (options.queued) events.push({ type: 'response.queued', response: response('queued') });
  events.push({ type: 'response.in_progress', response: response('in_progress') });

  if (options.reasoning) {
    const output_index = output.length;
    const item_id = `rs_${output_index}`;
    events.push({
      type: 'response.output_item.added',
      output_index,
      item: { type: 'reasoning', id: item_id, summary: [] },
    });
    const summary = options.reasoning.map((deltas, summary_index) => {
      const whole = deltas.join('');
      events.push({
        type: 'response.reasoning_summary_part.added',
        item_id,
        output_index,
        summary_index,
        part: { type: 'summary_text', text: '' },
      });
      for (const delta of deltas) {
        events.push({
          type: 'response.reasoning_summary_text.delta',
          item_id,
          output_index,
          summary_index,
          delta,
        });
      }
      events.push({
        type: 'response.reasoning_summary_text.done',
        item_id,
        output_index,
        summary_index,
        text: whole,
      });
      events.push({
        type: 'response.reasoning_summary_part.done',
        item_id,
        output_index,
        summary_index,
        part: { type: 'summary_text', text: whole },
      });
      return { type: 'summary_text', text: whole };
    });
    const item = { type: 'reasoning', id: item_id, summary };
    events.push({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  }

  if (text.length > 0) {
    const output_index = output.length;
    const item_id = `msg_${output_index}`;
    const whole = text.join('');
    events.push({
      type: 'response.output_item.added',
      output_index,
      item: { type: 'message', id: item_id, status: 'in_progress', role: 'assistant', content: [] },
    });
    events.push({
      type: 'response.content_part.added',
      item_id,
      output_index,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
    });
    for (const delta of text) {
      events.push({
        type: 'response.output_text.delta',
        item_id,
        output_index,
        content_index: 0,
        delta,
        logprobs: [],
      });
    }
    if (end !== 'none' || options.calls) {
      const part = { type: 'output_text', text: whole, annotations: [] };
      events.push({
        type: 'response.output_text.done',
        item_id,
        output_index,
        content_index: 0,
        text: whole,
        logprobs: [],
      });
      events.push({
        type: 'response.content_part.done',
        item_id,
        output_index,
        content_index: 0,
        part,
      });
      const item = {
        type: 'message',
        id: item_id,
        status: 'completed',
        role: 'assistant',
        content: [part],
      };
      events.push({ type: 'response.output_item.done', output_index, item });
      output.push(item);
    }
  }

  for (const call of options.calls ?? []) {
    const output_index = output.length;
    const item_id = `fc_${output_index}`;
    const call_id = call.callId ?? `call_${output_index}`;
    const whole = call.arguments.join('');
    events.push({
      type: 'response.output_item.added',
      output_index,
      item: {
        type: 'function_call',
        id: item_id,
        call_id,
        name: call.name,
        arguments: '',
        status: 'in_progress',
      },
    });
    for (const delta of call.arguments) {
      events.push({ type: 'response.function_call_arguments.delta', item_id, output_index, delta });
    }
    events.push({
      type: 'response.function_call_arguments.done',
      item_id,
      output_index,
      arguments: whole,
    });
    const item = {
      type: 'function_call',
      id: item_id,
      call_id,
      name: call.name,
      arguments: whole,
      status: 'completed',
    };
    events.push({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  }

  const usage = options.usage === undefined ? makeResponseUsage() : options.usage;
  if (end === 'completed') {
    events.push({ type: 'response.completed', response: response('completed', { usage }) });
  } else if (end === 'incomplete') {
    events.push({
      type: 'response.incomplete',
      response: response('incomplete', {
        usage,
        incomplete_details: { reason: options.incompleteReason ?? 'max_output_tokens' },
      }),
    });
  } else if (end === 'failed') {
    const error = options.error ?? { code: 'server_error', message: 'The model failed' };
    events.push({ type: 'error', code: error.code, message: error.message, param: null });
    events.push({ type: 'response.failed', response: response('failed', { usage, error }) });
  }
  return events.map(
    (event, sequence_number) => ({ ...event, sequence_number }) as ResponseStreamEvent,
  );
}

/**
 * Responses events as the wire carries them: each as `event: <type>` and `data: <json>`, then a
 * blank line; with `done`, a `data: [DONE]` at the end, as some servers add.
 */
export function responsesWire(
  events: readonly ResponseStreamEvent[],
  options: { done?: boolean } = {},
): string {
  let wire = '';
  for (const event of events) wire += sseEvent(event, { event: event.type });
  return options.done ? wire + sseEvent('[DONE]') : wire;
}

/**
 * `{ a: wire of events[0], b: … }`-style value maps for marble bodies: each Responses event as
 * its SSE text, under the given letters (`'abc'` names the first three events).
 */
export function responsesValues(
  letters: string,
  events: readonly ResponseStreamEvent[],
): Record<string, string> {
  const values: Record<string, string> = {};
  for (let i = 0; i < letters.length; i++) {
    const event = events[i];
    if (event) values[letters[i]!] = sseEvent(event, { event: event.type });
  }
  return values;
}
