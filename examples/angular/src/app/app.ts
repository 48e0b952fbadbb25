import { Component, inject, signal } from '@angular/core';
import { rxResource, toObservable, toSignal } from '@angular/core/rxjs-interop';
import { debounceTime, map } from 'rxjs';
import { ChatSession } from './chat-session';

@Component({
  selector: 'app-root',
  templateUrl: './app.html',
  styleUrl: './app.css',
  providers: [ChatSession],
})
export class App {
  protected readonly session = inject(ChatSession);
  protected readonly prompt = signal('Tell me about cold observables.');

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
   * The quick answer streams into a resource. When the settled question changes, rxResource
   * unsubscribes from the previous answer (cancelling its request) and starts the next one; an
   * empty question leaves it idle.
   */
  protected readonly quickAnswer = rxResource({
    params: () => this.settledQuestion() || undefined,
    stream: ({ params }) => this.session.answerSoFar(params),
  });

  protected send(event: Event): void {
    event.preventDefault();
    const prompt = this.prompt().trim();
    if (prompt) this.session.send(prompt);
  }
}
