import type { IncomingMessage } from 'node:http';
import { map, throwError, type Observable } from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { RxChatError } from '../errors';
import { relayHandler, type RelayAccess, type RelayHandler } from './http';
import { memoryStore } from './memory-store';
import { LocalRun } from './run';
import type { RelayStartHook } from './start-route';
import type { RelayEnd, RelayEntry, RelayStore } from './types';

/** Options of {@link createRelay}. */
export interface RelayOptions {
  /**
   * Where the runs' logs are kept. Default: a {@link memoryStore} of its own (one process),
   * which {@link Relay.close} closes; a store you pass is yours to close.
   */
  store?: RelayStore;
  /**
   * How often an idle SSE reader gets a `: keep-alive` comment, in milliseconds, so that proxies
   * do not time the response out. Default 15 000.
   */
  keepAliveMs?: number;
  /**
   * The most bytes one SSE reader may leave waiting in this process, on top of its response's
   * own buffer (Node's high-water mark, 16 or 64 KiB), before it is cut: a stalled client never
   * grows the server's memory, and resumes from its last offset when it comes back. Default 1 MiB.
   */
  readerBudgetBytes?: number;
  /**
   * How long an SSE reader may stay paused (its socket full, draining nothing) before it is cut,
   * in milliseconds, whatever the run does: a stalled client of a finished run owes the relay
   * no new bytes, but should not hold a socket forever. Default 30 000.
   */
  readerStallMs?: number;
  /**
   * Decides whether a request may read (`GET …/events`) or stop (`POST …/stop`) a run: `false`
   * (or a promise of it) answers 403 `{"error":{"code":"forbidden",…}}`; a hook that throws
   * answers 500. Called before the run is looked up, so a caller without access cannot learn
   * which runs exist. Without it, anyone who can reach the handler may read and stop any run:
   * run ids should then be unguessable. Only the HTTP handler asks it; {@link Relay.events}
   * and {@link Relay.stop} are yours to guard.
   *
   * @example
   * ```ts
   * createRelay({
   *   authorize: (req, { runId }) => sessionOf(req)?.runs.includes(runId) ?? false,
   * });
   * ```
   */
  authorize?: (req: IncomingMessage, access: RelayAccess) => boolean | Promise<boolean>;
  /**
   * The path the handler's routes are under, e.g. `'/relay'` for `/relay/runs/{runId}/events`.
   * Default `''`. (Express strips its mount path, so `app.use('/relay', relay.handler())` needs
   * none.)
   */
  prefix?: string;
  /**
   * Lets the handler start runs: with it, `POST {prefix}/runs` reads the JSON body, calls this
   * hook for the run's upstream (e.g. `client.stream(body)`), starts the run under a fresh
   * random id, and answers 201 `{"id","events","stop"}` (the run's id and its two URLs, as paths)
   * once readers can find it. {@link RelayOptions.authorize} is asked first with
   * `action: 'start'`. Errors: 413 `body_too_large`, 400 `invalid_json`, 400 `invalid_request`
   * when the hook throws a `validation_error`. Without it, there is no such route (runs are
   * started by your own code with {@link Relay.start}).
   *
   * A page that must not start an answer twice (a reload before the 201 arrived) sends an
   * `Idempotency-Key` (16 to 128 letters, digits, `-`, `_`; a random UUID saved before the
   * POST): it becomes the run's id, and a start with a key whose run exists answers 200 with
   * that run's URLs, starting nothing (the hook is not called). Keys are the clients' choice: if
   * runs are private, let `authorize` check that a key belongs to the caller.
   *
   * @example
   * ```ts
   * createRelay({
   *   start: ({ body }) => client.stream({ ...(body as ChatRequest), model: 'gpt-4o-mini' }),
   * });
   * ```
   */
  start?: RelayStartHook;
  /** The largest `POST {prefix}/runs` body, in bytes. Default 1 MiB. */
  maxStartBytes?: number;
  /**
   * The upstream response headers that a run's `response` events keep in the log (lower-case
   * names); the others are dropped before the event is stored. Every reader of a run sees its
   * log, and a provider's headers (`set-cookie`, organisation and project ids, rate limits) are
   * not for browsers. Default `['content-type', 'x-request-id', 'request-id']`.
   */
  responseHeaders?: readonly string[];
}

/** Options of {@link Relay.events}. */
export interface RelayEventsOptions {
  /** The last offset already seen: entries after it are emitted. Default -1 (all of them). */
  after?: number;
}

