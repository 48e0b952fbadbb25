import { Observable } from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { RxChatError } from '../errors';
import { unknownRun } from './memory-store';
import { APPEND, CREATE, FINISH, REAP, REFRESH, shaOf } from './redis-scripts';
import { RedisRunTail, type StreamEntry, type TailListener } from './redis-tail';
import type { RelayEnd, RelayEntry, RelayRunInfo, RelayStore } from './types';

/**
 * The few commands {@link redisStore} needs of a Redis client, typed structurally so that rxchat
 * does not depend on ioredis's types: an ioredis `Redis` instance fits.
 */
export interface RedisClientLike {
  /** Sends one command (`client.call('XRANGE', key, '-', '+')`) and resolves with its reply. */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** A new connection with the same options: each live reader blocks on one of its own. */
  duplicate(): RedisClientLike;
  /** Closes the connection at once (pending commands fail). */
  disconnect(): void;
  /**
   * Optional: listens to pub/sub messages (ioredis's `on('message', …)`). With it, a run that
   * another process ends (a stop) is known to its producer at once; without it, at the
   * producer's next lease refresh (a third of `leaseMs`).
   */
  on?(event: 'message', listener: (channel: string, message: string) => void): unknown;
}

/** Where {@link redisStore} connects: a client of yours, or a URL it connects to itself. */
export type RedisStoreConnection =
  | {
      /**
       * An ioredis client (or anything that fits {@link RedisClientLike}). It stays yours: the
       * store duplicates it for its readers, and `close()` leaves it open.
       */
      client: RedisClientLike;
    }
  | {
      /**
       * A Redis URL (`redis://host:6379/0`): the store loads ioredis (an optional peer
       * dependency: install it) on first use, connects, and `close()` disconnects.
       */
      url: string;
    };

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** The prefix of every key the store writes. Default `'rxchat:relay:'`. */
  prefix?: string;
  /**
   * How long a finished run stays readable, in milliseconds, after it ends (its keys get a Redis
   * expiry); then it is unknown again. Default 600 000 (10 minutes); `Infinity` keeps runs
   * until they are deleted. A running run's keys expire `2 × leaseMs + retentionMs` after its
   * producer last refreshed its lease: the run of a producer that died while nobody read it
   * (so nobody ended it as `truncated`) is not kept forever.
   */
  retentionMs?: number;
  /**
   * The most events one run may hold; the event after the last one allowed ends the run as
   * `errored` (`event_too_large`) and its upstream is stopped. Default 100 000.
   */
  maxEvents?: number;
  /**
   * The producer's lease, in milliseconds: the process that created a run refreshes it (every
   * third of it) while the run runs. A reader that finds a running run without a lease (its
   * producer died) ends it as `truncated`, so readers never wait on a dead process. Default
   * 10 000.
   */
  leaseMs?: number;
}

const TRUNCATED = JSON.stringify({ status: 'truncated' } satisfies RelayEnd);
/** How many entries one XRANGE or XREAD answers at most. */
const BATCH = 1000;
/** The first replay batch of a reader. */
const FIRST_BATCH = 16;

/**
 * A {@link RelayStore} on Redis (Streams, 5.0 and later; tested on 7), shared by every process
 * that uses the same Redis and prefix: a run started in one process is read, and stopped, from
 * any other (the producer stops its upstream at its next event). Each run is a stream (the
 * offset is the entry id), a state hash and a lease that the producing process refreshes; every
 * write is an atomic Lua script. Finished runs expire `retentionMs` after they end.
 *
 * ioredis is an optional peer dependency: pass a client of yours (`{ client }`), or a URL
 * (`{ url }`), and the store loads ioredis on first use. The live readers of a run in one
 * process share one tail (`XREAD BLOCK` on a connection of its own, closed when its last reader
 * leaves), so a run read by 1,000 browsers through one process costs one Redis read per batch. `close()` stops the
 * lease refreshes and closes the connections the store opened (never your client); the runs stay
 * in Redis, and one this process was producing ends as `truncated` once its lease runs out.
 *
 * @example
 * ```ts
 * import { createRelay, redisStore } from 'rxchat/relay';
 *
 * const store = redisStore({ url: 'redis://localhost:6379' }, { retentionMs: 60_000 });
 * const relay = createRelay({ store });
 * // … on shutdown:
 * await relay.close();
 * await store.close();
 * ```
 */
