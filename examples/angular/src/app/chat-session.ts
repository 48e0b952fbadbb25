import { inject, InjectionToken, signal } from '@angular/core';
import { connect, map, merge, type Observable, type Subscription } from 'rxjs';
import {
  contentDeltas,
  RxChatError,
  throttleText,
  usage,
  type ChatRequest,
  type Usage,
} from 'rxchat';
import { injectChatClient } from 'rxchat/angular';

/** The model every request asks for. */
export const CHAT_MODEL = new InjectionToken<string>('CHAT_MODEL', { factory: () => 'mock-1' });

export type ChatStatus = 'idle' | 'streaming' | 'done' | 'stopped' | 'error';

/** A failed answer, as the page shows it. */
export interface ChatFailure {
  code: string;
  message: string;
}

/** What {@link ChatSession.reply} emits: a piece of the answer's text, or its final usage. */
export type Reply = { text: string } | { usage: Usage | null };

/**
 * One conversation turn at a time, as signals. Provide it in a component (`providers:
 * [ChatSession]`): `injectChatClient()` ties every stream to that component, so destroying it
 * unsubscribes, which aborts the request.
 */
export class ChatSession {
  private readonly client = injectChatClient();
  private readonly model = inject(CHAT_MODEL);
  private current: Subscription | undefined;

  readonly answer = signal('');
  readonly status = signal<ChatStatus>('idle');
  readonly usage = signal<Usage | null>(null);
  readonly error = signal<ChatFailure | null>(null);

  /**
   * The answer to `prompt` (cold: nothing is sent until subscribed). Text is coalesced to at most
   * one piece per animation frame (`frames` runs on `animationFrameScheduler`), so a fast stream
   * costs one change detection per frame rather than one per chunk; the usage comes last.
   */
  reply(prompt: string): Observable<Reply> {
    return this.client.stream(this.request(prompt)).pipe(
      connect((events) =>
        merge(
          events.pipe(
            contentDeltas(),
            throttleText({ frames: 1 }),
            map((text) => ({ text })),
          ),
          events.pipe(
            usage(),
            map((usage) => ({ usage })),
          ),
        ),
      ),
    );
  }

  /** Like {@link reply}, but each value is the whole answer so far (for `rxResource`). */
  answerSoFar(prompt: string): Observable<string> {
    return this.client
      .stream(this.request(prompt))
      .pipe(contentDeltas(), throttleText({ frames: 1, mode: 'snapshot' }));
  }

  /** Streams the answer to `prompt` into the signals, stopping the previous one first. */
  send(prompt: string): void {
    this.current?.unsubscribe();
    this.answer.set('');
    this.usage.set(null);
    this.error.set(null);
    this.status.set('streaming');
    this.current = this.reply(prompt).subscribe({
      next: (reply) => {
        if ('text' in reply) this.answer.update((answer) => answer + reply.text);
        else this.usage.set(reply.usage);
      },
      error: (error: unknown) => {
        this.error.set(describe(error));
        this.status.set('error');
      },
      complete: () => this.status.set('done'),
    });
  }

  /** Unsubscribes from the answer being streamed, which closes its connection. */
  stop(): void {
    if (this.status() !== 'streaming') return;
    this.current?.unsubscribe();
    this.status.set('stopped');
  }

  private request(prompt: string): ChatRequest {
    return { model: this.model, messages: [{ role: 'user', content: prompt }] };
  }
}

function describe(error: unknown): ChatFailure {
  if (RxChatError.isInstance(error)) return { code: error.code, message: error.message };
  return { code: 'unknown', message: error instanceof Error ? error.message : String(error) };
}
