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
 * Calls `abort` with an `aborted` error when one of `signals` aborts (at once, synchronously, if
 * one already has). Returns the function that removes the listeners.
 */
export function watchSignals(
  signals: readonly AbortSignal[],
  abort: (error: RxChatError) => void,
): () => void {
  const already = signals.find((s) => s.aborted);
  if (already) {
    abort(abortedError(already));
    return () => {};
  }
  const listeners = signals.map((signal) => {
    const listener = () => abort(abortedError(signal));
    signal.addEventListener('abort', listener, { once: true });
    return () => signal.removeEventListener('abort', listener);
  });
  return () => {
    for (const remove of listeners) remove();
  };
}
