import { excerpt, providerStreamError, RxChatError } from '../errors';

import { reportedUsage } from './reported-usage';
import type { ChatCompletionChunk, ChatStreamEvent, Usage } from './types';
import { chunkProblem } from './validate';

/** Where a {@link ChunkReader} sends its events: a Subscriber, in practice. */
export interface ChunkSink {
  next(event: ChatStreamEvent): void;
  error(error: unknown): void;
  complete(): void;
}

/** A Responses API event (`response.created`, …) that reached the chat reader by mistake. */
const isResponsesEvent = (chunk: ChatCompletionChunk) =>
  typeof chunk.type === 'string' && (chunk.type.startsWith('response.') || chunk.type === 'error');

const isDone = (data: string) =>
  data === '[DONE]' || (data.length < 16 && data.trim() === '[DONE]');

/**
 * The engine of {@link parseChunks}, also driven directly by the client's fused body reader:
 * turns the data of server-sent events into chat stream events for one stream. After it has
 * ended (with `[DONE]`, an error, or {@link end}), it ignores everything.
 */
export class ChunkReader {
  /** Whether the stream has ended; nothing more is read. */
  ended = false;
  private usage: Usage | null = null;
  private finishSeen = false;
  private chunks = 0;

  constructor(
    private readonly sink: ChunkSink,
    private readonly requireDone: boolean,
  ) {}

  /** One dispatched event: its data, its `event:` type, and whether the body cut it short. */
  message(data: string, event: string | undefined, incomplete: boolean): void {
    if (this.ended) return;
    if (isDone(data)) return this.succeed();

    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch (cause) {
      if (event === 'error') return this.fail(this.streamError(undefined, data));
      // Dropped: the last event of a cut body (a fragment cut off mid-write), and `data:` with
      // nothing in it (a whole event, data "", but no chunk: a keep-alive). Checked here, where
      // only data that is not JSON comes, to cost the hot path nothing.
      if (incomplete || data.trim() === '') return;
      return this.fail(
        new RxChatError(
          'parse_error',
          `Chunk ${this.chunks + 1} is not valid JSON: ${excerpt(data, 80)}`,
          { cause, usage: this.usage, data: excerpt(data) },
        ),
      );
    }

    if (event === 'error') return this.fail(this.streamError(value, data));
    if (
      typeof value === 'object' &&
      value !== null &&
      (value as { error?: unknown }).error != null
    ) {
      // An error object may still report usage (OpenRouter does): it was billed.
      const reported = value as ChatCompletionChunk;
      if (chunkProblem(reported) === undefined) this.recordUsage(reported);
      return this.fail(this.streamError(value, data));
    }

    const problem = chunkProblem(value);
    if (problem !== undefined) {
      return this.fail(
        new RxChatError(
          'validation_error',
          `Chunk ${this.chunks + 1} has an impossible shape: ${problem}`,
          { usage: this.usage, data: excerpt(data) },
        ),
      );
    }

    const chunk = value as ChatCompletionChunk;
    if (chunk.choices == null && isResponsesEvent(chunk)) {
      return this.fail(
        new RxChatError(
          'parse_error',
          `The server sent Responses API events (${excerpt(chunk.type as string, 60)}) where ` +
            'Chat Completions chunks were expected: use responses() for the Responses API',
          { usage: this.usage, data: excerpt(data), retryable: false },
        ),
      );
    }
    this.chunks++;
    this.recordUsage(chunk);
    if (!this.finishSeen && chunk.choices) {
      for (const choice of chunk.choices) {
        if (choice.finish_reason) {
          this.finishSeen = true;
          break;
        }
      }
    }
    this.sink.next({ type: 'chunk', chunk });
  }

  /** The body ended. */
  end(): void {
    if (this.ended) return;
    if (this.finishSeen && !this.requireDone) return this.succeed();
    this.fail(
      new RxChatError(
        'truncated',
        this.finishSeen
          ? `The stream ended without [DONE] after ${this.chunks} chunks`
          : `The stream ended without [DONE] and without a finish_reason after ${this.chunks} chunks`,
        { usage: this.usage },
      ),
    );
  }

  /** The body failed (or an event was too large). */
  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.error(error);
  }

  private succeed(): void {
    this.ended = true;
    this.sink.next({ type: 'usage', usage: this.usage });
    this.sink.complete();
  }

  private recordUsage(chunk: ChatCompletionChunk): void {
    const reported = reportedUsage(chunk);
    if (reported) this.usage = reported;
  }

  private streamError(value: unknown, data: string): RxChatError {
    return providerStreamError(value, data, this.usage);
  }
}
