import { Observable, type SchedulerLike } from 'rxjs';
import type { EventClock } from '../operators/chat-timeout';

/**
 * The idle timeout's clock for one stream, read once per body piece instead of once per event.
 *
 * Every event a piece carries is decoded and delivered synchronously while the piece is being
 * delivered, and no timer can fire in between. So an event marked during a piece is stamped
 * with the time the piece's delivery ended: never earlier than the event, later only by the
 * rest of that piece's synchronous work (none at all on a virtual-time scheduler). Events
 * outside a piece (the `response` event, the end of the body) read the clock themselves.
 *
 * On a fast stream a clock read costs about as much as validating a chunk; this makes it one
 * read per 16 KiB instead of one per chunk.
 */
export class PieceClock {
  private inPiece = false;
  private markedInPiece = false;
  private at = 0;

  constructor(private readonly scheduler: SchedulerLike) {}

  /** The {@link EventClock} for `chatTimeoutWith` (the same clock for every attempt). */
  readonly clock = (): EventClock => ({
    mark: () => {
      if (this.inPiece) this.markedInPiece = true;
      else this.at = this.scheduler.now();
    },
    lastMark: () => this.at,
  });

  /** `body`, with each piece's delivery bracketed so that marks during it share one reading. */
  stamp<T>(body: Observable<T>): Observable<T> {
    return new Observable<T>((subscriber) =>
      body.subscribe({
        next: (piece) => {
          // A re-entrant piece (delivered while one is in progress) just joins the outer one.
          const outer = this.inPiece;
          this.inPiece = true;
          // No try/finally: RxJS 7 never lets a consumer's throw travel back up through next().
          subscriber.next(piece);
          if (outer) return;
          this.inPiece = false;
          if (this.markedInPiece) {
            this.markedInPiece = false;
            this.at = this.scheduler.now();
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
  }
}
