import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/** A scheduler that delegates to `inner` and records every action it is asked to schedule. */
export function tracking(inner: SchedulerLike): {
  scheduler: SchedulerLike;
  scheduled: Subscription[];
} {
  const scheduled: Subscription[] = [];
  const scheduler: SchedulerLike = {
    now: () => inner.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T) {
      const action = inner.schedule(work, delay, state);
      scheduled.push(action);
      return action;
    },
  };
  return { scheduler, scheduled };
}
