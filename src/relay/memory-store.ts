import { Observable } from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { RxChatError } from '../errors';
import type { RelayEnd, RelayEntry, RelayRunInfo, RelayStore } from './types';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How long a finished run stays readable, in milliseconds, after it ends; then it is forgotten
   * (readers get 404 and its id may be started again). Default 600 000 (10 minutes);
   * `Infinity` keeps runs until the store closes.
   */
  retentionMs?: number;
  /**
   * The most events one run may hold. The event after the last one allowed ends the run as
   * `errored` with an `event_too_large` error (the events before it are kept), and the relay
   * stops the upstream. Default 100 000.
   */
  maxEvents?: number;
}

interface MemoryRun {
  readonly events: ChatStreamEvent[];
  end: RelayEnd | null;
  /** The live readers: each gets every entry appended after its replay. */
  readonly readers: Set<(entry: RelayEntry) => void>;
  expiry: ReturnType<typeof setTimeout> | undefined;
}

/** The error of an unknown (or expired) run, shared by the relay and the stores. */
export function unknownRun(runId: string): RxChatError {
  return new RxChatError('validation_error', `Unknown relay run "${runId}" (or it expired)`);
}

/**
 * A {@link RelayStore} in this process's memory: the default of {@link createRelay}. Runs are
 * not shared between processes (use a shared store for that) and are lost on exit. Finished
 * runs expire `retentionMs` after they end (the timers are unref'd, so they never keep the
 * process alive, and cleared by `close()`); a run that passes `maxEvents` ends as `errored`
 * (`event_too_large`) and its upstream is stopped.
 *
 * @example
 * ```ts
 * import { createRelay, memoryStore } from 'rxchat/relay';
 *
 * const relay = createRelay({ store: memoryStore({ retentionMs: 60_000, maxEvents: 20_000 }) });
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): RelayStore {
  const retentionMs = options.retentionMs ?? 600_000;
  const maxEvents = options.maxEvents ?? 100_000;
  if (!(retentionMs >= 0)) throw new RangeError('retentionMs must be a number >= 0');
  if (!(maxEvents >= 0)) throw new RangeError('maxEvents must be a number >= 0');
  const runs = new Map<string, MemoryRun>();
  let closed = false;

  const end = (runId: string, run: MemoryRun, how: RelayEnd): number => {
    run.end = how;
    const offset = run.events.length;
    for (const reader of [...run.readers]) reader({ offset, end: how });
    run.readers.clear();
    if (!closed && retentionMs !== Infinity) {
      run.expiry = setTimeout(() => runs.delete(runId), retentionMs);
      run.expiry.unref?.();
    }
    return offset;
  };

  return {
    create(runId) {
      if (closed) throw new RxChatError('validation_error', 'The relay store is closed');
      if (runs.has(runId)) return false;
      runs.set(runId, { events: [], end: null, readers: new Set(), expiry: undefined });
      return true;
    },

    async append(runId, event) {
      const run = runs.get(runId);
      if (!run || run.end) return null;
      if (run.events.length >= maxEvents) {
        const error = new RxChatError(
          'event_too_large',
          `Relay run "${runId}" passed maxEvents (${maxEvents}); the events before are kept`,
        );
        end(runId, run, { status: 'errored', error: error.toJSON() });
        return null;
      }
      const offset = run.events.push(event) - 1;
      for (const reader of [...run.readers]) reader({ offset, event });
      return offset;
    },

    async finish(runId, how) {
      const run = runs.get(runId);
      if (!run || run.end) return null;
      return end(runId, run, how);
    },

    whenEnded(runId) {
      const run = runs.get(runId);
      if (!run || run.end) return Promise.resolve();
      // Two relays may share one memory store: a stop through the other reaches this upstream.
      return new Promise<void>((resolve) => {
        const waiter = (entry: RelayEntry) => {
          if (!('end' in entry)) return;
          run.readers.delete(waiter);
          resolve();
        };
        run.readers.add(waiter);
      });
    },

    async info(runId): Promise<RelayRunInfo | undefined> {
      const run = runs.get(runId);
      return run && { events: run.events.length, end: run.end };
    },

    read(runId, after) {
      return new Observable<RelayEntry>((subscriber) => {
        const run = runs.get(runId);
        if (!run) {
          subscriber.error(unknownRun(runId));
          return;
        }
        // The replay reads the log as it grows (an append made by a reader's own callback is
        // replayed too), and only then does the reader join the live ones: nothing twice.
        for (let i = Math.max(Math.floor(after) + 1, 0); i < run.events.length; i++) {
          if (subscriber.closed) return;
          subscriber.next({ offset: i, event: run.events[i]! });
        }
        if (run.end) {
          subscriber.next({ offset: run.events.length, end: run.end });
          subscriber.complete();
          return;
        }
        // A reader may join before the log reaches its offset: it skips what it saw already.
        const reader = (entry: RelayEntry) => {
          if ('end' in entry) {
            subscriber.next(entry);
            subscriber.complete();
          } else if (entry.offset > after) subscriber.next(entry);
        };
        run.readers.add(reader);
        return () => run.readers.delete(reader);
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const run of runs.values()) {
        clearTimeout(run.expiry);
        for (const reader of [...run.readers]) {
          reader({ offset: run.events.length, end: { status: 'truncated' } });
        }
        run.readers.clear();
      }
      runs.clear();
    },
  };
}