/** A run started by {@link Relay.start}. */
export interface RelayRun {
  /** The run's id. */
  readonly runId: string;
  /**
   * Resolves with how the run ended, as the store recorded it (a `stop` from elsewhere, or the
   * store's own limit, may end it before its upstream does). Rejects only when the store failed,
   * or, with a store that claims ids asynchronously, when the id existed already.
   */
  readonly done: Promise<RelayEnd>;
  /**
   * Resolves once the store has claimed the id and the upstream is subscribed: from then on
   * readers find the run (with the memory store at once; with Redis after a round trip, so await
   * it before you hand the run's URL to a browser). Rejects with a `validation_error` when a
   * store that claims ids asynchronously found the id taken, or with the store's failure.
   */
  readonly started: Promise<void>;
  /** Same as `relay.stop(runId)`. */
  stop(): Promise<boolean>;
}

/**
 * Keeps each run's events in an ordered log with offsets and serves them to any number of
 * readers, in process ({@link Relay.events}) and over HTTP as SSE ({@link Relay.handler}).
 */
export interface Relay {
  /** The store the runs are kept in. */
  readonly store: RelayStore;
  /**
   * Starts a run: subscribes `source$` at once (from here on the run is hot: it goes on whoever
   * reads it, and readers leaving never stop it), appends each event to the run's log, and ends
   * the run when the upstream completes (`completed`), fails (`errored`, with the error's JSON)
   * or is stopped (`stopped`).
   *
   * Start is not a join: an id that exists (running, or finished and not expired yet) throws a
   * `validation_error` at once, and nothing is subscribed. Read an existing run with
   * {@link Relay.events}.
   *
   * @throws RxChatError `validation_error` for an empty or existing id, or after `close()`.
   */
  start(runId: string, source$: Observable<ChatStreamEvent>): RelayRun;
  /**
   * A cold Observable of a run's log: the entries after `after`, then the live ones, then a final
   * `{ offset, end }` entry, then completion. Once the run has ended, the end entry is emitted
   * whatever `after` is. Fails with a `validation_error` for an unknown (or expired) run, or an
   * `after` that is not an integer >= -1.
   * Unsubscribing only detaches this reader.
   */
  events(runId: string, options?: RelayEventsOptions): Observable<RelayEntry>;
  /**
   * Stops a running run: unsubscribes its upstream (so its HTTP request is aborted and its
   * socket closed), keeps the events that arrived, and ends the run as `stopped` (every reader
   * gets the end entry). Resolves `true` if this call stopped it, `false` if it had ended
   * already or is unknown. A run started by another process sharing the store is ended in the
   * store, and that process stops its upstream at the next event.
   */
  stop(runId: string): Promise<boolean>;
  /**
   * The HTTP side, a Node `(req, res, next?)` handler for `node:http` or Express:
   *
   * - `GET {prefix}/runs/{runId}/events`: SSE. Each entry is `id: <offset>` and
   *   `data: <the event's JSON>`; the end is `event: end`, `id: <offset>`,
   *   `data: {"status":…}`, after which the response ends. A reader gets the entries after
   *   `Last-Event-ID` (what `EventSource` sends on reconnecting), else after `?after=N`, else all.
   *   Idle readers get `: keep-alive` comments every `keepAliveMs`.
   * - `POST {prefix}/runs/{runId}/stop`: `{"stopped":true}`, or `{"stopped":false}` when the run
   *   had ended already.
   * - Errors are JSON `{"error":{"message","code"}}`: 404 `run_not_found` (unknown or expired),
   *   403 `forbidden` ({@link RelayOptions.authorize}), 400 `invalid_offset` (not an integer
   *   >= -1, or past the run's last entry), 405, 503
   *   `relay_closed`; other paths go to `next()`, or get a 404 `not_found`.
   */
  handler(): RelayHandler;
  /**
   * Closes the relay: stops every run this relay started whose upstream is still running (they
   * end as `truncated`, and their readers get that end), ends every open SSE response and its
   * timer, and closes the store if the relay made it. Later `start` calls throw; the handler
   * answers 503. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Creates a relay: runs are started in this process (`relay.start`), kept in a store as ordered
 * logs, and read by any number of readers, who may leave and come back (resuming from their
 * last offset) without disturbing the run.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createChatClient } from 'rxchat/node';
 * import { createRelay } from 'rxchat/relay';
 *
 * const client = createChatClient({ apiKey: process.env.OPENAI_API_KEY });
 * const relay = createRelay({ prefix: '/relay' });
 *
 * const run = relay.start('run-42', client.stream({
 *   model: 'gpt-4o-mini',
 *   messages: [{ role: 'user', content: 'Hello' }],
 * }));
 * createServer(relay.handler()).listen(8080);
 * // Browsers: GET http://localhost:8080/relay/runs/run-42/events (SSE, resumable)
 * //           POST http://localhost:8080/relay/runs/run-42/stop
 * console.log(await run.done); // { status: 'completed' }
 * ```
 */
export function createRelay(options: RelayOptions = {}): Relay {
  const ownStore = options.store === undefined;
  const store = options.store ?? memoryStore();
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const readerBudgetBytes = options.readerBudgetBytes ?? 1024 * 1024;
  if (!(keepAliveMs > 0)) throw new RangeError('keepAliveMs must be a number > 0');
  if (!(readerBudgetBytes >= 0)) throw new RangeError('readerBudgetBytes must be a number >= 0');
  const readerStallMs = options.readerStallMs ?? 30_000;
  if (!(readerStallMs > 0)) throw new RangeError('readerStallMs must be a number > 0');
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  if (prefix !== '' && !prefix.startsWith('/')) throw new RangeError('prefix must start with /');
  const maxStartBytes = options.maxStartBytes ?? 1024 * 1024;
  if (!(maxStartBytes > 0)) throw new RangeError('maxStartBytes must be a number > 0');
  const keptHeaders = new Set(
    (options.responseHeaders ?? ['content-type', 'x-request-id', 'request-id']).map((name) =>
      name.toLowerCase(),
    ),
  );
  /** A `response` event with only the kept headers; other events as they are. */
  const forTheLog = (event: ChatStreamEvent): ChatStreamEvent => {
    if (event.type !== 'response') return event;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(event.headers)) {
      if (keptHeaders.has(name)) headers[name] = value;
    }
    return { ...event, headers };
  };
  if (options.start !== undefined && typeof options.start !== 'function') {
    throw new RangeError('start must be a function');
  }

