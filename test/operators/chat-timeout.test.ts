import { Observable, of, type SchedulerLike } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { ChatCompletionChunk, ChatStreamEvent } from '../../src/chunks/types';
import { RxChatError, type TimeoutPhase } from '../../src/errors';
import { chatTimeout, type ChatTimeoutConfig } from '../../src/operators/chat-timeout';
import { chunk, testScheduler } from '../helpers/marbles';
import { tracking } from '../helpers/scheduling';

const values: Record<string, ChatStreamEvent> = {
  r: { type: 'response', status: 200, headers: {}, requestId: 'req-1' },
  a: { type: 'chunk', chunk: chunk({ content: 'Hi' }) as ChatCompletionChunk },
  u: { type: 'usage', usage: null },
};

const timeout = (phase: TimeoutPhase, message: string) =>
  expect.objectContaining({ name: 'RxChatError', code: 'timeout', phase, message });

/** Records, at `frame`, how many actions are still pending on the test scheduler. */
function pendingAt(ts: TestScheduler, frame: number): { count: number } {
  const probe = { count: -1 };
  ts.schedule(() => (probe.count = ts.actions.length), frame);
  return probe;
}

describe('chatTimeout', () => {
  describe('headers', () => {
    it('fails at the exact frame when no event came, unsubscribing from the source', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('10ms r-a|', values);
        expectObservable(source.pipe(chatTimeout({ headers: 5 }))).toBe(
          '5ms #',
          undefined,
          timeout('headers', 'No response headers within 5 ms (headers timeout)'),
        );
        expectSubscriptions(source.subscriptions).toBe('^ 4ms !');
      });
    });

    it('ends at the first event of any kind, even one due at the very frame', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const response = cold('3ms r 20ms a|', values);
        expectObservable(response.pipe(chatTimeout({ headers: 5 }))).toBe('3ms r 20ms a|', values);
        const chunkFirst = cold('-a 20ms |', values);
        expectObservable(chunkFirst.pipe(chatTimeout({ headers: 5 }))).toBe('-a 20ms |', values);
        const atTheLimit = cold('5ms r 20ms |', values);
        expectObservable(atTheLimit.pipe(chatTimeout({ headers: 5 }))).toBe('5ms r 20ms |', values);
      });
    });

    it('fails at once with a limit of 0', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-r|', values);
        expectObservable(source.pipe(chatTimeout({ headers: 0 }))).toBe(
          '#',
          undefined,
          timeout('headers', 'No response headers within 0 ms (headers timeout)'),
        );
        expectSubscriptions(source.subscriptions).toBe('(^!)');
      });
    });
  });

  describe('firstChunk', () => {
    it('is not satisfied by the response event', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-r 10ms a|', values);
        expectObservable(source.pipe(chatTimeout({ firstChunk: 5 }))).toBe(
          '-r---#',
          values,
          timeout('firstChunk', 'No chunk within 5 ms of the request (firstChunk timeout)'),
        );
        expectSubscriptions(source.subscriptions).toBe('^----!');
      });
    });

    it('ends at the first chunk or usage event', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const withChunk = cold('-r-a 20ms a|', values);
        expectObservable(withChunk.pipe(chatTimeout({ firstChunk: 5 }))).toBe(
          '-r-a 20ms a|',
          values,
        );
        const withUsage = cold('-r-u 20ms |', values);
        expectObservable(withUsage.pipe(chatTimeout({ firstChunk: 5 }))).toBe(
          '-r-u 20ms |',
          values,
        );
      });
    });
  });

  describe('idle', () => {
    it('never fires while events keep coming within the limit', () => {
      const ts = testScheduler();
      const { scheduler, scheduled } = tracking(ts);
      ts.run(({ cold, expectObservable }) => {
        const marbles = '30ms a 29ms a 29ms a 29ms a 29ms a 29ms a|';
        const source = cold(marbles, values);
        expectObservable(source.pipe(chatTimeout({ idle: 50, scheduler }))).toBe(marbles, values);
      });
      expect(scheduled).toHaveLength(1);
    });

    it('fires exactly `idle` after the last event, rescheduling its one action meanwhile', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('30ms a 29ms a 59ms a|', values);
        // Events at 30 and 60; the action fires at 50 and 80, then times out at 60 + 50.
        expectObservable(source.pipe(chatTimeout({ idle: 50 }))).toBe(
          '30ms a 29ms a 49ms #',
          values,
          timeout('idle', 'No data for 50 ms (idle timeout; keep-alive comments do not count)'),
        );
        expectSubscriptions(source.subscriptions).toBe('^ 109ms !');
      });
    });

    it('counts from subscription when no event came at all', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('60ms a|', values);
        expectObservable(source.pipe(chatTimeout({ idle: 50 }))).toBe(
          '50ms #',
          undefined,
          timeout('idle', 'No data for 50 ms (idle timeout; keep-alive comments do not count)'),
        );
        expectSubscriptions(source.subscriptions).toBe('^ 49ms !');
      });
    });

    it('schedules one action, not one per event', () => {
      const ts = testScheduler();
      const { scheduler, scheduled } = tracking(ts);
      ts.run(({ cold, expectObservable }) => {
        const source = cold(`${'a'.repeat(100)} 100ms |`, values);
        expectObservable(source.pipe(chatTimeout({ idle: 50, scheduler }))).toBe(
          `${'a'.repeat(100)} 49ms #`,
          values,
          timeout('idle', 'No data for 50 ms (idle timeout; keep-alive comments do not count)'),
        );
      });
      expect(scheduled).toHaveLength(1);
    });
  });

  describe('endsData', () => {
    const errorResponse: ChatStreamEvent = {
      type: 'response',
      status: 401,
      headers: {},
      requestId: null,
    };

    it('by default, lets a response with an error status end the firstChunk and idle phases', () => {
      const ts = testScheduler();
      const { scheduler, scheduled } = tracking(ts);
      ts.run(({ cold, expectObservable }) => {
        const source = cold('-x 100ms |', { x: errorResponse });
        expectObservable(
          source.pipe(chatTimeout({ firstChunk: 5, idle: 10, total: 200, scheduler })),
        ).toBe('-x 100ms |', { x: errorResponse });
      });
      // firstChunk, idle and total, none of them rescheduled.
      expect(scheduled).toHaveLength(3);
    });

    it('leaves headers and total running after such an event', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-x 100ms |', { x: errorResponse });
        expectObservable(source.pipe(chatTimeout({ idle: 10, total: 50 }))).toBe(
          '-x 48ms #',
          { x: errorResponse },
          timeout('total', 'The stream did not finish within 50 ms (total timeout)'),
        );
      });
    });

    it('asks the given predicate instead, and never after it said yes', () => {
      const asked: ChatStreamEvent['type'][] = [];
      const endsData = (event: ChatStreamEvent) => {
        asked.push(event.type);
        return event.type === 'usage';
      };
      testScheduler().run(({ cold, expectObservable }) => {
        // The error response is data as far as this predicate goes: idle still runs.
        const source = cold('-x 20ms |', { x: errorResponse });
        expectObservable(source.pipe(chatTimeout({ idle: 10, endsData }))).toBe(
          '-x 9ms #',
          { x: errorResponse },
          timeout('idle', 'No data for 10 ms (idle timeout; keep-alive comments do not count)'),
        );
        const ended = cold('-a-u-a 50ms |', values);
        expectObservable(ended.pipe(chatTimeout({ idle: 10, endsData }))).toBe(
          '-a-u-a 50ms |',
          values,
        );
      });
      expect(asked).toEqual(['response', 'chunk', 'usage']);
    });

    it('fails the stream with what the predicate throws, unsubscribing from the source', () => {
      const thrown = new Error('bad predicate');
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-r-a|', values);
        const endsData = () => {
          throw thrown;
        };
        expectObservable(source.pipe(chatTimeout({ idle: 10, endsData }))).toBe(
          '-#',
          undefined,
          thrown,
        );
        expectSubscriptions(source.subscriptions).toBe('^!');
      });
    });

    it('throws a TypeError for an endsData that is not a function', () => {
      const endsData = true as unknown as () => boolean;
      expect(() => chatTimeout({ endsData })).toThrow(TypeError);
      expect(() => chatTimeout({ endsData })).toThrow('chatTimeout: endsData must be a function');
    });
  });

  describe('total', () => {
    it('fails a stream still running at the limit, and is not retryable', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-r-a-a-a-a-a|', values);
        expectObservable(source.pipe(chatTimeout({ total: 6, idle: 5 }))).toBe(
          '-r-a-a#',
          values,
          expect.objectContaining({
            code: 'timeout',
            phase: 'total',
            retryable: false,
            message: 'The stream did not finish within 6 ms (total timeout)',
          }),
        );
        expectSubscriptions(source.subscriptions).toBe('^-----!');
      });
    });

    it('lets a stream that completes in time through', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-r-a-u|', values);
        expectObservable(source.pipe(chatTimeout({ total: 7 }))).toBe('-r-a-u|', values);
      });
    });
  });

  it('makes the other phases retryable timeouts', () => {
    const errors: unknown[] = [];
    testScheduler().run(({ cold }) => {
      const silent = cold('100ms r|', values);
      for (const config of [{ headers: 5 }, { firstChunk: 5 }, { idle: 5 }]) {
        silent.pipe(chatTimeout(config)).subscribe({ error: (e: unknown) => errors.push(e) });
      }
    });
    expect(errors).toHaveLength(3);
    for (const error of errors) {
      expect(RxChatError.isInstance(error)).toBe(true);
      expect((error as RxChatError).retryable).toBe(true);
    }
    expect(errors.map((e) => (e as RxChatError).phase)).toEqual(['headers', 'firstChunk', 'idle']);
  });

  it('reports one phase, deterministically, when several run out at the same frame', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('10ms r|', values);
      const all = { headers: 5, firstChunk: 5, idle: 5, total: 5 };
      expectObservable(source.pipe(chatTimeout(all))).toBe(
        '5ms #',
        undefined,
        expect.objectContaining({ phase: 'headers' }),
      );
    });
  });

  it('has every phase off by default, and off with Infinity', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    ts.run(({ cold, expectObservable }) => {
      const marbles = '100s r 100s a 100s |';
      const source = cold(marbles, values);
      expectObservable(source.pipe(chatTimeout({ scheduler }))).toBe(marbles, values);
      const infinite = { headers: Infinity, firstChunk: Infinity, idle: Infinity, total: Infinity };
      expectObservable(source.pipe(chatTimeout({ ...infinite, scheduler }))).toBe(marbles, values);
    });
    expect(scheduled).toHaveLength(0);
  });

  it('passes a synchronous source through without scheduling anything it no longer needs', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    const seen: ChatStreamEvent[] = [];
    let completed = false;
    ts.run(() => {
      of(values.r!, values.a!, values.u!)
        .pipe(chatTimeout({ headers: 5, firstChunk: 5, total: 5, scheduler }))
        .subscribe({ next: (e) => seen.push(e), complete: () => (completed = true) });
    });
    expect(seen).toEqual([values.r, values.a, values.u]);
    expect(completed).toBe(true);
    expect(scheduled).toHaveLength(0);
  });

  describe('cancels every pending action', () => {
    const all = (scheduler: SchedulerLike): ChatTimeoutConfig => ({
      headers: 100,
      firstChunk: 100,
      idle: 50,
      total: 1000,
      scheduler,
    });

    it('when the source completes first, even with the idle action rescheduled', () => {
      const ts = testScheduler();
      const { scheduler, scheduled } = tracking(ts);
      let probe = { count: -1 };
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        // The idle action fires at 50 and reschedules itself for 80; completion comes at 61.
        const source = cold('30ms r 29ms a|', values);
        expectObservable(source.pipe(chatTimeout(all(scheduler)))).toBe('30ms r 29ms a|', values);
        expectSubscriptions(source.subscriptions).toBe('^ 60ms !');
        probe = pendingAt(ts, 70);
      });
      expect(probe.count).toBe(0);
      expect(scheduled).toHaveLength(4);
      expect(scheduled.every((action) => action.closed)).toBe(true);
    });

    it('when the source fails first, passing its error unchanged', () => {
      const ts = testScheduler();
      const { scheduler, scheduled } = tracking(ts);
      let probe = { count: -1 };
      ts.run(({ cold, expectObservable }) => {
        const source = cold('-r-#', values, 'boom');
        expectObservable(source.pipe(chatTimeout(all(scheduler)))).toBe('-r-#', values, 'boom');
        probe = pendingAt(ts, 20);
      });
      expect(probe.count).toBe(0);
      expect(scheduled.every((action) => action.closed)).toBe(true);
    });

    it('when the subscriber unsubscribes', () => {
      const ts = testScheduler();
      const { scheduler, scheduled } = tracking(ts);
      let probe = { count: -1 };
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-r 200ms a|', values);
        expectObservable(source.pipe(chatTimeout(all(scheduler))), '^--!').toBe('-r', values);
        expectSubscriptions(source.subscriptions).toBe('^--!');
        probe = pendingAt(ts, 20);
      });
      expect(probe.count).toBe(0);
      expect(scheduled.every((action) => action.closed)).toBe(true);
    });

    it('when a timeout fires', () => {
      const ts = testScheduler();
      const { scheduler, scheduled } = tracking(ts);
      let probe = { count: -1 };
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-r 200ms a|', values);
        expectObservable(source.pipe(chatTimeout(all(scheduler)))).toBe(
          '-r 49ms #',
          values,
          expect.objectContaining({ phase: 'idle' }),
        );
        expectSubscriptions(source.subscriptions).toBe('^ 50ms !');
        probe = pendingAt(ts, 60);
      });
      expect(probe.count).toBe(0);
      expect(scheduled.every((action) => action.closed)).toBe(true);
    });
  });

  it('unsubscribes from the source (aborting the request) before the error reaches the consumer', () => {
    let aborted = false;
    let abortedWhenFailed: boolean | undefined;
    testScheduler().run(() => {
      const pending = new Observable<ChatStreamEvent>(() => () => {
        aborted = true;
      });
      pending.pipe(chatTimeout({ headers: 5 })).subscribe({
        error: () => (abortedWhenFailed = aborted),
      });
    });
    expect(abortedWhenFailed).toBe(true);
  });

  it('throws a RangeError for a negative or NaN limit', () => {
    for (const phase of ['headers', 'firstChunk', 'idle', 'total'] as const) {
      expect(() => chatTimeout({ [phase]: -1 })).toThrow(RangeError);
      expect(() => chatTimeout({ [phase]: NaN })).toThrow(RangeError);
      expect(() => chatTimeout({ [phase]: -Infinity })).toThrow(RangeError);
      expect(() => chatTimeout({ [phase]: '10' as unknown as number })).toThrow(RangeError);
      expect(() => chatTimeout({ [phase]: 0 })).not.toThrow();
      expect(() => chatTimeout({ [phase]: Infinity })).not.toThrow();
    }
    expect(() => chatTimeout({ idle: -5 })).toThrow('chatTimeout: idle must be');
  });
});
