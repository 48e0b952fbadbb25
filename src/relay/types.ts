import type { Observable } from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import type { RxChatErrorCode, RxChatErrorJson } from '../errors';

/**
 * How a run ended: the data of the SSE `event: end` frame, and of the last {@link RelayEntry}.
 *
 * - `completed`: the upstream completed.
 * - `errored`: the upstream failed (`error` is the `RxChatError`'s `toJSON()`, or
 *   `{ code: 'unknown', message }` for any other error), or the store ended the run (the memory
 *   store's `maxEvents`: `event_too_large`).
 * - `stopped`: {@link Relay.stop} (or `POST …/stop`) ended it; what arrived before is kept.
 * - `truncated`: the relay closed ({@link Relay.close}) before the upstream ended.
 */
export type RelayEnd =
  | {
      /** The upstream completed. */
      status: 'completed';
    }
  | {
      /** The upstream failed, or the store ended the run. */
      status: 'errored';
      /** What went wrong, as plain data. */
      error: RelayErrorJson;
    }
  | {
      /** Stopped on request. */
      status: 'stopped';
    }
  | {
      /** The relay closed while the upstream was still running. */
      status: 'truncated';
    };

/**
 * An error as a finished run keeps it: an `RxChatError`'s `toJSON()`, or, for any other
 * error, `{ code: 'unknown', message }`.
 */
export type RelayErrorJson =
  | RxChatErrorJson
  | {
      /** `'unknown'`: the upstream failed with something other than an `RxChatError`. */
      code: 'unknown' | RxChatErrorCode;
      /** The error's message (`String(error)` when it had none). */
      message: string;
    };

/**
 * One entry of a run's log: an event with its offset (0, 1, 2, … in order), or, last, the run's
 * end (which takes the next offset).
 */
export type RelayEntry =
  | {
      /** The entry's place in the log: integers from 0, one per entry, in order. */
      offset: number;
      /** The upstream's event, as it was emitted (a `response` event with only the kept headers). */
      event: ChatStreamEvent;
    }
  | {
      /** The end's place in the log: one after the last event. */
      offset: number;
      /** How the run ended. */
      end: RelayEnd;
    };

/** What a store knows of a run, from {@link RelayStore.info}. */
export interface RelayRunInfo {
  /** How many events the log holds (the end not counted). */
  events: number;
  /** How the run ended; `null` while it runs. */
  end: RelayEnd | null;
}

/**
 * Where a relay keeps its runs' logs. {@link memoryStore} is the one-process default; a store
 * shared by several processes (Redis Streams) implements the same methods: every method is
 * asynchronous (but for {@link RelayStore.create}, which may answer at once), the store assigns
 * the offsets, and a run's log is read as an Observable tail.
 *
 * Rules every store keeps: offsets are integers from 0 in append order; nothing is appended
 * after the end; a run that expired is unknown again (its id may be started anew).
 */
export interface RelayStore {
  /**
   * Claims a new run id: `true` if it was free (never used, or expired), `false` if a run with
   * this id exists (running or finished). A store that can answer synchronously returns a
   * boolean, so that {@link Relay.start} throws at once.
   */
  create(runId: string): boolean | Promise<boolean>;
  /**
   * Appends an event to a running run's log and resolves with its offset; resolves `null` when
   * the run is unknown or finished (stopped from elsewhere, or ended by the store), which tells
   * the relay to stop its upstream.
   */
  append(runId: string, event: ChatStreamEvent): Promise<number | null>;
  /**
   * Optional: appends several events at once, in order (one round trip for a store across the
   * network); resolves with the first one's offset, or `null` as {@link RelayStore.append} does
   * (when the store's limit cut the batch, the events that fit are kept). The relay batches the
   * events an upstream sends while the previous write is in flight.
   */
  appendMany?(runId: string, events: readonly ChatStreamEvent[]): Promise<number | null>;
  /**
   * Ends a running run: resolves with the end's offset, or `null` when the run is unknown or had
   * ended already (the first end wins).
   */
  finish(runId: string, end: RelayEnd): Promise<number | null>;
  /**
   * Optional: resolves once a run this process claimed is no longer running in the store,
   * whoever ended it (at once for a run it does not produce). A store shared by processes
   * implements it so that a `stop` from another process reaches an upstream that is waiting (for
   * its first token, say), not only at its next event.
   */
  whenEnded?(runId: string): Promise<void>;
  /** What the store knows of a run; `undefined` when it is unknown (or expired). */
  info(runId: string): Promise<RelayRunInfo | undefined>;
  /**
   * A cold tail of a run's log: the entries with offset > `after`, then the live ones, then the
   * end entry, then completion. Once the run has ended, the end entry is always emitted, whatever
   * `after` is. Fails with a `validation_error` when the run is unknown. Unsubscribing only
   * detaches.
   */
  read(runId: string, after: number): Observable<RelayEntry>;
  /** Releases the store's timers and connections; its runs are gone. Idempotent. */
  close(): Promise<void>;
}
