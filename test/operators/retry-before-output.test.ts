import { defer, Observable, queueScheduler } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { ChatCompletionChunk, ChatStreamEvent } from '../../src/chunks/types';
import { RxChatError } from '../../src/errors';
import { chatTimeout } from '../../src/operators/chat-timeout';
import { isRetryableError, retryBeforeOutput } from '../../src/operators/retry-before-output';
import { chunk, testScheduler } from '../helpers/marbles';
import { tracking } from '../helpers/scheduling';

const response: ChatStreamEvent = { type: 'response', status: 200, headers: {}, requestId: null };
const text = (content: string): ChatStreamEvent => ({
  type: 'chunk',
  chunk: chunk({ content }) as ChatCompletionChunk,
});
const unavailable = (retryAfterMs?: number) =>
  new RxChatError('http_error', 'Service Unavailable', { status: 503, retryAfterMs });

/** Subscribes to the given sources one after the other, one per attempt (the last one repeats). */
function perAttempt<T>(...sources: Observable<T>[]): Observable<T> {
  let attempt = 0;
  return defer(() => sources[Math.min(attempt++, sources.length - 1)]!);
}

describe('isRetryableError', () => {
  it('follows RxChatError.retryable and rejects everything else', () => {
    expect(isRetryableError(unavailable())).toBe(true);
    expect(isRetryableError(new RxChatError('http_error', 'x', { status: 429 }))).toBe(true);
    expect(isRetryableError(new RxChatError('connection_error', 'reset'))).toBe(true);
    expect(isRetryableError(new RxChatError('truncated', 'cut'))).toBe(true);
    expect(isRetryableError(new RxChatError('timeout', 'x', { phase: 'idle' }))).toBe(true);
    expect(isRetryableError(new RxChatError('timeout', 'x', { phase: 'total' }))).toBe(false);
    expect(isRetryableError(new RxChatError('http_error', 'x', { status: 400 }))).toBe(false);
    expect(isRetryableError(new RxChatError('parse_error', 'x'))).toBe(false);
    expect(isRetryableError(new RxChatError('http_error', 'x', { retryable: true }))).toBe(true);
    expect(isRetryableError(new Error('plain'))).toBe(false);
    expect(isRetryableError({ retryable: true })).toBe(false);
    expect(isRetryableError(undefined)).toBe(false);
  });
});

describe('retryBeforeOutput with a synchronous scheduler', () => {
  it('tears down the live attempt when a sync failure was retried inline', () => {
    let live = 0;
    let attempts = 0;
    const source = new Observable<string>((subscriber) => {
      attempts++;
      if (attempts === 1) {
        subscriber.error(new RxChatError('connection_error', 'reset'));
        return;
      }
      live++;
      return () => live--;
    });
    const subscription = source
      .pipe(retryBeforeOutput({ scheduler: queueScheduler, baseDelay: 0, jitter: 0 }))
      .subscribe({ error: () => undefined });
    expect(attempts).toBe(2);
    expect(live).toBe(1);
    subscription.unsubscribe();
    expect(live).toBe(0);
  });
});

