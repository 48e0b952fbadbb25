import { Observable, type Subscriber } from 'rxjs';
import { RxChatError } from '../errors';

/** How a transport starts reading a body and how it throws an unread one away. */
export interface BodySource {
  /** Starts delivering the body to `subscriber`; the returned function stops (and closes). */
  open(subscriber: Subscriber<Uint8Array | string>): () => void;
  /** Throws away a body nobody subscribed to: closes the connection at once. */
  release(): void;
}

/** A single-use body Observable plus the question "did anyone claim it?". */
export interface OneShotBody {
  readonly body: Observable<Uint8Array | string>;
  /** Called by the transport when its response Observable finishes: releases an unclaimed body. */
  settle(): void;
}

/**
 * Wraps a transport's body so that it can be read once, and so that a body nobody claimed while
 * the response was being delivered is released instead of holding a socket until a timeout.
 */
export function oneShotBody(source: BodySource): OneShotBody {
  let state: 'fresh' | 'claimed' | 'released' = 'fresh';
  const body = new Observable<Uint8Array | string>((subscriber) => {
    if (state !== 'fresh') {
      subscriber.error(
        new RxChatError(
          'connection_error',
          state === 'claimed'
            ? 'The response body was already read: a body can be subscribed to only once'
            : 'The response body was released because nobody subscribed to it when the response arrived',
          { retryable: false },
        ),
      );
      return;
    }
    state = 'claimed';
    return source.open(subscriber);
  });
  return {
    body,
    settle() {
      if (state !== 'fresh') return;
      state = 'released';
      source.release();
    },
  };
}

/** Runs `fn` after the current I/O callbacks, so an end already on the wire gets seen first. */
export const afterIo: (fn: () => void) => void =
  typeof setImmediate === 'function'
    ? (fn) => {
        setImmediate(fn);
      }
    : (fn) => {
        setTimeout(fn, 0);
      };
