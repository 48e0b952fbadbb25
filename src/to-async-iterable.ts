import { Observable, type Subscriber } from 'rxjs';

/** Options of {@link toAsyncIterable}. */
export interface ToAsyncIterableOptions {
  /**
   * The most values held for a consumer that is not waiting. One more makes the iteration fail
   * with a `RangeError` and unsubscribes. An integer >= 0, or `Infinity`. Default 100 000.
   */
  maxBuffered?: number;
}

/** What ends an iteration once its queued values have been delivered. */
type Ending = { error: false } | { error: true; reason: unknown };

interface Waiter<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(reason: unknown): void;
}

const DONE: IteratorResult<never, undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Turns an Observable into an async iterable, for `for await` loops. Each
 * `[Symbol.asyncIterator]()` call is an iteration of its own, and subscribes to `source`
 * (sending the request again, for a cold chat stream) only on its first `next()` call.
 *
 * - Values that arrive while the loop body is busy are queued in order. The queue holds at most
 *   `maxBuffered` values (default 100 000): one more unsubscribes, and the iteration throws a
 *   `RangeError` (consumer too slow) once the values queued before it were delivered.
 * - Completion ends the iteration after the queued values; a source error is thrown by the
 *   `next()` that reaches it, likewise after the values queued before it.
 * - `break` (and `return()` or `throw()` on the iterator) unsubscribes at once, which aborts an
 *   HTTP request upstream, drops what is queued and resolves `{ done: true }`.
 * - Nothing is left to reject unobserved: an error is only ever handed to a `next()` call that
 *   asked for it.
 *
 * The iterators are `AsyncIterableIterator`s whose own `[Symbol.asyncIterator]()` returns
 * themselves, so one can be advanced by hand and then finished in a `for await` loop.
 *
 * @throws RangeError when `maxBuffered` is negative, NaN or not an integer.
 *
 * @example
 * ```ts
 * for await (const text of toAsyncIterable(client.stream(req).pipe(contentDeltas()))) {
 *   process.stdout.write(text);
 *   if (done) break; // Unsubscribes at once, which aborts the request.
 * }
 *
 * // By hand: the first value, then the rest.
 * const it = toAsyncIterable(answer$)[Symbol.asyncIterator]();
 * const first = await it.next();
 * for await (const text of it) render(text);
 * ```
 */
export function toAsyncIterable<T>(
  source: Observable<T>,
  options: ToAsyncIterableOptions = {},
): {
  /** A new iteration, which subscribes to `source` on its first `next()` call. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T>;
} {
  const { maxBuffered = 100_000 } = options;
  if (
    typeof maxBuffered !== 'number' ||
    !(maxBuffered >= 0) ||
    (Number.isFinite(maxBuffered) && !Number.isInteger(maxBuffered))
  ) {
    throw new RangeError(
      `toAsyncIterable: maxBuffered must be an integer >= 0 or Infinity, got ${String(maxBuffered)}`,
    );
  }
  return { [Symbol.asyncIterator]: () => iterate(source, maxBuffered) };
}

function iterate<T>(source: Observable<T>, maxBuffered: number): AsyncIterableIterator<T> {
  let started = false;
  // Set once nothing more will be taken from the source: after its end, an overflow, or return().
  let stopped = false;
  // The subscriber, known before the source's subscribe() returns so that an overflow or
  // completion during a synchronous burst unsubscribes at once, not after the whole burst.
  let sink: Subscriber<T> | undefined;
  // Values not yet asked for: `queue[head]` is the next one. A moving head keeps taking a value
  // O(1); the array is compacted once the taken part dominates.
  let queue: T[] = [];
  let head = 0;
  // Calls to next() waiting for a value. Only ever non-empty while the queue is empty.
  let waiters: Waiter<T>[] = [];
  // How the iteration ends once the queue is drained; undefined while the source runs.
  let ending: Ending | undefined;

  const queued = () => queue.length - head;

  const take = (): T => {
    const value = queue[head] as T;
    queue[head++] = undefined as T; // Let it be collected now, not at the next compaction.
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head >= 1024 && head * 2 >= queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    return value;
  };

  const unsubscribe = () => {
    stopped = true;
    sink?.unsubscribe();
  };

  // Ends the iteration for the current waiters, if any: the first gets the error (it asked first),
  // the rest are done. Without waiters, the ending waits in `ending` for the next next().
  const end = (result: Ending) => {
    unsubscribe();
    if (waiters.length === 0) {
      ending = result;
      return;
    }
    const [first, ...rest] = waiters;
    waiters = [];
    ending = { error: false };
    if (result.error) first!.reject(result.reason);
    else first!.resolve(DONE);
    for (const waiter of rest) waiter.resolve(DONE);
  };

  const start = () => {
    started = true;
    new Observable<T>((subscriber) => {
      sink = subscriber;
      source.subscribe(subscriber);
    }).subscribe({
      next(value) {
        if (stopped) return;
        const waiter = waiters.shift();
        if (waiter) {
          waiter.resolve({ done: false, value });
        } else if (queued() < maxBuffered) {
          queue.push(value);
        } else {
          end({
            error: true,
            reason: new RangeError(
              `toAsyncIterable: more than ${maxBuffered} values queued, the consumer is too slow ` +
                '(coalesce the source, e.g. with throttleText, or raise maxBuffered)',
            ),
          });
        }
      },
      error(reason: unknown) {
        if (!stopped) end({ error: true, reason });
      },
      complete() {
        if (!stopped) end({ error: false });
      },
    });
  };

  // Stops the iteration from the consumer's side: unsubscribe, forget what is queued or pending.
  const close = (): Promise<IteratorResult<T, undefined>> => {
    unsubscribe();
    started = true; // A closed iterator never subscribes.
    queue = [];
    head = 0;
    ending = { error: false };
    const pending = waiters;
    waiters = [];
    for (const waiter of pending) waiter.resolve(DONE);
    return Promise.resolve(DONE);
  };

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (queued() > 0) return Promise.resolve({ done: false, value: take() });
      if (ending) {
        const result = ending;
        // An error is thrown once; later calls are done, like a generator's.
        ending = { error: false };
        return result.error ? Promise.reject(result.reason) : Promise.resolve(DONE);
      }
      const promise = new Promise<IteratorResult<T, undefined>>((resolve, reject) =>
        waiters.push({ resolve, reject }),
      );
      // Subscribe after queueing the waiter, so that a synchronous source hands it its first value.
      if (!started) start();
      return promise;
    },
    return: close,
    throw: close,
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
