import { Component, computed, inject, signal } from '@angular/core';
import { toObservable, toSignal } from '@angular/core/rxjs-interop';
import { debounceTime, map } from 'rxjs';
import { chatResource, injectChat } from 'rxchat/angular';
import { CHAT_MODEL } from './chat-model';

@Component({
  selector: 'app-root',
  templateUrl: './app.html',
  styleUrl: './app.css',
})
export class App {
  private readonly model = inject(CHAT_MODEL);
  protected readonly prompt = signal('Tell me about cold observables.');

  /**
   * The conversation: `send` adds the user message and streams the answer into `messages` (at
   * most one update per animation frame); Stop keeps what arrived; destroying the component
   * aborts the request.
   */
  protected readonly chat = injectChat({ model: this.model });

  /** The answer being streamed (or the last one), as the page shows it under the prompt. */
  protected readonly answer = computed(() => {
    const last = this.chat.messages().at(-1);
    return last?.role === 'assistant' ? last : undefined;
  });

  /** Every message above that answer: the conversation so far. */
  protected readonly history = computed(() => {
    const messages = this.chat.messages();
    return this.answer() ? messages.slice(0, -1) : messages;
  });

  /** The quick question as typed, and (through RxJS) as settled: 300 ms after the last key. */
  protected readonly question = signal('');
  private readonly settledQuestion = toSignal(
    toObservable(this.question).pipe(
      debounceTime(300),
      map((question) => question.trim()),
    ),
    { initialValue: '' },
  );

  /**
   * The quick answer: a chat resource whose request is a function of the settled question. When
   * it changes, the previous answer is cancelled (its connection closes) and the next one sent;
   * an empty question leaves it idle.
   */
  protected readonly quickAnswer = chatResource({
    request: () => {
      const question = this.settledQuestion();
      return question
        ? { model: this.model, messages: [{ role: 'user', content: question }] }
        : undefined;
    },
  });

  protected send(event: Event): void {
    event.preventDefault();
    if (this.chat.send(this.prompt().trim())) this.prompt.set('');
  }
}
