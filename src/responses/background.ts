import { Observable, timer, type SchedulerLike, type Subscription } from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { isRetryableStatus, RxChatError } from '../errors';

/** What {@link resumeInBackground} needs from the client. */
export interface BackgroundSettings {
  /** The stream of `GET /responses/{id}?stream=true&starting_after={after}`. */
  resume(id: string, after: number): Observable<ChatStreamEvent>;
  /** `POST /responses/{id}/cancel` (its answer is ignored; it is bounded by the caller). */
  cancel(id: string): Observable<unknown>;
  /** How many times a cut stream may resume. */
  maxResumes: number;
  /** The wait before the first resume, doubling for each next one, up to `maxDelay`. */
  baseDelay: number;
  maxDelay: number;
  scheduler: SchedulerLike;
}

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * Errors that cut the stream while the response goes on running on the server (a resume that
 * meets a busy server, 429 or 5xx, is one more cut).
 */
const isCut = (error: unknown) =>
  RxChatError.isInstance(error) &&
  (error.code === 'connection_error' ||
    error.code === 'truncated' ||
    (error.code === 'timeout' && error.phase !== 'total') ||
    (error.code === 'http_error' && error.status !== undefined && isRetryableStatus(error.status)));

/**
 * A background response's stream (`background: true`), kept whole across cuts: when the stream
 * fails with a cut (`connection_error`, `truncated`, or a timeout other than `total`) after the
 * server named the response and numbered some events, it resumes with `GET
 * /responses/{id}?stream=true&starting_after=N` from the last `sequence_number` received, up to
 * `maxResumes` times (waits as retries back off, without jitter), dropping any event it already
 * passed on. Nothing is repeated and nothing lost. Unsubscribing before the stream ended sends
 * `POST /responses/{id}/cancel` (once the id is known), without waiting for its answer.
 */
export function resumeInBackground(
  first: Observable<ChatStreamEvent>,
  settings: BackgroundSettings,
): Observable<ChatStreamEvent> {
  return new Observable<ChatStreamEvent>((subscriber) => {
    let id = '';
    let last = -1;
    let resumes = 0;
    let ended = false;
    let current: Subscription | undefined;

    const observer = {
      next(event: ChatStreamEvent) {
        if (event.type === 'responses') {
          const received = event.event;
          const sequence = received.sequence_number;
          if (typeof sequence === 'number') {
            // A server that resends from an earlier point: what was passed on is not repeated.
            if (sequence <= last) return;
            last = sequence;
          }
          if (!id && received.response?.id) id = received.response.id;
          if (TERMINAL.has(received.type)) ended = true;
        }
        subscriber.next(event);
      },
      error(error: unknown) {
        if (!ended && id && last >= 0 && resumes < settings.maxResumes && isCut(error)) {
          const wait = Math.min(settings.maxDelay, settings.baseDelay * 2 ** resumes);
          resumes++;
          current = timer(wait, settings.scheduler).subscribe(() => {
            current = settings.resume(id, last).subscribe(observer);
          });
          return;
        }
        ended = true;
        subscriber.error(error);
      },
      complete() {
        ended = true;
        subscriber.complete();
      },
    };
    current = first.subscribe(observer);

    return () => {
      current?.unsubscribe();
      // The consumer left while the response still runs (and bills): stop it on the server.
      if (!ended && id) settings.cancel(id).subscribe({ error: () => undefined });
    };
  });
}