export function redisStore(
  connection: RedisStoreConnection,
  options: RedisStoreOptions = {},
): RelayStore {
  const prefix = options.prefix ?? 'rxchat:relay:';
  const retentionMs = options.retentionMs ?? 600_000;
  const maxEvents = options.maxEvents ?? 100_000;
  const leaseMs = options.leaseMs ?? 10_000;
  if (!(retentionMs >= 0)) throw new RangeError('retentionMs must be a number >= 0');
  if (!(maxEvents >= 0)) throw new RangeError('maxEvents must be a number >= 0');
  if (!(leaseMs >= 30)) throw new RangeError('leaseMs must be a number >= 30');
  if (!('client' in connection) && !('url' in connection)) {
    throw new RangeError('redisStore needs { client } or { url }');
  }
  const retention = retentionMs === Infinity ? -1 : Math.round(retentionMs);
  const lease = Math.round(leaseMs);
  // A reader checks the producer's lease each time it waited this long for an entry.
  const blockMs = Math.max(10, Math.min(Math.round(lease / 2), 5_000));

  let closed = false;
  let opened: Promise<RedisClientLike> | undefined;
  /** The connections this store opened (its own client and the readers'). */
  const connections = new Set<RedisClientLike>();
  /**
   * The runs this process produces (their lease is refreshed), with the callbacks of
   * {@link RelayStore.whenEnded} waiting for them to stop running.
   */
  const owned = new Map<string, (() => void)[]>();
  let refresher: ReturnType<typeof setInterval> | undefined;

  const closedError = () => new RxChatError('validation_error', 'The relay store is closed');

  const client = (): Promise<RedisClientLike> => {
    if (closed) return Promise.reject(closedError());
    if ('client' in connection) return Promise.resolve(connection.client);
    opened ??= (async () => {
      const ioredis = await import('ioredis');
      const Redis = ioredis.Redis ?? ioredis.default;
      const made: RedisClientLike = new Redis(connection.url);
      if (closed) {
        made.disconnect();
        throw closedError();
      }
      connections.add(made);
      return made;
    })();
    return opened;
  };

  const keys = (runId: string) => {
    const base = `${prefix}{${runId}}:`;
    return [`${base}state`, `${base}log`, `${base}lease`] as const;
  };

  /** Runs a script by its SHA1 (EVALSHA), sending its text (EVAL) only when Redis lacks it. */
  const script = async (
    source: string,
    runKeys: readonly string[],
    ...args: (string | number)[]
  ) => {
    const redis = await client();
    const sha = shaOf(source);
    try {
      return Number(await redis.call('EVALSHA', sha, runKeys.length, ...runKeys, ...args));
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return Number(await redis.call('EVAL', source, runKeys.length, ...runKeys, ...args));
    }
  };

  const refresh = () => {
    for (const runId of owned.keys()) {
      script(REFRESH, keys(runId), lease, retention).then(
        (running) => {
          if (running === 0) release(runId);
        },
        () => undefined, // Redis away: the lease may lapse, and readers end the run.
      );
    }
  };
  /** The channel every explicit end is published on (the message is the run id). */
  const endedChannel = `${prefix}ended`;
  let listening: Promise<void> | undefined;
  /** Subscribes (once, on a connection of its own) to the ends of runs, for this process's runs. */
  const listen = () => {
    listening ??= (async () => {
      const subscriber = (await client()).duplicate();
      if (!subscriber.on || closed) return subscriber.disconnect();
      connections.add(subscriber);
      subscriber.on('message', (channel, runId) => {
        // Ended by another process (or by this one: then it is released already).
        if (channel === endedChannel && owned.has(runId)) release(runId);
      });
      // (Lower case: ioredis tracks subscriptions by the command's name as it was given.)
      await subscriber.call('subscribe', endedChannel);
    })().catch(() => undefined); // No pub/sub: the lease refresh still finds the end.
  };
  const own = (runId: string) => {
    owned.set(runId, []);
    listen();
    if (!refresher) {
      refresher = setInterval(refresh, Math.max(10, Math.floor(lease / 3)));
      refresher.unref?.();
    }
  };
  const release = (runId: string) => {
    const waiting = owned.get(runId);
    owned.delete(runId);
    for (const resolve of waiting ?? []) resolve();
    if (owned.size === 0 && refresher) {
      clearInterval(refresher);
      refresher = undefined;
    }
  };

  const parseEntry = ([id, fields]: StreamEntry): RelayEntry => {
    const offset = Number(id.slice(0, id.indexOf('-')));
    const [field, json] = fields as [string, string];
    return field === 'end'
      ? { offset, end: JSON.parse(json) as RelayEnd }
      : { offset, event: JSON.parse(json) as ChatStreamEvent };
  };

  /** The live tails of this process, one per run being read. */
  const tails = new Map<string, RedisRunTail>();
  /** The run's live tail, joined, or started from `cursor` (the log's end as a reader saw it). */
  const tailOf = (runId: string, log: string, cursor: string): RedisRunTail => {
    const current = tails.get(runId);
    if (current?.active) return current;
    const tail: RedisRunTail = new RedisRunTail(cursor, {
      open: async () => {
        const reader = (await client()).duplicate();
        connections.add(reader);
        return reader;
      },
      // (Once only: ioredis leaves a timer behind when a closed connection is disconnected.)
      release: (reader) => {
        if (connections.delete(reader as RedisClientLike)) (reader as RedisClientLike).disconnect();
      },
      log,
      blockMs,
      batch: BATCH,
      reap: () => script(REAP, keys(runId), TRUNCATED, retention),
      parse: parseEntry,
      closedError: () => (closed ? closedError() : undefined),
      unknownRun: () => unknownRun(runId),
      onStop: () => {
        if (tails.get(runId) === tail) tails.delete(runId);
      },
    });
    tails.set(runId, tail);
    return tail;
  };

  const store: RelayStore = {
    async create(runId) {
      if (closed) throw closedError();
      const claimed = (await script(CREATE, keys(runId), lease, TRUNCATED, retention)) === 1;
      if (claimed && !closed) own(runId);
      return claimed;
    },

    append(runId, event) {
      return store.appendMany!(runId, [event]);
    },

    async appendMany(runId, events) {
      const [state, log] = keys(runId);
      const json = events.map((event) => JSON.stringify(event));
      const offset = await script(APPEND, [state, log], maxEvents, ...json);
      if (offset >= 0) return offset;
      if (offset === -2) {
        // Full: end it as errored (unless another end came first).
        const error = new RxChatError(
          'event_too_large',
          `Relay run "${runId}" passed maxEvents (${maxEvents}); the events before are kept`,
        );
        const end: RelayEnd = { status: 'errored', error: error.toJSON() };
        await script(FINISH, keys(runId), JSON.stringify(end), retention, endedChannel, runId);
      }
      release(runId);
      return null;
    },

    async finish(runId, how) {
      const offset = await script(
        FINISH,
        keys(runId),
        JSON.stringify(how),
        retention,
        endedChannel,
        runId,
      );
      release(runId);
      return offset >= 0 ? offset : null;
    },

    whenEnded(runId) {
      const waiting = owned.get(runId);
      if (!waiting) return Promise.resolve();
      return new Promise<void>((resolve) => waiting.push(resolve));
    },

    async info(runId): Promise<RelayRunInfo | undefined> {
      const [state] = keys(runId);
      const reply = (await (await client()).call('HGETALL', state)) as string[] | null;
      const fields: Record<string, string> = {};
      for (let i = 0; reply && i + 1 < reply.length; i += 2) fields[reply[i]!] = reply[i + 1]!;
      if (fields.status === undefined) return undefined;
      return {
        events: Number(fields.events ?? 0),
        end: fields.end === undefined ? null : (JSON.parse(fields.end) as RelayEnd),
      };
    },

    read(runId, after) {
      return new Observable<RelayEntry>((subscriber) => {
        const [, log] = keys(runId);
        let done = false;
        /** The offset of the last entry emitted (entries at or before it are skipped). */
        let last = after;
        /** Set while replaying: what the live tail delivered meanwhile, emitted after. */
        let held: RelayEntry[] | undefined = [];
        let tail: RedisRunTail | undefined;

        /** Emits the entries after `last`; true once the end was emitted. */
        const emit = (entries: RelayEntry[]): boolean => {
          for (const entry of entries) {
            if (subscriber.closed) return true;
            if ('end' in entry) {
              subscriber.next(entry);
              subscriber.complete();
              return true;
            }
            if (entry.offset > last) {
              last = entry.offset;
              subscriber.next(entry);
            }
          }
          return false;
        };
        const listener: TailListener = {
          entries: (batch) => {
            if (held) held.push(...batch);
            else if (emit(batch)) stop();
          },
          fail: (error) => {
            if (!done && !subscriber.closed) subscriber.error(closed ? closedError() : error);
            stop();
          },
        };

        const run = async () => {
          const main = await client();
          const info = await store.info(runId);
          if (!info) throw unknownRun(runId);
          // The cursor (an entry id, exclusive): never past the last event there was, so the
          // end entry is read whatever `after` is.
          const from = Math.min(Math.floor(after), info.events - 1);
          let cursor = from >= 0 ? `${from}-1` : '0-0';
          // A running run: join its live tail first (it delivers every entry after the log's
          // end as it was at `info`), then replay up to now; the overlap is skipped by offset.
          if (info.end === null) {
            if (closed) throw closedError();
            const logEnd = info.events > 0 ? `${info.events - 1}-1` : '0-0';
            tail = tailOf(runId, log, logEnd);
            tail.add(listener);
          }
          // The replay, in batches on the shared connection, small at first and growing: an
          // HTTP reader that pauses after a few frames (its socket full) and comes back from its
          // offset must not fetch a thousand entries each time to write two.
          for (let count = FIRST_BATCH; ; count = Math.min(BATCH, count * 4)) {
            const batch = (await main.call(
              'XRANGE',
              log,
              `(${cursor}`,
              '+',
              'COUNT',
              count,
            )) as StreamEntry[];
            if (done || emit(batch.map(parseEntry))) return true;
            if (batch.length > 0) cursor = batch.at(-1)![0];
            if (batch.length < count) break;
          }
          const pending = held ?? [];
          held = undefined;
          return emit(pending);
        };

        const stop = () => {
          done = true;
          tail?.remove(listener);
          tail = undefined;
        };
        run().then(
          (ended) => {
            if (ended) stop();
          },
          (error: unknown) => {
            if (!done && !subscriber.closed) subscriber.error(closed ? closedError() : error);
            stop();
          },
        );
        return stop;
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      if (refresher) clearInterval(refresher);
      refresher = undefined;
      // Its runs' producers are not told: the runs end as truncated once the leases lapse.
      owned.clear();
      tails.clear();
      await opened?.catch(() => undefined);
      // Its own connection and the readers': closed at once (pending commands fail).
      for (const connection of [...connections]) connection.disconnect();
      connections.clear();
    },
  };
  return store;
}
