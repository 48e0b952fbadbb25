import { runInThisContext } from 'node:vm';
import { Observable, Subject, concat, from, interval, map, of, take, throwError } from 'rxjs';
import { toAsyncIterable } from '../src/to-async-iterable';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Lets pending promise jobs and Node's unhandled-rejection check run. */
const settle = async () => {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await sleep(5);
};

/** Wraps `source`, counting subscriptions made and still open (torn-down ones are not). */
function counted<T>(source: Observable<T>) {
  const stats = { subscribed: 0, active: 0 };
  const observable = new Observable<T>((subscriber) => {
    stats.subscribed++;
    stats.active++;
    const subscription = source.subscribe(subscriber);
    return () => {
      stats.active--;
      subscription.unsubscribe();
    };
  });
  return { observable, stats };
}

/** Every value of one iteration, and the error that ended it, if any. */
async function drain<T>(iterable: AsyncIterable<T>): Promise<{ values: T[]; error?: unknown }> {
  const values: T[] = [];
  try {
    for await (const value of iterable) values.push(value);
  } catch (error) {
    return { values, error };
  }
  return { values };
}

// Jest hands each test file a copy of `process`, and reports rejections itself from the real one
// (failing the test that caused them). The real one, from the main context, shows them here too.
const realProcess = runInThisContext('process') as NodeJS.Process;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => realProcess.on('unhandledRejection', onUnhandled));
afterAll(() => realProcess.off('unhandledRejection', onUnhandled));

