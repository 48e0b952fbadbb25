import type { ChunkSink } from '../chunks/chunk-reader';
import type { Usage } from '../chunks/types';
import { excerpt, providerErrorFrom, RxChatError, type ProviderErrorDetails } from '../errors';
import type { ResponseStreamEvent } from './types';
import { responsesUsage } from './usage';
import { responseEventProblem } from './validate';

const isDone = (data: string) =>
  data === '[DONE]' || (data.length < 16 && data.trim() === '[DONE]');

/** What Chat Completions sent by mistake looks like: a chunk, not a typed event. */
const looksLikeChatChunk = (value: Record<string, unknown>) =>
  typeof value.type !== 'string' &&
  (value.object === 'chat.completion.chunk' || Array.isArray(value.choices));

/**
 * The engine of {@link parseResponseEvents}, also driven directly by the client's fused body
 * reader: turns the data of server-sent events into `{ type: 'responses', event }` events, then
 * one `usage` event at the terminal event. After it has ended it ignores everything.
 *
 * - `response.completed` and `response.incomplete` end the stream successfully (usage from their
 *   `response.usage`); `response.failed` fails it with `stream_error`. An `error` event is passed
 *   on and held: its code and message win over those of the `response.failed` that follows it,
 *   and a stream that ends after it without a terminal event fails with them.
 * - `[DONE]` or the end of the body before a terminal event: `truncated`.
 * - Chat Completions chunks (a Chat-only server answering on `/responses`): `parse_error` that
 *   says so, never a silent empty answer.
 */
export class ResponseEventReader {
  /** Whether the stream has ended; nothing more is read. */
  ended = false;
  private events = 0;
  /** The details of an `error` event, until the terminal event (or the end) uses them. */
  private reported: { provider: ProviderErrorDetails; data: string } | undefined;

  constructor(private readonly sink: ChunkSink) {}

  /** One dispatched event: its data, its `event:` type, and whether the body cut it short. */
  message(data: string, event: string | undefined, incomplete: boolean): void {
    if (this.ended) return;
    if (isDone(data)) return this.endWithoutTerminal('[DONE] came');

    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch (cause) {
      if (event === 'error')
        return this.fail(streamError(providerErrorFrom(undefined, data), data));
      // A fragment cut off by the end of the body, or an empty `data:` line (a keep-alive).
      if (incomplete || data.trim() === '') return;
      return this.fail(
        new RxChatError(
          'parse_error',
          `Responses event ${this.events + 1} is not valid JSON: ${excerpt(data, 80)}`,
          { cause, data: excerpt(data) },
        ),
      );
    }

    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      // The SSE event name stands in for a payload that left out its `type`.
      if (record.type === undefined && event && event !== 'message') record.type = event;
      if (looksLikeChatChunk(record)) {
        return this.fail(
          new RxChatError(
            'parse_error',
            'The server sent Chat Completions chunks (chat.completion.chunk) where Responses ' +
              'events were expected: it does not seem to serve the Responses API at this URL ' +
              '(use stream() for Chat Completions)',
            { data: excerpt(data), retryable: false },
          ),
        );
      }
      if (typeof record.type !== 'string' && record.error != null) {
        // A chat-style `{"error": {...}}` object: the provider's failure, not a shape problem.
        return this.fail(streamError(providerErrorFrom(record, data), data));
      }
    }

    const problem = responseEventProblem(value);
    if (problem !== undefined) {
      return this.fail(
        new RxChatError(
          'validation_error',
          `Responses event ${this.events + 1} has an impossible shape: ${problem}`,
          { data: excerpt(data) },
        ),
      );
    }

    const received = value as ResponseStreamEvent;
    this.events++;
    this.sink.next({ type: 'responses', event: received });
    if (this.ended) return;
    switch (received.type) {
      case 'response.completed':
      case 'response.incomplete':
        return this.succeed(responsesUsage(received.response?.usage));
      case 'response.failed':
        return this.failed(received, data);
      case 'error':
        this.reported = { provider: errorEventDetails(received, data), data };
        return;
    }
  }

  /** The body ended. */
  end(): void {
    this.endWithoutTerminal('the stream ended');
  }

  /** The body failed (or an event was too large). */
  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.error(error);
  }

  private endWithoutTerminal(what: string): void {
    if (this.ended) return;
    if (this.reported) return this.fail(streamError(this.reported.provider, this.reported.data));
    this.fail(
      new RxChatError(
        'truncated',
        `${what[0]!.toUpperCase()}${what.slice(1)} without a terminal Responses event ` +
          `(response.completed, .incomplete or .failed) after ${this.events} events`,
      ),
    );
  }

  private succeed(usage: Usage | null): void {
    this.ended = true;
    this.sink.next({ type: 'usage', usage });
    this.sink.complete();
  }

  /** `response.failed`: the `error` event's details when one came, else the response's own. */
  private failed(event: ResponseStreamEvent, data: string): void {
    const response = event.response;
    const provider =
      this.reported?.provider ??
      (response?.error
        ? providerErrorFrom(response, data)
        : {
            message: `The response ${response?.status === 'cancelled' ? 'was cancelled' : 'failed'}`,
            code: response?.status === 'cancelled' ? 'cancelled' : null,
            type: null,
            param: null,
          });
    this.fail(streamError(provider, this.reported?.data ?? data, responsesUsage(response?.usage)));
  }
}

/** The details of an `error` event (`code`, `message`, `param` at its top level). */
function errorEventDetails(event: ResponseStreamEvent, data: string): ProviderErrorDetails {
  // Some servers nest them in `error` as Chat Completions does.
  const details = providerErrorFrom(event.error != null ? event : { ...event, type: null }, data);
  return details;
}

function streamError(provider: ProviderErrorDetails, data: string, usage: Usage | null = null) {
  return new RxChatError('stream_error', `The provider reported an error: ${provider.message}`, {
    provider,
    usage,
    data: excerpt(data),
  });
}
