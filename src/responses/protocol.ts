import type { Observable } from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { excerpt, providerStreamError, RxChatError } from '../errors';
import { readResponse, type ResponseOptions, type WireProtocol } from '../response/read-response';
import { sseEventsWith } from '../response/chat-sse';
import type { ChatHttpResponse } from '../transport/types';
import { ResponseEventReader } from './event-reader';
import type { ResponseStreamEvent } from './types';
import { responsesUsage } from './usage';
import { responseEventProblem } from './validate';

/** `body.pipe(decodeSse(options), parseResponseEvents())`, fused as chat's `sseChunks` is. */
export function sseResponseEvents(
  body: Observable<Uint8Array | string>,
  options: { maxEventBytes: number },
): Observable<ChatStreamEvent> {
  return sseEventsWith(
    body,
    options.maxEventBytes,
    (subscriber) => new ResponseEventReader(subscriber),
  );
}

/**
 * The events of a whole Response object (a server that answered without streaming, or the
 * answer of `GET /responses/{id}`): its terminal event as a stream would have ended with it,
 * then the usage. A response still running, or failed, is an error; an `{"error": ...}` body
 * fails with `stream_error`.
 */
export function eventsFromJsonResponse(text: string): ChatStreamEvent[] {
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
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  if (record.error != null && record.object !== 'response') throw providerStreamError(record, text);
  if (record.object === 'chat.completion' || Array.isArray(record.choices)) {
    throw new RxChatError(
      'parse_error',
      'The server sent a Chat Completions answer (chat.completion) where a Responses answer was ' +
        'expected: it does not seem to serve the Responses API at this URL',
      { data: excerpt(text), retryable: false },
    );
  }
  const status = typeof record.status === 'string' ? record.status : 'completed';
  const type =
    status === 'incomplete'
      ? 'response.incomplete'
      : status === 'failed' || status === 'cancelled'
        ? 'response.failed'
        : 'response.completed';
  const event = { type, response: record } as ResponseStreamEvent;
  const problem = responseEventProblem(event);
  if (problem !== undefined || (record.object !== undefined && record.object !== 'response')) {
    throw new RxChatError(
      'validation_error',
      `The JSON response is not a Responses API response: ${problem ?? `object is "${String(record.object)}"`}`,
      { data: excerpt(text) },
    );
  }
  if (status === 'queued' || status === 'in_progress') {
    throw new RxChatError(
      'validation_error',
      `The JSON response is still ${status}: ask with stream: true to follow it`,
      { data: excerpt(text) },
    );
  }
  if (type === 'response.failed') {
    throw providerStreamError(
      record.error != null
        ? record
        : { error: { message: `The response was ${status}`, code: status } },
      text,
      responsesUsage(event.response?.usage),
    );
  }
  return [
    { type: 'responses', event },
    { type: 'usage', usage: responsesUsage(event.response?.usage) },
  ];
}

/** The Responses API on the wire: typed events, or one Response object. */
export const responsesProtocol: WireProtocol<ChatStreamEvent> = {
  sse: sseResponseEvents,
  json: eventsFromJsonResponse,
};

/**
 * One attempt's events from one HTTP response of the Responses API: a `response` event, then the
 * events and usage of an event stream or of a plain JSON response (see {@link readResponse}).
 */
export function responsesResponseEvents(
  response: ChatHttpResponse,
  options: ResponseOptions,
): Observable<ChatStreamEvent> {
  return readResponse(response, responsesProtocol, options);
}
