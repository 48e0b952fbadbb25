import type { Observable } from 'rxjs';
import type { RxChatError } from '../../src';

/** Resolves with what one subscription received: its values, and its error if it failed. */
export function outcome<T>(source: Observable<T>): Promise<{ values: T[]; error?: RxChatError }> {
  const values: T[] = [];
  return new Promise((resolve) => {
    source.subscribe({
      next: (value) => values.push(value),
      error: (error: RxChatError) => resolve({ values, error }),
      complete: () => resolve({ values }),
    });
  });
}
