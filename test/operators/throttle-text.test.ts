import fc from 'fast-check';
import {
  Observable,
  Subject,
  Subscription,
  of,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { throttleText, type ThrottleTextConfig } from '../../src/operators/throttle-text';
import { testScheduler } from '../helpers/marbles';

/**
 * A scheduler that delegates to `inner` and counts the actions it is asked to schedule and how
 * often their work runs (a rescheduled action runs the same wrapped work again).
 */
function tracking(inner: SchedulerLike): {
  scheduler: SchedulerLike;
  stats: { scheduled: number; runs: number };
} {
  const stats = { scheduled: 0, runs: 0 };
  const scheduler: SchedulerLike = {
    now: () => inner.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T) {
      stats.scheduled++;
      return inner.schedule(
        function (this: SchedulerAction<T>, s?: T) {
          stats.runs++;
          work.call(this, s);
        },
        delay,
        state,
      );
    },
  };
  return { scheduler, stats };
}

/** Records, at `frame`, how many actions are still pending on the test scheduler. */
function pendingAt(ts: TestScheduler, frame: number): { count: number } {
  const probe = { count: -1 };
  ts.schedule(() => (probe.count = ts.actions.length), frame);
  return probe;
}

const text = { a: 'A', b: 'B', c: 'C', d: 'D', e: '', f: 'F' };

