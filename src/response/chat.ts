import type { Observable } from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import type { ChatHttpResponse } from '../transport/types';
import { eventsFromJsonCompletion } from './chat-json';
import { sseChunks } from './chat-sse';
import { readResponse, type ResponseOptions, type WireProtocol } from './read-response';

/** Chat completions on the wire: `chat.completion.chunk` events, or one `chat.completion`. */
export const chatProtocol: WireProtocol<ChatStreamEvent> = {
  sse: sseChunks,
  json: eventsFromJsonCompletion,
};

/**
 * One attempt's chat events from one HTTP response: a `response` event, then the chunks and
 * usage of an event stream or of a plain JSON completion (see {@link readResponse}).
 */
export function chatResponseEvents(
  response: ChatHttpResponse,
  options: ResponseOptions,
): Observable<ChatStreamEvent> {
  return readResponse(response, chatProtocol, options);
}
