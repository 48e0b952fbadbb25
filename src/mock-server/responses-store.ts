// The responses a server keeps for `GET /v1/responses/{id}` and cancel: the latest 100, each the
// final Response object or, in background mode, a run that goes on generating at its pace
// whoever listens, and keeps every event it sent so a client can resume after any of them.
import { DONE, type SseFrame } from './frames';
import { ResponseLifetime } from './lifetime';
import { createPacer, FramePacing, type PaceOptions } from './pacing';
import { foldResponse } from './responses-fold';
import { responseFrame } from './responses-dialects';
import { responseObject, type ResponsePlan } from './responses-events';

type Fields = Record<string, unknown>;

/**
 * One frame of a run, with the event it carries (`undefined` for `[DONE]`).
 *
 * @example
 * ```ts
 * const entry: RunEntry = { frame, event: { type: 'response.created', sequence_number: 0, ... } };
 * ```
 */
export interface RunEntry {
  frame: SseFrame;
  event: Fields | undefined;
}

/**
 * Who reads a run as it goes: each entry once sent, then the end.
 *
 * @example
 * ```ts
 * const stop = run.listen(5, { entry: ({ frame }) => res.write(frame.text), end: () => res.end() });
 * ```
 */
export interface RunListener {
  entry(entry: RunEntry): void;
  end(): void;
}

/**
 * A background response: its planned frames sent one by one at the pace, into a history that
 * every listener reads from, until the last one or a cancel. It ends with its own lifetime, not
 * with any request's, so it goes on after the client that started it has left.
 *
 * @example
 * ```ts
 * const run = new ResponseRun(plan, entries, pace, false);
 * run.start();
 * run.listen(-1, listener); // every event from sequence number 0
 * ```
 */
export class ResponseRun {
  /** The entries sent so far. */
  readonly sent: RunEntry[] = [];
  private readonly listeners = new Set<RunListener>();
  private readonly lifetime = new ResponseLifetime();
  private finished = false;

  constructor(
    readonly plan: ResponsePlan,
    private readonly planned: readonly RunEntry[],
    private readonly pace: PaceOptions,
    private readonly doneAfterTerminal: boolean,
  ) {}

  /** Whether its terminal event has been sent (or it was cancelled). */
  get ended(): boolean {
    return this.finished;
  }

  /** Sends the planned entries at the pace; resolves once all are sent or the run was stopped. */
  async start(): Promise<void> {
    const pacing = new FramePacing(createPacer(this.pace, this.plan.answer.seed));
    for (const entry of this.planned) {
      const wait = pacing.waitBefore(entry.frame);
      if (!(await this.lifetime.sleep(wait)) || this.finished) return;
      this.send(entry);
    }
    this.finish();
  }

  /**
   * Reads the run: at once every sent entry whose sequence number is above `startingAfter`,
   * then each new one, then the end. Returns the function that stops listening.
   */
  listen(startingAfter: number, listener: RunListener): () => void {
    for (const entry of this.sent) {
      const sequence = entry.event?.sequence_number as number | undefined;
      if (sequence === undefined || sequence > startingAfter) listener.entry(entry);
    }
    if (this.finished) {
      listener.end();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The Response object as it stands. */
  response(): Fields {
    return foldResponse(
      responseObject(this.plan, 'queued'),
      this.sent.flatMap((entry) => (entry.event ? [entry.event] : [])),
    );
  }

  /**
   * Stops generating: the Response becomes `cancelled`, and every listener gets a terminal
   * `response.failed` whose response has status `cancelled` and no error. A run that has ended
   * is left as it is. Returns the Response.
   */
  cancel(): Fields {
    if (this.finished) return this.response();
    const response = { ...this.response(), status: 'cancelled', error: null };
    const sequence = this.sent.filter((entry) => entry.event !== undefined).length;
    const frame = responseFrame(
      { type: 'response.failed', fields: { response }, tokens: false },
      sequence,
    );
    this.send({ frame, event: { type: 'response.failed', sequence_number: sequence, response } });
    this.finish();
    return response;
  }

  /** Stops the run without a word: the server is closing, or it fell out of the store. */
  stop(): void {
    this.lifetime.end();
    this.finished = true;
    this.listeners.clear();
  }

  private send(entry: RunEntry): void {
    this.sent.push(entry);
    for (const listener of [...this.listeners]) listener.entry(entry);
  }

  private finish(): void {
    if (this.finished) return;
    // vLLM's [DONE] follows whichever terminal event came, a cancel's too.
    if (this.doneAfterTerminal) this.send({ frame: DONE, event: undefined });
    this.finished = true;
    this.lifetime.end();
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener.end();
  }
}

/**
 * A stored response: a background run, or the final Response object of any other.
 *
 * @example
 * ```ts
 * const stored: StoredResponse = { background: false, response: () => finalResponse };
 * ```
 */
export interface StoredResponse {
  background: boolean;
  run?: ResponseRun;
  response(): Fields;
}

/** How many responses a server keeps (the oldest go first; a live run is stopped). */
const MAX_STORED = 100;

/**
 * The responses of one server, by id: the latest {@link MAX_STORED}.
 *
 * @example
 * ```ts
 * const id = store.newId(answer.seed);
 * store.add(id, { background: false, response: () => final });
 * store.get(id)?.response();
 * ```
 */
export class ResponseStore {
  private readonly stored = new Map<string, StoredResponse>();
  private count = 0;

  /** A new response id: a hash of the request and a counter, so no two collide. */
  newId(seed: number): string {
    this.count++;
    return `resp_mock${seed.toString(16).padStart(8, '0')}${this.count.toString(16).padStart(6, '0')}`;
  }

  add(id: string, response: StoredResponse): void {
    this.stored.set(id, response);
    for (const [oldest, old] of this.stored) {
      if (this.stored.size <= MAX_STORED) break;
      old.run?.stop();
      this.stored.delete(oldest);
    }
  }

  get(id: string): StoredResponse | undefined {
    return this.stored.get(id);
  }

  /** Stops every run (their timers with them). */
  close(): void {
    for (const stored of this.stored.values()) stored.run?.stop();
  }
}