  /** The runs of this relay whose end is not recorded yet. */
  const running = new Map<string, LocalRun>();
  const readers = new Set<() => void>();
  let closing: Promise<void> | undefined;

  const stop = async (runId: string): Promise<boolean> => {
    const local = running.get(runId);
    if (local) return local.end({ status: 'stopped' });
    return (await store.finish(runId, { status: 'stopped' })) !== null;
  };

  const relay: Relay = {
    store,

    start(runId, source$) {
      if (closing) throw new RxChatError('validation_error', 'The relay is closed');
      if (typeof runId !== 'string' || runId === '') {
        throw new RxChatError('validation_error', 'A relay run id must be a non-empty string');
      }
      const taken = () =>
        new RxChatError(
          'validation_error',
          `Relay run "${runId}" exists already: start is not a join (read it with events())`,
        );
      if (running.has(runId)) throw taken();
      const claimed = store.create(runId);
      if (claimed === false) throw taken();
      const run = new LocalRun(runId, store, () => {
        if (running.get(runId) === run) running.delete(runId);
      });
      running.set(runId, run);
      const logged$ = source$.pipe(map(forTheLog));
      let started: Promise<void>;
      // Ended in the store by another process (a stop): stop the upstream now, even if it is
      // waiting for its next event. (The store's end stays: the first end wins.)
      const stopWhenEndedElsewhere = () =>
        void store.whenEnded?.(runId).then(() => run.end({ status: 'stopped' }));
      if (claimed === true) {
        run.begin(logged$);
        stopWhenEndedElsewhere();
        started = Promise.resolve();
      } else {
        started = claimed.then((free) => {
          if (!free) throw taken();
          run.begin(logged$);
          stopWhenEndedElsewhere();
        });
        started.catch((error: unknown) => run.reject(error));
      }
      return { runId, done: run.done, started, stop: () => stop(runId) };
    },

    events(runId, { after = -1 } = {}) {
      if (!Number.isInteger(after) || after < -1) {
        return throwError(
          () => new RxChatError('validation_error', `after must be an integer >= -1: ${after}`),
        );
      }
      return store.read(runId, after);
    },

    stop,

    handler() {
      return relayHandler({
        store,
        prefix,
        keepAliveMs,
        readerBudgetBytes,
        readerStallMs,
        authorize: options.authorize,
        stop,
        isClosed: () => closing !== undefined,
        readers,
        start: options.start && {
          start: options.start,
          maxStartBytes,
          startRun: (runId, source$) => relay.start(runId, source$).started,
        },
      });
    },

    close() {
      closing ??= (async () => {
        const ends = [...running.values()].map((run) => run.end({ status: 'truncated' }));
        await Promise.allSettled(ends);
        for (const endResponse of [...readers]) endResponse();
        if (ownStore) await store.close();
      })();
      return closing;
    },
  };
  return relay;
}