describe('throttleText', () => {
  describe('delta mode', () => {
    it('emits the first text at once and the rest coalesced at the end of the window', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('    -a-b-c------|', text);
        const expected = '      -a----x-----|';
        const subs = '          ^-----------!';
        expectObservable(source.pipe(throttleText({ interval: 5 }))).toBe(expected, {
          a: 'A',
          x: 'BC',
        });
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('keeps windows going back to back while text keeps coming, one emission per window', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        // A at 1 opens the window [1, 5); B C are held for 5, D E for 9, F for 13; the window
        // from 13 ends at 17 with nothing held and closes.
        const values = { a: 'A', b: 'B', c: 'C', d: 'D', e: 'E', f: 'F' };
        const source = cold('  -ab-c-d-e-f--------|', values);
        const expected = '    -a---x---y---z-----|';
        expectObservable(source.pipe(throttleText({ interval: 4 }))).toBe(expected, {
          a: 'A',
          x: 'BC',
          y: 'DE',
          z: 'F',
        });
      });
    });

    it('coalesces a synchronous burst behind its first piece', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('  -(abcd)------|', text);
        const expected = '    -a----x------|';
        expectObservable(source.pipe(throttleText({ interval: 5 }))).toBe(expected, {
          a: 'A',
          x: 'BCD',
        });
      });
    });

    it('uses 50 ms windows on asyncScheduler by default', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-b 100ms |', text);
        expectObservable(source.pipe(throttleText())).toBe('-a 49ms b 52ms |', text);
      });
    });
  });

  describe('snapshot mode', () => {
    it('emits all the text so far, leading and trailing', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('  -a-b-c------d 10ms f---|', text);
        const expected = '    -a----x-----d 10ms f---|';
        expectObservable(source.pipe(throttleText({ interval: 5, mode: 'snapshot' }))).toBe(
          expected,
          { a: 'A', x: 'ABC', d: 'ABCD', f: 'ABCDF' },
        );
      });
    });

    it('keeps separate subscriptions apart', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-b|', text);
        const throttled = source.pipe(throttleText({ interval: 5, mode: 'snapshot' }));
        expectObservable(throttled).toBe('-a--(x|)', { a: 'A', x: 'AB' });
        expectObservable(throttled).toBe('-a--(x|)', { a: 'A', x: 'AB' });
      });
    });
  });

  describe('quiet periods', () => {
    it('passes sparse text straight through, with one action per window and none while quiet', () => {
      const ts = testScheduler();
      const { scheduler, stats } = tracking(ts);
      let quiet = { count: -1 };
      ts.run(({ cold, expectObservable }) => {
        const source = cold('  -a 20ms b 20ms c 20ms |', text);
        const expected = '    -a 20ms b 20ms c 20ms |';
        expectObservable(source.pipe(throttleText({ interval: 5, scheduler }))).toBe(
          expected,
          text,
        );
        // At 15 the first window (1 to 6) is over: only the source's own three messages remain.
        quiet = pendingAt(ts, 15);
      });
      expect(quiet.count).toBe(3);
      // Each text opened one window, which ran once, found nothing held, and closed.
      expect(stats).toEqual({ scheduled: 3, runs: 3 });
    });

    it('opens a fresh window after going quiet, emitting leading again', () => {
      const ts = testScheduler();
      const { scheduler, stats } = tracking(ts);
      ts.run(({ cold, expectObservable }) => {
        const source = cold('  -ab 10ms cd 10ms |', text);
        const expected = '    -a---b 7ms c---d 7ms |';
        expectObservable(source.pipe(throttleText({ interval: 4, scheduler }))).toBe(
          expected,
          text,
        );
      });
      // Two windows of two runs each: one that emits, one that finds nothing and closes.
      expect(stats).toEqual({ scheduled: 2, runs: 4 });
    });

    it('ignores empty strings: they neither emit nor open a window', () => {
      const ts = testScheduler();
      const { scheduler, stats } = tracking(ts);
      ts.run(({ cold, expectObservable }) => {
        const source = cold('  -e-a-e-e--------e-|', text);
        const expected = '    ---a--------------|';
        expectObservable(source.pipe(throttleText({ interval: 4, scheduler }))).toBe(
          expected,
          text,
        );
      });
      expect(stats).toEqual({ scheduled: 1, runs: 1 });
    });
  });

  describe('completion', () => {
    it('emits held text at once, then completes, without waiting for the window', () => {
      const ts = testScheduler();
      let after = { count: -1 };
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('  -a-b|', text);
        const expected = '    -a--(x|)';
        expectObservable(source.pipe(throttleText({ interval: 10 }))).toBe(expected, {
          a: 'A',
          x: 'B',
        });
        expectSubscriptions(source.subscriptions).toBe('^---!');
        // The window would have ended at 11; it was cancelled on completion.
        after = pendingAt(ts, 5);
      });
      expect(after.count).toBe(0);
    });

    it('completes the last snapshot with the full text', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-b-c|', text);
        expectObservable(source.pipe(throttleText({ interval: 10, mode: 'snapshot' }))).toBe(
          '-a----(x|)',
          { a: 'A', x: 'ABC' },
        );
      });
    });

    it('flushes a synchronous source synchronously on the default scheduler', () => {
      const out: string[] = [];
      let completed = false;
      of('a', 'b', '', 'c')
        .pipe(throttleText())
        .subscribe({ next: (t) => out.push(t), complete: () => (completed = true) });
      expect(out).toEqual(['a', 'bc']);
      expect(completed).toBe(true);
    });

    it('completes without emitting when nothing is held', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-a 10ms |', text).pipe(throttleText({ interval: 5 }))).toBe(
          '-a 10ms |',
          text,
        );
        expectObservable(cold('--e-|', text).pipe(throttleText({ interval: 5 }))).toBe('----|');
      });
    });
  });

  describe('errors', () => {
    it('fail at once by default, dropping held text and cancelling the window', () => {
      const ts = testScheduler();
      let after = { count: -1 };
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('  -a-b#', text, 'boom');
        const expected = '    -a--#';
        expectObservable(source.pipe(throttleText({ interval: 10 }))).toBe(expected, text, 'boom');
        expectSubscriptions(source.subscriptions).toBe('^---!');
        after = pendingAt(ts, 5);
      });
      expect(after.count).toBe(0);
    });

    it('emit held text first with flushOnError', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-b-c#', text, 'boom');
        const delta = source.pipe(throttleText({ interval: 10, flushOnError: true }));
        expectObservable(delta).toBe('-a----(x#)', { a: 'A', x: 'BC' }, 'boom');
        const snapshot = source.pipe(
          throttleText({ interval: 10, flushOnError: true, mode: 'snapshot' }),
        );
        expectObservable(snapshot).toBe('-a----(x#)', { a: 'A', x: 'ABC' }, 'boom');
      });
    });

    it('with flushOnError and nothing held, just fail', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a 10ms #', text, 'boom');
        expectObservable(source.pipe(throttleText({ interval: 5, flushOnError: true }))).toBe(
          '-a 10ms #',
          text,
          'boom',
        );
      });
    });
  });

  describe('unsubscription', () => {
    it('unsubscribes from the source and cancels the window', () => {
      const ts = testScheduler();
      const { scheduler, stats } = tracking(ts);
      let after = { count: -1 };
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('  -a-b-c 20ms |', text);
        const unsub = '       ^---!';
        const expected = '    -a---';
        expectObservable(source.pipe(throttleText({ interval: 5, scheduler })), unsub).toBe(
          expected,
          text,
        );
        expectSubscriptions(source.subscriptions).toBe(unsub);
        after = pendingAt(ts, 10);
      });
      expect(after.count).toBe(0);
      // The window opened at 1 would have ended at 6; it never ran.
      expect(stats).toEqual({ scheduled: 1, runs: 0 });
    });

    it('cancels a window that was reopened by a trailing emission', () => {
      const ts = testScheduler();
      const { scheduler, stats } = tracking(ts);
      let after = { count: -1 };
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('  -a-b-c 20ms |', text);
        const unsub = '       ^-------!';
        expectObservable(source.pipe(throttleText({ interval: 5, scheduler })), unsub).toBe(
          '-a----x',
          { a: 'A', x: 'BC' },
        );
        expectSubscriptions(source.subscriptions).toBe(unsub);
        after = pendingAt(ts, 20);
      });
      expect(after.count).toBe(0);
      expect(stats).toEqual({ scheduled: 1, runs: 1 });
    });
  });

  describe('frames', () => {
    it('lasts that many animation frames on animationFrameScheduler by default', () => {
      testScheduler().run(({ animate, cold, expectObservable }) => {
        // Animation frames at 1, 3, 5, ...: a window of 2 frames opened at 0 ends at 3.
        animate('        -x-x-x-x-x-x-x-x');
        const source = cold('a-b-c-d-----|', text);
        const expected = '  a--x---y----|';
        expectObservable(source.pipe(throttleText({ frames: 2 }))).toBe(expected, {
          a: 'A',
          x: 'B',
          y: 'CD',
        });
      });
    });

    it('renders at most once per frame with frames: 1, and waits for the next frame', () => {
      testScheduler().run(({ animate, cold, expectObservable }) => {
        // Animation frames at 4, 8, 12, 16.
        animate('           ----x---x---x---x');
        const source = cold('-abc-d-------f--|', text);
        const expected = '   -a--x---y----f--|';
        expectObservable(source.pipe(throttleText({ frames: 1, mode: 'snapshot' }))).toBe(
          expected,
          { a: 'A', x: 'ABC', y: 'ABCD', f: 'ABCDF' },
        );
      });
    });

    it('waits for frames, not time, and flushes on completion', () => {
      testScheduler().run(({ animate, cold, expectObservable }) => {
        // No frame comes at all (a hidden tab): completion still delivers everything.
        animate('-');
        const source = cold('-a-b 100ms c|', text);
        expectObservable(source.pipe(throttleText({ frames: 3 }))).toBe('-a 103ms (x|)', {
          a: 'A',
          x: 'BC',
        });
      });
    });
  });

  it('holds text pushed back into the source while an emission is being handled', () => {
    const source = new Subject<string>();
    const out: string[] = [];
    const ts = testScheduler();
    ts.run(() => {
      source.pipe(throttleText({ interval: 5 })).subscribe((t) => {
        out.push(t);
        if (t === 'A') source.next('B');
      });
      source.next('A');
      expect(out).toEqual(['A']);
      source.complete();
      expect(out).toEqual(['A', 'B']);
    });
  });

  it('throws a RangeError for a bad configuration', () => {
    const bad: ThrottleTextConfig[] = [
      { interval: 10, frames: 1 },
      { interval: -1 },
      { interval: NaN },
      { interval: Infinity },
      { interval: '10' as unknown as number },
      { frames: 0 },
      { frames: -1 },
      { frames: 1.5 },
      { frames: NaN },
      { frames: Infinity },
      { mode: 'lines' as 'delta' },
    ];
    for (const config of bad) expect(() => throttleText(config)).toThrow(RangeError);
    expect(() => throttleText({ interval: 1, frames: 1 })).toThrow('not both');
    expect(() => throttleText({ interval: -5 })).toThrow('throttleText: interval must be');
    for (const config of [{}, { interval: 0 }, { frames: 1 }, { interval: undefined, frames: 2 }]) {
      expect(() => throttleText(config)).not.toThrow();
    }
  });

  describe('surrogate pairs split across pieces', () => {
    // Half an emoji on its own renders as U+FFFD: an emission never ends in a high surrogate
    // whose low half may still come. The half waits for the next text, or for the end.
    const smile = '\u{1F600}';
    const [high, low] = [smile[0]!, smile[1]!];

    it('holds the high half out of the leading emission and out of a window end', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const values = { a: `x${high}`, b: `${low}y${high}`, c: low };
        // The window from 1 ends at 6 with the pair whole; the next, from 6, ends at 11.
        const source = cold('  -a-b-----c---|', values);
        const expected = '    -a----x----y-|';
        expectObservable(source.pipe(throttleText({ interval: 5 }))).toBe(expected, {
          a: 'x',
          x: `${smile}y`,
          y: smile,
        });
      });
    });

    it('lets a window whose only text is the half close, and emits the pair leading', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const values = { a: 'A', b: high, c: low };
        const source = cold('  -a-b---------c|', values);
        const expected = '    -a-----------c|';
        expectObservable(source.pipe(throttleText({ interval: 5 }))).toBe(expected, {
          a: 'A',
          c: smile,
        });
      });
    });

    it('never puts half a pair in a snapshot', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('  -a-----b-|', { a: `x${high}`, b: `${low}` });
        const expected = '    -a-----b-|';
        expectObservable(source.pipe(throttleText({ interval: 5, mode: 'snapshot' }))).toBe(
          expected,
          { a: 'x', b: `x${smile}` },
        );
      });
    });

    it('emits a half that never got its pair as it is at completion, and with flushOnError', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('  -a|', { a: `x${high}` });
        expectObservable(source.pipe(throttleText({ interval: 5 }))).toBe('-a(h|)', {
          a: 'x',
          h: high,
        });
        const failing = cold(' -a#', { a: `x${high}` }, 'cut');
        expectObservable(failing.pipe(throttleText({ interval: 5, flushOnError: true }))).toBe(
          '-a(h#)',
          { a: 'x', h: high },
          'cut',
        );
      });
    });

    it('property: whatever the cuts, no emission starts or ends inside a pair', () => {
      const alphabet = fc.constantFrom('a', ' ', smile, '\u{1F44B}\u{1F3FD}', 'é', '\u{20BB7}');
      const keys = 'abcdefghij';
      fc.assert(
        fc.property(
          fc.array(alphabet, { maxLength: 12 }),
          fc.uniqueArray(fc.integer({ min: 1, max: 29 }), { maxLength: 9 }),
          fc.integer({ min: 0, max: 4 }),
          (units, cuts, interval) => {
            const full = units.join('');
            const points = cuts.filter((c) => c < full.length).sort((x, y) => x - y);
            const starts = [0, ...points];
            const values: Record<string, string> = {};
            starts.forEach((start, i) => (values[keys[i]!] = full.slice(start, points[i])));
            const emissions: string[] = [];
            testScheduler().run(({ cold, flush }) => {
              const source = cold(`${starts.map((_, i) => `-${keys[i]}`).join('')}|`, values);
              source.pipe(throttleText({ interval })).subscribe((text) => emissions.push(text));
              flush();
            });
            expect(emissions.join('')).toBe(full);
            for (const text of emissions) {
              expect(/[\ud800-\udbff]$/.test(text)).toBe(false);
              expect(/^[\udc00-\udfff]/.test(text)).toBe(false);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('property: coalesce, never drop, on virtual time', () => {
    type Piece = { gap: number; text: string };
    const pieces = fc.array(
      fc.record({ gap: fc.integer({ min: 0, max: 12 }), text: fc.string({ maxLength: 4 }) }),
      { maxLength: 40 },
    );

    /** Runs `pieces` (each `gap` frames after the previous) through the operator. */
    function run(input: Piece[], tail: number, config: ThrottleTextConfig) {
      const ts = testScheduler();
      const emissions: { frame: number; text: string; flush: boolean }[] = [];
      let completedAt = -1;
      let completing = false;
      ts.run(() => {
        const source = new Observable<string>((subscriber) => {
          const actions = new Subscription();
          let frame = 0;
          for (const { gap, text } of input) {
            frame += gap;
            actions.add(ts.schedule(() => subscriber.next(text), frame));
          }
          actions.add(
            ts.schedule(() => {
              completing = true;
              subscriber.complete();
            }, frame + tail),
          );
          return actions;
        });
        source.pipe(throttleText(config)).subscribe({
          next: (text) => emissions.push({ frame: ts.now(), text, flush: completing }),
          complete: () => (completedAt = ts.now()),
        });
      });
      return { emissions, completedAt };
    }

    it('holds for random input and interval', () => {
      fc.assert(
        fc.property(
          pieces,
          fc.integer({ min: 0, max: 20 }),
          fc.integer({ min: 1, max: 20 }),
          (input, tail, interval) => {
            const full = input.map((p) => p.text).join('');
            const delta = run(input, tail, { interval });
            const snapshot = run(input, tail, { interval, mode: 'snapshot' });

            // (a) Delta output concatenates to the input.
            expect(delta.emissions.map((e) => e.text).join('')).toBe(full);
            // (b) Emissions are at least a window apart, but for the flush on completion.
            for (let i = 1; i < delta.emissions.length; i++) {
              const { frame, flush } = delta.emissions[i]!;
              if (!flush)
                expect(frame - delta.emissions[i - 1]!.frame).toBeGreaterThanOrEqual(interval);
            }
            // (c) The last snapshot is the full text, no later than completion; every snapshot is
            // the concatenation of the deltas so far, at the same frames.
            const last = snapshot.emissions.at(-1);
            if (full === '') expect(last).toBeUndefined();
            else {
              expect(last!.text).toBe(full);
              expect(last!.frame).toBeLessThanOrEqual(snapshot.completedAt);
            }
            let sofar = '';
            expect(snapshot.emissions).toEqual(
              delta.emissions.map((e) => ({ ...e, text: (sofar += e.text) })),
            );
            // (d) No emission is empty.
            for (const e of [...delta.emissions, ...snapshot.emissions])
              expect(e.text).not.toBe('');
            // (e) No text waits longer than one window: each character is out within `interval`
            // frames of its arrival.
            const arrivals: number[] = [];
            let frame = 0;
            for (const { gap, text } of input) {
              frame += gap;
              for (let k = 0; k < text.length; k++) arrivals.push(frame);
            }
            let index = 0;
            for (const e of delta.emissions) {
              for (let k = 0; k < e.text.length; k++, index++) {
                expect(e.frame - arrivals[index]!).toBeLessThanOrEqual(interval);
              }
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
