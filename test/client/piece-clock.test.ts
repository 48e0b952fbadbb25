import { Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { PieceClock } from '../../src/client/piece-clock';

/** A scheduler stand-in whose clock the test moves by hand, counting reads. */
function manualClock() {
  const state = { now: 0, reads: 0 };
  const scheduler = {
    now: () => {
      state.reads++;
      return state.now;
    },
    schedule: () => {
      throw new Error('not used');
    },
  } as unknown as TestScheduler;
  return { state, scheduler };
}

describe('PieceClock', () => {
  it('stamps every mark made while a piece is delivered with the end of that piece, reading the clock once', () => {
    const { state, scheduler } = manualClock();
    const pieceClock = new PieceClock(scheduler);
    const clock = pieceClock.clock();
    const body = new Subject<string>();
    pieceClock.stamp(body).subscribe(() => {
      // Three events in one piece, with time passing while they are handled.
      for (let i = 0; i < 3; i++) {
        clock.mark();
        state.now += 5;
      }
    });
    state.now = 100;
    state.reads = 0;
    body.next('piece');
    expect(clock.lastMark()).toBe(115); // the end of the piece, never earlier than an event
    expect(state.reads).toBe(1);
  });

  it('reads the clock for marks outside a piece, and leaves the stamp alone after a piece without marks', () => {
    const { state, scheduler } = manualClock();
    const pieceClock = new PieceClock(scheduler);
    const clock = pieceClock.clock();
    const body = new Subject<string>();
    pieceClock.stamp(body).subscribe(() => undefined);
    state.now = 7;
    clock.mark();
    expect(clock.lastMark()).toBe(7);
    state.now = 20;
    body.next('a comment only: no event, no mark');
    expect(clock.lastMark()).toBe(7);
  });

  it('treats a piece delivered re-entrantly as part of the piece in progress', () => {
    const { state, scheduler } = manualClock();
    const pieceClock = new PieceClock(scheduler);
    const clock = pieceClock.clock();
    const body = new Subject<string>();
    pieceClock.stamp(body).subscribe((piece) => {
      clock.mark();
      if (piece === 'outer') {
        body.next('inner');
        state.now = 50; // after the inner piece: the outer one is still going
        clock.mark();
      }
    });
    body.next('outer');
    expect(clock.lastMark()).toBe(50);
  });

  it('passes errors through', () => {
    const { scheduler } = manualClock();
    const pieceClock = new PieceClock(scheduler);
    const seen: string[] = [];
    const failing = new Observable<string>((subscriber) => subscriber.error(new Error('cut')));
    pieceClock.stamp(failing).subscribe({ error: (error: Error) => seen.push(error.message) });
    expect(seen).toEqual(['cut']);
  });
});
