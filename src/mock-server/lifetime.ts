import type { ServerResponse } from 'node:http';

/**
 * The timers and waits of one response. When the client goes away, the response ends or the
 * server closes, {@link ResponseLifetime.end} clears every timer at once and settles every
 * pending wait with `false`, so no timer outlives its response and no loop keeps writing.
 *
 * @example
 * ```ts
 * const lifetime = new ResponseLifetime();
 * res.once('close', () => lifetime.end());
 * if (!(await lifetime.sleep(300))) return; // the client left during the wait
 * res.write('data: ...\n\n');
 * ```
 */
export class ResponseLifetime {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiting = new Set<(alive: boolean) => void>();
  private ended = false;

  /** Whether the response is still wanted. */
  get alive(): boolean {
    return !this.ended;
  }

  /**
   * Resolves with `true` after `ms` milliseconds, or with `false` as soon as the lifetime ends.
   *
   * @example
   * ```ts
   * if (await lifetime.sleep(100)) res.write(': still here\n\n');
   * ```
   */
  sleep(ms: number): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.waiting.delete(resolve);
        resolve(true);
      }, ms);
      this.timers.add(timer);
      this.waiting.add(resolve);
    });
  }

  /**
   * Calls `tick` every `ms` milliseconds until the lifetime ends.
   *
   * @example
   * ```ts
   * lifetime.every(100, () => res.write(': keep-alive\n\n'));
   * ```
   */
  every(ms: number, tick: () => void): void {
    if (this.ended) return;
    const timer = setInterval(tick, ms);
    this.timers.add(timer);
  }

  /**
   * Resolves with `true` once `res` can take more data (after `write` returned `false`), or with
   * `false` if the lifetime ends first. Large events (an oversized-event fault) need it.
   *
   * @example
   * ```ts
   * if (!res.write(hugeEvent) && !(await lifetime.drained(res))) return;
   * ```
   */
  drained(res: ServerResponse): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (alive: boolean) => {
        res.off('drain', onDrain);
        this.waiting.delete(done);
        resolve(alive);
      };
      const onDrain = () => done(true);
      res.on('drain', onDrain);
      this.waiting.add(done);
    });
  }

  /**
   * Ends the lifetime: clears every timer and settles every wait with `false`. Idempotent.
   *
   * @example
   * ```ts
   * res.once('close', () => lifetime.end());
   * ```
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const settle of waiting) settle(false);
  }
}
