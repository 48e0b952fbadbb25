// One run started by this process: its upstream subscription, the queue of writes to the store
// (appends keep their order even though the store is asynchronous), and how it ended.
import type { Observable, Subscription } from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { isErrorLike, RxChatError } from '../errors';
import type { RelayEnd, RelayErrorJson, RelayStore } from './types';

/** An error as a run's end keeps it: `toJSON()` of an RxChatError, else `{ code, message }`. */
export function relayErrorJson(error: unknown): RelayErrorJson {
  if (RxChatError.isInstance(error)) return error.toJSON();
  return { code: 'unknown', message: isErrorLike(error) ? error.message : String(error) };
}

/** The most events one store write carries. */
const MAX_BATCH = 64;

export class LocalRun {
  /** Resolves with how the run ended, as the store recorded it. */
  readonly done: Promise<RelayEnd>;
  private resolveDone!: (end: RelayEnd) => void;
  private rejectDone!: (error: unknown) => void;
  private subscription: Subscription | undefined;
  /** Every write to the store, in order. */
  private chain: Promise<void> = Promise.resolve();
  /** Events received and not yet handed to the store (a write is queued for them). */
  private unwritten: ChatStreamEvent[] = [];
  /** Set once an end has been decided: nothing more is read from the upstream. */
  private ending = false;

  constructor(
    readonly runId: string,
    private readonly store: RelayStore,
    private readonly onSettled: () => void,
  ) {
    this.done = new Promise<RelayEnd>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // `done` only rejects when the store fails; a caller that ignores it must not get an
    // unhandled rejection for that (one who awaits it still sees the failure).
    this.done.catch(() => undefined);
    void this.done.then(onSettled, onSettled);
  }

  /** Subscribes the upstream: each event is appended in order, its end ends the run. */
  begin(source$: Observable<ChatStreamEvent>): void {
    if (this.ending) return;
    const subscription = source$.subscribe({
      next: (event) => {
        // Events that come while a write is in flight go to the store together, in one call
        // when it can (`appendMany`): one round trip for a burst, not one per event.
        this.unwritten.push(event);
        if (this.unwritten.length === 1) this.enqueue(() => this.write());
      },
      error: (error: unknown) => this.end({ status: 'errored', error: relayErrorJson(error) }),
      complete: () => this.end({ status: 'completed' }),
    });
    // The upstream may have ended (or been stopped) while subscribing.
    if (this.ending) subscription.unsubscribe();
    else this.subscription = subscription;
  }

  /**
   * Writes the events received and not written yet, in order, until none is left (those that
   * come during a write go in the next batch of the same loop, so the run's end, queued after
   * this task, always comes after every event received before it).
   */
  private async write(): Promise<void> {
    const { store, runId } = this;
    while (this.unwritten.length > 0) {
      // At most MAX_BATCH at a time: a burst of large events must not become one huge command.
      const events = this.unwritten.splice(0, MAX_BATCH);
      let offset: number | null = null;
      if (store.appendMany) offset = await store.appendMany(runId, events);
      else {
        for (const event of events) {
          offset = await store.append(runId, event);
          if (offset === null) break;
        }
      }
      // The store refused it: the run was ended elsewhere (a stop from another process, or the
      // store's own limit). Stop the upstream; the end stays the store's.
      if (offset === null) {
        this.unwritten = [];
        this.end({ status: 'stopped' });
        return;
      }
    }
  }

  /** Fails the run before it began (its id could not be claimed). */
  reject(error: unknown): void {
    this.ending = true;
    this.rejectDone(error);
  }

  /** Whether the run is still reading its upstream. */
  get running(): boolean {
    return !this.ending;
  }

  /**
   * Ends the run (once): stops the upstream, writes the end after every event already received,
   * and resolves `done` with the end the store kept (the first end wins). Resolves `true` if
   * this call ended it.
   */
  end(how: RelayEnd): Promise<boolean> {
    if (this.ending)
      return this.done.then(
        () => false,
        () => false,
      );
    this.ending = true;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    let ours = false;
    this.chain = this.chain.then(async () => {
      try {
        const offset = await this.store.finish(this.runId, how);
        ours = offset !== null;
        const kept = ours ? how : ((await this.store.info(this.runId))?.end ?? how);
        this.resolveDone(kept);
      } catch (error) {
        this.rejectDone(error);
      }
    });
    return this.chain.then(() => ours);
  }

  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((error: unknown) => {
      // The store failed to append: the run cannot go on.
      this.end({
        status: 'errored',
        error: {
          code: 'unknown',
          message: `The relay store failed: ${relayErrorJson(error).message}`,
        },
      });
    });
  }
}