describe('toAsyncIterable', () => {
  it('has a live unhandled-rejection listener', async () => {
    const probe = new Error('probe');
    const rejected = Promise.reject(probe);
    await settle();
    expect(unhandled).toEqual([probe]);
    // Handling it now tells Jest it was handled after all, so this test does not fail.
    rejected.catch(() => undefined);
    await settle();
    unhandled.length = 0;
  });

  describe('laziness', () => {
    it('subscribes on the first next(), not before, once per iterator', async () => {
      const { observable, stats } = counted(interval(1));
      const iterable = toAsyncIterable(observable);
      const first = iterable[Symbol.asyncIterator]();
      const second = iterable[Symbol.asyncIterator]();
      await sleep(5);
      expect(stats.subscribed).toBe(0);

      const next = first.next();
      expect(stats).toEqual({ subscribed: 1, active: 1 });
      expect(await next).toEqual({ done: false, value: 0 });
      // Each iterator is its own subscription, from the start of the stream.
      expect(await second.next()).toEqual({ done: false, value: 0 });
      expect(stats).toEqual({ subscribed: 2, active: 2 });
      expect(await first.next()).toEqual({ done: false, value: 1 });

      await first.return!();
      await second.return!();
      expect(stats.active).toBe(0);
    });

    it('never subscribes when returned before the first next()', async () => {
      const { observable, stats } = counted(of(1, 2));
      const iterator = toAsyncIterable(observable)[Symbol.asyncIterator]();
      expect(await iterator.return!()).toEqual({ done: true, value: undefined });
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      expect(stats.subscribed).toBe(0);
    });

    it('iterates the iterator itself, so it can be started by hand and finished in a loop', async () => {
      const iterator = toAsyncIterable(of('a', 'b', 'c'))[Symbol.asyncIterator]();
      expect(iterator[Symbol.asyncIterator]()).toBe(iterator);
      expect(await iterator.next()).toEqual({ done: false, value: 'a' });
      expect((await drain(iterator)).values).toEqual(['b', 'c']);
    });
  });

  describe('ordering', () => {
    it('delivers values in order, queued or awaited', async () => {
      const subject = new Subject<number>();
      const iterator = toAsyncIterable(subject)[Symbol.asyncIterator]();
      const first = iterator.next();
      // 1 goes to the waiting next(); 2 and 3 arrive while nobody waits, and are queued.
      subject.next(1);
      subject.next(2);
      subject.next(3);
      expect(await first).toEqual({ done: false, value: 1 });
      expect(await iterator.next()).toEqual({ done: false, value: 2 });
      expect(await iterator.next()).toEqual({ done: false, value: 3 });
      const fourth = iterator.next();
      subject.next(4);
      expect(await fourth).toEqual({ done: false, value: 4 });
      await iterator.return!();
      expect(subject.observed).toBe(false);
    });

    it('answers several pending next() calls in the order they were made', async () => {
      const subject = new Subject<string>();
      const iterator = toAsyncIterable(subject)[Symbol.asyncIterator]();
      const pending = Promise.all([iterator.next(), iterator.next(), iterator.next()]);
      subject.next('a');
      subject.next('b');
      subject.complete();
      expect(await pending).toEqual([
        { done: false, value: 'a' },
        { done: false, value: 'b' },
        { done: true, value: undefined },
      ]);
    });

    it('keeps up with a timed source and a consumer that is sometimes slow', async () => {
      const source = interval(1).pipe(take(30));
      const values: number[] = [];
      for await (const value of toAsyncIterable(source)) {
        values.push(value);
        if (value % 7 === 0) await sleep(4);
      }
      expect(values).toEqual(Array.from({ length: 30 }, (_, i) => i));
    });
  });

  describe('completion', () => {
    it('ends the iteration after the queued values', async () => {
      expect(await drain(toAsyncIterable(of(1, 2, 3)))).toEqual({ values: [1, 2, 3] });

      const subject = new Subject<number>();
      const iterator = toAsyncIterable(subject)[Symbol.asyncIterator]();
      const first = iterator.next();
      subject.next(1);
      subject.next(2);
      subject.next(3);
      subject.complete();
      expect(await first).toEqual({ done: false, value: 1 });
      expect(await drain(iterator)).toEqual({ values: [2, 3] });
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
    });

    it('ends at once for an empty source', async () => {
      expect(await drain(toAsyncIterable(of()))).toEqual({ values: [] });
    });
  });

  describe('errors', () => {
    it('throws a source error after the values queued before it, then is done', async () => {
      const boom = new Error('boom');
      const source = concat(
        of(1, 2),
        throwError(() => boom),
      );
      expect(await drain(toAsyncIterable(source))).toEqual({ values: [1, 2], error: boom });

      const iterator = toAsyncIterable(source)[Symbol.asyncIterator]();
      expect(await iterator.next()).toEqual({ done: false, value: 1 });
      expect(await iterator.next()).toEqual({ done: false, value: 2 });
      await expect(iterator.next()).rejects.toBe(boom);
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
    });

    it('rejects the waiting next() when the error comes while the consumer waits', async () => {
      const boom = new Error('boom');
      const subject = new Subject<number>();
      const iterator = toAsyncIterable(subject)[Symbol.asyncIterator]();
      const first = iterator.next();
      const second = iterator.next();
      subject.error(boom);
      await expect(first).rejects.toBe(boom);
      expect(await second).toEqual({ done: true, value: undefined });
    });

    it('throws an error from a timed source after its values', async () => {
      const boom = new Error('late');
      const source = interval(1).pipe(
        map((i) => {
          if (i === 3) throw boom;
          return i;
        }),
      );
      expect(await drain(toAsyncIterable(source))).toEqual({ values: [0, 1, 2], error: boom });
    });
  });

  describe('stopping early', () => {
    it('unsubscribes at once on break', async () => {
      const { observable, stats } = counted(interval(1));
      const seen: number[] = [];
      for await (const value of toAsyncIterable(observable)) {
        seen.push(value);
        expect(stats.active).toBe(1);
        if (value === 2) break;
      }
      expect(seen).toEqual([0, 1, 2]);
      expect(stats).toEqual({ subscribed: 1, active: 0 });
    });

    it('unsubscribes synchronously in return(), dropping queued values and pending calls', async () => {
      const subject = new Subject<number>();
      const source = counted(subject);
      const iterator = toAsyncIterable(source.observable)[Symbol.asyncIterator]();
      const first = iterator.next();
      subject.next(1);
      subject.next(2); // Queued.
      expect(await first).toEqual({ done: false, value: 1 });
      const returned = iterator.return!();
      expect(source.stats.active).toBe(0);
      expect(subject.observed).toBe(false);
      expect(await returned).toEqual({ done: true, value: undefined });
      expect(await iterator.next()).toEqual({ done: true, value: undefined });

      // A next() still waiting when return() comes is answered with done.
      const silent = counted(new Subject<number>());
      const other = toAsyncIterable(silent.observable)[Symbol.asyncIterator]();
      const waiting = other.next();
      expect(silent.stats.active).toBe(1);
      await other.return!();
      expect(silent.stats.active).toBe(0);
      expect(await waiting).toEqual({ done: true, value: undefined });
    });

    it('unsubscribes in throw() too, and resolves done', async () => {
      const { observable, stats } = counted(interval(1));
      const iterator = toAsyncIterable(observable)[Symbol.asyncIterator]();
      expect(await iterator.next()).toEqual({ done: false, value: 0 });
      const thrown = iterator.throw!(new Error('stop'));
      expect(stats.active).toBe(0);
      expect(await thrown).toEqual({ done: true, value: undefined });
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
    });

    it('unsubscribes when the loop body throws', async () => {
      const { observable, stats } = counted(interval(1));
      const oops = new Error('oops');
      await expect(
        (async () => {
          for await (const value of toAsyncIterable(observable)) {
            if (value === 1) throw oops;
          }
        })(),
      ).rejects.toBe(oops);
      expect(stats.active).toBe(0);
    });
  });

  describe('maxBuffered', () => {
    it('unsubscribes on overflow and throws a RangeError after the queued values', async () => {
      const subject = new Subject<number>();
      const iterator = toAsyncIterable(subject, { maxBuffered: 2 })[Symbol.asyncIterator]();
      const first = iterator.next();
      subject.next(1); // To the waiting next().
      subject.next(2);
      subject.next(3);
      expect(subject.observed).toBe(true);
      subject.next(4); // One too many.
      expect(subject.observed).toBe(false);
      expect(await first).toEqual({ done: false, value: 1 });
      expect(await iterator.next()).toEqual({ done: false, value: 2 });
      expect(await iterator.next()).toEqual({ done: false, value: 3 });
      const overflow = iterator.next();
      await expect(overflow).rejects.toThrow(RangeError);
      await expect(overflow).rejects.toThrow(
        'toAsyncIterable: more than 2 values queued, the consumer is too slow',
      );
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
    });

    it('stops a synchronous source at the overflow, not at the end of its burst', async () => {
      let emitted = 0;
      const flood = new Observable<number>((subscriber) => {
        while (!subscriber.closed && emitted < 1_000_000) subscriber.next(emitted++);
      });
      const result = await drain(toAsyncIterable(flood, { maxBuffered: 10 }));
      // One to the first next(), ten queued, one too many.
      expect(emitted).toBe(12);
      expect(result.values).toEqual(Array.from({ length: 11 }, (_, i) => i));
      expect(result.error).toBeInstanceOf(RangeError);
    });

    it('defaults to 100 000 and queues nothing with 0', async () => {
      const big = Array.from({ length: 100_000 }, (_, i) => i);
      expect((await drain(toAsyncIterable(from(big)))).values).toHaveLength(100_000);
      const tooBig = await drain(toAsyncIterable(from([...big, 100_000, 100_001])));
      expect(tooBig.values).toHaveLength(100_001);
      expect(tooBig.error).toBeInstanceOf(RangeError);

      const strict = await drain(toAsyncIterable(of(1, 2), { maxBuffered: 0 }));
      expect(strict.values).toEqual([1]);
      expect(strict.error).toBeInstanceOf(RangeError);
      expect(await drain(toAsyncIterable(interval(1).pipe(take(3)), { maxBuffered: 0 }))).toEqual({
        values: [0, 1, 2],
      });
    });

    it('is validated', () => {
      for (const maxBuffered of [-1, NaN, 1.5, -Infinity, '3' as unknown as number]) {
        expect(() => toAsyncIterable(of(1), { maxBuffered })).toThrow(RangeError);
      }
      for (const maxBuffered of [0, 1, Infinity, undefined]) {
        expect(() => toAsyncIterable(of(1), { maxBuffered })).not.toThrow();
      }
    });
  });

  it('leaves no unhandled rejection in any path', async () => {
    const boom = new Error('boom');
    // An error that nobody ever asks for: queued behind a value, and then abandoned.
    const abandoned = toAsyncIterable(
      concat(
        of(1),
        throwError(() => boom),
      ),
    )[Symbol.asyncIterator]();
    await abandoned.next();
    // An error reached by a pending next() and one returned instead of being asked for.
    const subject = new Subject<number>();
    const returned = toAsyncIterable(subject)[Symbol.asyncIterator]();
    const waiting = returned.next();
    subject.next(1);
    subject.error(boom);
    await waiting;
    await returned.return!();
    // Overflow that nobody asks for.
    const overflowing = new Subject<number>();
    const slow = toAsyncIterable(overflowing, { maxBuffered: 1 })[Symbol.asyncIterator]();
    void slow.next();
    overflowing.next(1);
    overflowing.next(2);
    overflowing.next(3);
    // A loop broken while another next() waits, and a loop that ran into an error.
    const loop = toAsyncIterable(interval(1))[Symbol.asyncIterator]();
    void loop.next();
    const racing = loop.next();
    await loop.return!();
    await racing;
    await drain(toAsyncIterable(throwError(() => boom)));

    await settle();
    expect(unhandled).toEqual([]);
  });
});
