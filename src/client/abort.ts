import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { isErrorLike, RxChatError } from '../errors';

function abortedError(signal: AbortSignal): RxChatError {
  const reason: unknown = signal.reason;
  const why =
    isErrorLike(reason) && reason.name !== 'AbortError'
      ? `: ${reason.message}`
      : typeof reason === 'string'
        ? `: ${reason}`
        : '';
  return new RxChatError('aborted', `The request was aborted by its AbortSignal${why}`, {
    cause: reason,
  });
}

/**
 * Fails with `aborted` when any of the signals aborts (at once if one already has), and
 * unsubscribes from the source, which aborts the HTTP request. Listeners are removed on teardown.
 */
export function abortWith<T>(
  signals: readonly (AbortSignal | undefined)[],
): MonoTypeOperatorFunction<T> {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 0) return (source) => source;
  return (source) =>
    new Observable<T>((subscriber) => {
      const already = present.find((s) => s.aborted);
      if (already) {
        subscriber.error(abortedError(already));
        return;
      }
      const listeners = present.map((signal) => {
        const listener = () => subscriber.error(abortedError(signal));
        signal.addEventListener('abort', listener, { once: true });
        return () => signal.removeEventListener('abort', listener);
      });
      const subscription = source.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        for (const remove of listeners) remove();
      };
    });
}
