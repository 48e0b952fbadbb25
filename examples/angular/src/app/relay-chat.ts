import { Component, DestroyRef, inject, signal } from '@angular/core';
import { animationFrameScheduler, auditTime, type Subscription, tap } from 'rxjs';
import { RxChatError, type RelayStreamEntry, type Usage } from 'rxchat';
import { CHAT_MODEL } from './chat-model';
import { RELAY_STORAGE, RelayApi, textOf, type RelayRunLinks } from './relay-api';

/** The sessionStorage key of the run in progress. */
export const RELAY_RUN_KEY = 'rxchat.relay.run';

/**
 * The sessionStorage key of a start not answered yet: `{ key, prompt }`, saved before the POST,
 * so that a reload before the answer posts again with the same `Idempotency-Key` and gets the
 * run the first POST started, instead of starting (and paying for) a second one.
 */
export const RELAY_PENDING_KEY = 'rxchat.relay.pending';

/** A start not answered yet. */
export interface PendingStart {
  key: string;
  prompt: string;
}

/**
 * What survives a reload: the run, and what the page has of it: `text` is exactly the text of
 * the run's events up to offset `after` (-1: none yet).
 */
export interface SavedRun extends RelayRunLinks {
  prompt: string;
  after: number;
  text: string;
}

export type RelayStatus = 'idle' | 'starting' | 'streaming' | 'resolved' | 'stopped' | 'error';

/**
 * Relay mode (`?relay`): the answer is produced on the server (rxchat/relay), and this page only
 * reads it, so a reload mid-answer picks up where it was: the page keeps `{ runId, after, text }`
 * in sessionStorage and resumes with `relayEntries(url, { after })`, nothing repeated and nothing
 * lost. Stop asks the relay to stop the run (its upstream request is aborted); leaving the page
 * only detaches.
 */
@Component({
  selector: 'app-root',
  templateUrl: './relay-chat.html',
  styleUrl: './app.css',
})
export class RelayChat {
  private readonly api = inject(RelayApi);
  private readonly storage = inject(RELAY_STORAGE);
  private readonly model = inject(CHAT_MODEL);

  protected readonly prompt = signal('Tell me a long story about relays.');
  /** The question of the run shown. */
  protected readonly question = signal('');
  protected readonly status = signal<RelayStatus>('idle');
  protected readonly text = signal('');
  protected readonly usage = signal<Usage | null>(null);
  protected readonly error = signal<RxChatError | null>(null);
  /** The offset the page resumed after, when it picked up a run after a reload. */
  protected readonly resumedAfter = signal<number | null>(null);
  protected readonly stopping = signal(false);

  private run: SavedRun | undefined;
  private reading: Subscription | undefined;
  private request: Subscription | undefined;

  constructor() {
    const saved = this.load();
    const pending = this.loadPending();
    if (saved) {
      this.resumedAfter.set(saved.after);
      this.follow(saved);
    } else if (pending) {
      this.begin(pending);
    }
    // Leaving the page only detaches this reader: the run goes on, and a reload resumes it.
    inject(DestroyRef).onDestroy(() => {
      this.reading?.unsubscribe();
      this.request?.unsubscribe();
    });
  }

  protected get busy(): boolean {
    return this.status() === 'starting' || this.status() === 'streaming';
  }

  protected send(event: Event): void {
    event.preventDefault();
    const prompt = this.prompt().trim();
    if (!prompt || this.busy) return;
    this.prompt.set('');
    this.question.set(prompt);
    this.text.set('');
    this.usage.set(null);
    this.error.set(null);
    this.resumedAfter.set(null);
    this.begin({ key: crypto.randomUUID(), prompt });
  }

