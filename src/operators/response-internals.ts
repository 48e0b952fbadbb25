import type { ChatStreamEvent } from '../chunks/types';
import { isResponsesOutput } from '../responses/lifecycle';

/*
 * What the defaults of the generic operators know about the `response` event that
 * `ChatClient.stream` emits once per attempt (the HTTP status and headers). The operators' bodies
 * know nothing of HTTP: they ask these predicates through their config, and the client passes
 * them explicitly.
 */

/**
 * The default {@link ChatTimeoutConfig.endsData}: a `response` event with an error status
 * (outside 200-299). No data follows it, only the error's body, which the client reads with its
 * own size and time bound, so that the attempt fails as the `http_error` it is.
 */
export function isErrorResponse(event: ChatStreamEvent): boolean {
  return event.type === 'response' && (event.status < 200 || event.status > 299);
}

/**
 * The default {@link RetryConfig.isOutput}: every value except `response` events and the
 * Responses events that carry no part of the answer (`response.created`, `.queued`,
 * `.in_progress`, `keepalive`, `error`, `response.failed`), read from any value, since the
 * operator takes any.
 */
export function isNotResponseEvent(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  const type = (value as { type?: unknown }).type;
  if (type === 'responses') {
    const event = (value as { event?: { type?: unknown } }).event;
    return typeof event?.type !== 'string' || isResponsesOutput(event.type);
  }
  return type !== 'response';
}