describe('retryBeforeOutput', () => {
  it('backs off 500, 1000, 2000 ms, subscribing once per attempt, then fails with the count', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('-#', undefined, unavailable());
      expectObservable(source.pipe(retryBeforeOutput({ maxRetries: 3, jitter: 0 }))).toBe(
        '3504ms #',
        undefined,
        expect.objectContaining({
          code: 'http_error',
          attempts: 4,
          message: 'Service Unavailable (after 4 attempts)',
        }),
      );
      expectSubscriptions(source.subscriptions).toBe(['^!', '501ms ^!', '1502ms ^!', '3503ms ^!']);
    });
  });

  it('makes three attempts by default', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('#', undefined, unavailable());
      expectObservable(source.pipe(retryBeforeOutput({ jitter: 0 }))).toBe(
        '1500ms #',
        undefined,
        expect.objectContaining({ attempts: 3, message: 'Service Unavailable (after 3 attempts)' }),
      );
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '500ms (^!)', '1500ms (^!)']);
    });
  });

  it('caps the backoff at maxDelay', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('#', undefined, unavailable());
      const retried = source.pipe(
        retryBeforeOutput({ maxRetries: 3, baseDelay: 1000, maxDelay: 1500, jitter: 0 }),
      );
      expectObservable(retried).toBe(
        '4000ms #',
        undefined,
        expect.objectContaining({ attempts: 4 }),
      );
      // Waits of 1000, then 1500 instead of 2000, then 1500 instead of 4000.
      expectSubscriptions(source.subscriptions).toBe([
        '(^!)',
        '1000ms (^!)',
        '2500ms (^!)',
        '4000ms (^!)',
      ]);
    });
  });

  it('takes a random fraction of up to `jitter` off each wait', () => {
    const random = jest.fn().mockReturnValueOnce(0.5).mockReturnValueOnce(0.2);
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('#', undefined, unavailable());
      expectObservable(source.pipe(retryBeforeOutput({ jitter: 0.5, random }))).toBe(
        '1275ms #',
        undefined,
        expect.objectContaining({ attempts: 3 }),
      );
      // 500 * (1 - 0.5 * 0.5) = 375, then 1000 * (1 - 0.5 * 0.2) = 900.
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '375ms (^!)', '1275ms (^!)']);
    });
    expect(random).toHaveBeenCalledTimes(2);
  });

  it('uses a jitter of 0.25 by default', () => {
    testScheduler().run(({ cold, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('#', undefined, unavailable());
      source.pipe(retryBeforeOutput({ maxRetries: 1, random: () => 0.99 })).subscribe({
        error: () => undefined,
      });
      // 500 * (1 - 0.25 * 0.99) = 376.25
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '376.25ms (^!)']);
    });
  });

  it('waits exactly as long as retry-after asks, without jitter', () => {
    const random = jest.fn(() => 0.9);
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('#', undefined, unavailable(3000));
      expectObservable(source.pipe(retryBeforeOutput({ maxRetries: 1, random }))).toBe(
        '3000ms #',
        undefined,
        expect.objectContaining({ attempts: 2, status: 503 }),
      );
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '3000ms (^!)']);
    });
    expect(random).not.toHaveBeenCalled();
  });

  it('caps retry-after at maxRetryAfter (60 s by default)', () => {
    testScheduler().run(({ cold, expectSubscriptions }) => {
      const capped = cold<ChatStreamEvent>('#', undefined, unavailable(120_000));
      capped.pipe(retryBeforeOutput({ maxRetries: 1, maxRetryAfter: 5000 })).subscribe({
        error: () => undefined,
      });
      expectSubscriptions(capped.subscriptions).toBe(['(^!)', '5000ms (^!)']);

      const byDefault = cold<ChatStreamEvent>('#', undefined, unavailable(90_000));
      byDefault.pipe(retryBeforeOutput({ maxRetries: 1 })).subscribe({ error: () => undefined });
      expectSubscriptions(byDefault.subscriptions).toBe(['(^!)', '60000ms (^!)']);
    });
  });

  it('retries at once for retry-after 0 and ignores a negative or infinite hint', () => {
    testScheduler().run(({ cold, expectSubscriptions }) => {
      const zero = cold<ChatStreamEvent>('-#', undefined, unavailable(0));
      zero.pipe(retryBeforeOutput({ maxRetries: 1 })).subscribe({ error: () => undefined });
      expectSubscriptions(zero.subscriptions).toBe(['^!', '-^!']);

      const negative = cold<ChatStreamEvent>('#', undefined, unavailable(-1));
      negative.pipe(retryBeforeOutput({ maxRetries: 1, jitter: 0 })).subscribe({
        error: () => undefined,
      });
      expectSubscriptions(negative.subscriptions).toBe(['(^!)', '500ms (^!)']);

      const infinite = cold<ChatStreamEvent>('#', undefined, unavailable(Infinity));
      infinite.pipe(retryBeforeOutput({ maxRetries: 1, jitter: 0 })).subscribe({
        error: () => undefined,
      });
      expectSubscriptions(infinite.subscriptions).toBe(['(^!)', '500ms (^!)']);
    });
  });

  it('passes an error after output through untouched, without retrying', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const error = unavailable();
      const source = cold<ChatStreamEvent>('-r-a-#', { r: response, a: text('Hi') }, error);
      expectObservable(source.pipe(retryBeforeOutput({ jitter: 0 }))).toBe(
        '-r-a-#',
        { r: response, a: text('Hi') },
        error,
      );
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('still retries after a response event, which is not output', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('-r-#', { r: response }, unavailable());
      expectObservable(source.pipe(retryBeforeOutput({ maxRetries: 1, jitter: 0 }))).toBe(
        '-r 502ms r-#',
        { r: response },
        expect.objectContaining({ attempts: 2, message: 'Service Unavailable (after 2 attempts)' }),
      );
      expectSubscriptions(source.subscriptions).toBe(['^--!', '503ms ^--!']);
    });
  });

  it('stops retrying once a later attempt emitted output', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { r: response, a: text('A'), b: text('B') };
      const first = cold<ChatStreamEvent>('-r#', values, unavailable());
      const second = cold<ChatStreamEvent>('-r-a-#', values, unavailable());
      const third = cold<ChatStreamEvent>('-r-b|', values);
      expectObservable(
        perAttempt(first, second, third).pipe(retryBeforeOutput({ jitter: 0 })),
      ).toBe(
        '-r 501ms r-a-#',
        values,
        expect.objectContaining({ attempts: 2, message: 'Service Unavailable (after 2 attempts)' }),
      );
      expectSubscriptions(first.subscriptions).toBe('^-!');
      expectSubscriptions(second.subscriptions).toBe('502ms ^----!');
      expectSubscriptions(third.subscriptions).toBe([]);
    });
  });

  it('completes normally when a retry succeeds', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { r: response, a: text('A') };
      const first = cold<ChatStreamEvent>('-#', values, unavailable());
      const second = cold<ChatStreamEvent>('-r-a|', values);
      expectObservable(perAttempt(first, second).pipe(retryBeforeOutput({ jitter: 0 }))).toBe(
        '502ms r-a|',
        values,
      );
      expectSubscriptions(first.subscriptions).toBe('^!');
      expectSubscriptions(second.subscriptions).toBe('501ms ^---!');
    });
  });

  it('does not retry errors that are not retryable, and leaves their message alone', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const badRequest = new RxChatError('http_error', 'Bad Request', { status: 400 });
      const rxchat = cold<ChatStreamEvent>('-#', undefined, badRequest);
      expectObservable(rxchat.pipe(retryBeforeOutput())).toBe(
        '-#',
        undefined,
        expect.objectContaining({ code: 'http_error', attempts: 1, message: 'Bad Request' }),
      );
      expectSubscriptions(rxchat.subscriptions).toBe('^!');

      const total = new RxChatError('timeout', 'too slow', { phase: 'total' });
      const timedOut = cold<ChatStreamEvent>('--#', undefined, total);
      expectObservable(timedOut.pipe(retryBeforeOutput())).toBe(
        '--#',
        undefined,
        expect.objectContaining({ attempts: 1, message: 'too slow' }),
      );
      expectSubscriptions(timedOut.subscriptions).toBe('^-!');
    });
  });

  it('passes foreign errors through unchanged', () => {
    const plain = new Error('bug');
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('-#', undefined, plain);
      expectObservable(source.pipe(retryBeforeOutput())).toBe('-#', undefined, plain);
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
    expect(plain.message).toBe('bug');
    expect('attempts' in plain).toBe(false);
  });

  it('asks a custom shouldRetry with the error and the number of the failed attempt', () => {
    const plain = new Error('flaky');
    const shouldRetry = jest.fn((_error: unknown, attempt: number) => attempt < 2);
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('#', undefined, plain);
      expectObservable(source.pipe(retryBeforeOutput({ shouldRetry, jitter: 0 }))).toBe(
        '500ms #',
        undefined,
        plain,
      );
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '500ms (^!)']);
    });
    expect(shouldRetry.mock.calls).toEqual([
      [plain, 1],
      [plain, 2],
    ]);
    expect(plain.message).toBe('flaky');
  });

  it('does not consult shouldRetry after output or once retries are used up', () => {
    const shouldRetry = jest.fn(() => true);
    testScheduler().run(({ cold, expectObservable }) => {
      const afterOutput = cold<ChatStreamEvent>('a#', { a: text('A') }, unavailable());
      expectObservable(afterOutput.pipe(retryBeforeOutput({ shouldRetry }))).toBe(
        'a#',
        { a: text('A') },
        expect.objectContaining({ attempts: 1 }),
      );
      const noRetries = cold<ChatStreamEvent>('#', undefined, unavailable());
      expectObservable(noRetries.pipe(retryBeforeOutput({ shouldRetry, maxRetries: 0 }))).toBe(
        '#',
        undefined,
        expect.objectContaining({ attempts: 1, message: 'Service Unavailable' }),
      );
    });
    expect(shouldRetry).not.toHaveBeenCalled();
  });

  it('lets a custom isOutput decide what counts as output', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      // Only text counts: progress events before it do not prevent a retry.
      type Item = { kind: 'progress' } | { kind: 'text'; text: string };
      const values: Record<string, Item> = {
        p: { kind: 'progress' },
        t: { kind: 'text', text: 'x' },
      };
      const first = cold<Item>('p#', values, unavailable());
      const second = cold<Item>('pt#', values, unavailable());
      const onlyText = retryBeforeOutput<Item>({
        jitter: 0,
        isOutput: (item) => item.kind === 'text',
      });
      expectObservable(perAttempt(first, second).pipe(onlyText)).toBe(
        'p 500ms pt#',
        values,
        expect.objectContaining({ attempts: 2 }),
      );
      expectSubscriptions(first.subscriptions).toBe('^!');
      expectSubscriptions(second.subscriptions).toBe('501ms ^-!');

      // Counting the response event as output turns the retry off.
      const source = cold<ChatStreamEvent>('r#', { r: response }, unavailable());
      expectObservable(source.pipe(retryBeforeOutput({ isOutput: () => true }))).toBe(
        'r#',
        { r: response },
        expect.objectContaining({ attempts: 1 }),
      );
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('sends an exception thrown by isOutput or shouldRetry downstream', () => {
    const thrown = new Error('callback failed');
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('-a-a|', { a: text('A') });
      const failing = retryBeforeOutput<ChatStreamEvent>({
        isOutput: () => {
          throw thrown;
        },
      });
      expectObservable(source.pipe(failing)).toBe('-#', undefined, thrown);
      expectSubscriptions(source.subscriptions).toBe('^!');

      const erroring = cold<ChatStreamEvent>('-#', undefined, unavailable());
      const noJudgement = retryBeforeOutput({
        shouldRetry: () => {
          throw thrown;
        },
      });
      expectObservable(erroring.pipe(noJudgement)).toBe('-#', undefined, thrown);
    });
  });

  it('cancels the wait and resubscribes nothing when unsubscribed during a backoff', () => {
    const ts: TestScheduler = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    let pendingLater = -1;
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('-#', undefined, unavailable());
      const retried = source.pipe(retryBeforeOutput({ jitter: 0, scheduler }));
      expectObservable(retried, '^-----!').toBe('-');
      expectSubscriptions(source.subscriptions).toBe('^!');
      ts.schedule(() => (pendingLater = ts.actions.length), 100);
    });
    // One wait was scheduled (for frame 501), and unsubscribing cancelled it.
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.closed).toBe(true);
    expect(pendingLater).toBe(0);
  });

  it('retries chatTimeout phases but the total, with a fresh budget per attempt', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { r: response, a: text('A') };
      const slow = cold<ChatStreamEvent>('20ms r-a|', values);
      const fast = cold<ChatStreamEvent>('5ms r-a|', values);
      const source = perAttempt(slow, fast).pipe(
        chatTimeout({ headers: 10 }),
        retryBeforeOutput({ jitter: 0 }),
      );
      // The first attempt times out at 10, the second starts at 510 and answers at 515.
      expectObservable(source).toBe('515ms r-a|', values);
      expectSubscriptions(slow.subscriptions).toBe('^ 9ms !');
      expectSubscriptions(fast.subscriptions).toBe('510ms ^ 7ms !');

      const stuck = cold<ChatStreamEvent>('-r 100ms a|', values);
      const total = stuck.pipe(chatTimeout({ total: 50 }), retryBeforeOutput());
      expectObservable(total).toBe(
        '-r 48ms #',
        values,
        expect.objectContaining({ code: 'timeout', phase: 'total', attempts: 1 }),
      );
      expectSubscriptions(stuck.subscriptions).toBe('^ 49ms !');
    });
  });
});