  /** Posts the start (saved first, so a reload re-posts it with the same key), then follows. */
  private begin(pending: PendingStart): void {
    this.question.set(pending.prompt);
    this.status.set('starting');
    this.storage.setItem(RELAY_PENDING_KEY, JSON.stringify(pending));
    const { prompt, key } = pending;
    this.request = this.api
      .start({ model: this.model, messages: [{ role: 'user', content: prompt }] }, key)
      .subscribe({
        next: (links) => {
          this.storage.removeItem(RELAY_PENDING_KEY);
          this.follow({ ...links, prompt, after: -1, text: '' });
        },
        error: (error: unknown) => {
          this.storage.removeItem(RELAY_PENDING_KEY);
          this.failed(error);
        },
      });
  }

  /** Stop: the relay stops the run; this reader then gets its end (`aborted`: "stopped"). */
  protected stop(): void {
    if (!this.run || this.stopping()) return;
    this.stopping.set(true);
    this.request = this.api.stop(this.run.stop).subscribe({
      error: (error: unknown) => {
        this.stopping.set(false);
        this.error.set(asRxChatError(error));
      },
    });
  }

  /** Reads the run's events after `saved.after`, rendering (and saving) once per frame. */
  private follow(saved: SavedRun): void {
    const run = { ...saved };
    this.run = run;
    this.question.set(run.prompt);
    this.text.set(run.text);
    this.status.set('streaming');
    this.save(run);
    let usage: Usage | null = null;
    this.reading = this.api
      .events(run.events, run.after)
      .pipe(
        // `after` and `text` always describe the same point of the run: the offset of the
        // last event, and the text of every event up to it.
        tap(({ offset, event }: RelayStreamEntry) => {
          run.after = offset;
          run.text += textOf(event);
          if (event.type === 'usage') usage = event.usage;
        }),
        // At most one render (and one save) per animation frame, however fast events come.
        auditTime(0, animationFrameScheduler),
      )
      .subscribe({
        next: () => this.show(run),
        complete: () => {
          this.show(run);
          this.usage.set(usage);
          this.end('resolved');
        },
        error: (error: unknown) => {
          this.show(run);
          const rxError = asRxChatError(error);
          if (rxError.code === 'aborted') this.end('stopped');
          else {
            this.error.set(rxError);
            this.end('error');
          }
        },
      });
  }

  private show(run: SavedRun): void {
    this.text.set(run.text);
    this.save(run);
  }

  /** The run ended (completed, stopped or failed): nothing left to resume. */
  private end(status: RelayStatus): void {
    this.status.set(status);
    this.stopping.set(false);
    this.run = undefined;
    this.storage.removeItem(RELAY_RUN_KEY);
  }

  private failed(error: unknown): void {
    this.error.set(asRxChatError(error));
    this.status.set('error');
  }

  private save(run: SavedRun): void {
    this.storage.setItem(RELAY_RUN_KEY, JSON.stringify(run));
  }

  private loadPending(): PendingStart | undefined {
    try {
      const pending = JSON.parse(
        this.storage.getItem(RELAY_PENDING_KEY) ?? 'null',
      ) as PendingStart | null;
      if (pending && typeof pending.key === 'string' && typeof pending.prompt === 'string') {
        return pending;
      }
    } catch {
      // not JSON: dropped below
    }
    this.storage.removeItem(RELAY_PENDING_KEY);
    return undefined;
  }

  private load(): SavedRun | undefined {
    try {
      const saved = JSON.parse(this.storage.getItem(RELAY_RUN_KEY) ?? 'null') as SavedRun | null;
      const valid =
        saved &&
        typeof saved.runId === 'string' &&
        typeof saved.events === 'string' &&
        typeof saved.stop === 'string' &&
        typeof saved.text === 'string' &&
        typeof saved.prompt === 'string' &&
        Number.isSafeInteger(saved.after) &&
        saved.after >= -1;
      if (valid) return saved;
    } catch {
      // not JSON: dropped below
    }
    this.storage.removeItem(RELAY_RUN_KEY);
    return undefined;
  }
}

function asRxChatError(error: unknown): RxChatError {
  if (RxChatError.isInstance(error)) return error;
  return new RxChatError(
    'connection_error',
    `The relay request failed: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}
