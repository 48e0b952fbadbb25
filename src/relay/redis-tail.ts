// One live tail per run per process for the Redis store: a single `XREAD BLOCK` loop on a
// connection of its own, fanned out to every reader of the run in this process. With a tail per
// reader, 1,000 readers of one run held 1,000 Redis connections and every event woke them all.
import type { RelayEntry } from './types';

/** A Redis stream entry as XRANGE and XREAD answer it. */
export type StreamEntry = [id: string, fields: string[]];

/** A reader of a {@link RedisRunTail}. */
export interface TailListener {
  /** New entries of the run, in order (the end last, when it comes). */
  entries(batch: RelayEntry[]): void;
  /** The tail failed (the run expired, the store closed, Redis failed): it is over. */
  fail(error: unknown): void;
}

/** What a tail needs of its store. */
export interface TailContext {
  /** A connection of the tail's own (XREAD BLOCK holds it). */
  open(): Promise<TailConnection>;
  /** Closes a connection from {@link TailContext.open}. */
  release(connection: TailConnection): void;
  /** The run's stream key. */
  log: string;
  /** How long one XREAD waits, in milliseconds, before the tail checks the producer's lease. */
  blockMs: number;
  /** How many entries one XREAD answers at most. */
  batch: number;
  /** Ends the run as truncated if its producer's lease is gone; -2 when the run is unknown. */
  reap(): Promise<number>;
  parse(raw: StreamEntry): RelayEntry;
  /** The error for a store that closed (checked after each wait). */
  closedError(): Error | undefined;
  unknownRun(): Error;
  /** The tail is over (its last reader left, the run ended, or it failed). */
  onStop(): void;
}

/** The one command a tail sends. */
export interface TailConnection {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/**
 * Follows a run's stream from `cursor` (an entry id, exclusive) and hands every batch to its
 * listeners. It stops when its last listener leaves, at the run's end, or on a failure (which
 * every listener gets). While waiting it reaps the run of a dead producer (once per process,
 * not once per reader).
 */
export class RedisRunTail {
  private readonly listeners = new Set<TailListener>();
  private connection: TailConnection | undefined;
  private stopped = false;

  constructor(
    private cursor: string,
    private readonly context: TailContext,
  ) {
    void this.follow();
  }

  /** Whether it still follows the run (a stopped tail takes no listener). */
  get active(): boolean {
    return !this.stopped;
  }

  add(listener: TailListener): void {
    this.listeners.add(listener);
  }

  remove(listener: TailListener): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0) this.stop();
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.context.onStop();
    if (this.connection) this.context.release(this.connection);
    this.connection = undefined;
  }

  private async follow(): Promise<void> {
    const { context } = this;
    try {
      this.connection = await context.open();
      if (this.stopped) return context.release(this.connection);
      for (;;) {
        const reply = (await this.connection.call(
          'XREAD',
          'COUNT',
          context.batch,
          'BLOCK',
          context.blockMs,
          'STREAMS',
          context.log,
          this.cursor,
        )) as [string, StreamEntry[]][] | null;
        if (this.stopped) return;
        const closed = context.closedError();
        if (closed) throw closed;
        const raw = reply?.[0]?.[1] ?? [];
        if (raw.length > 0) {
          this.cursor = raw.at(-1)![0];
          const batch = raw.map((entry) => context.parse(entry));
          for (const listener of [...this.listeners]) listener.entries(batch);
          if ('end' in batch.at(-1)!) return this.stop();
          continue;
        }
        // Nothing for a while: is the producer still alive? (If not, this writes the end.)
        if ((await context.reap()) === -2) throw context.unknownRun();
      }
    } catch (error) {
      if (this.stopped) return;
      const listeners = [...this.listeners];
      this.stop();
      for (const listener of listeners) listener.fail(error);
    }
  }
}
