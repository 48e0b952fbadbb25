// The relay's HTTP side: `GET {prefix}/runs/{runId}/events` (SSE, resumable by offset) and
// `POST {prefix}/runs/{runId}/stop`, as one Node `(req, res, next?)` handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Subject, takeUntil } from 'rxjs';
import { serveStart, startRunId, type StartRouteContext } from './start-route';
import type { RelayEntry, RelayStore } from './types';

/** Who asks what of which run: the second argument of {@link RelayOptions.authorize}. */
export interface RelayAccess {
  /** The run's id, decoded from the path. */
  runId: string;
  /**
   * `'read'`: `GET …/events`; `'stop'`: `POST …/stop`; `'start'`: `POST {prefix}/runs` (with
   * {@link RelayOptions.start}; `runId` is then the fresh id the run would get).
   */
  action: 'read' | 'stop' | 'start';
}

/**
 * A Node request handler: `createServer(relay.handler())`, or Express middleware
 * (`app.use('/relay', relay.handler())`). Paths it does not serve go to `next()` when given,
 * else get a 404.
 */
export type RelayHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** What the handler needs of its relay. */
export interface HandlerContext {
  store: RelayStore;
  prefix: string;
  keepAliveMs: number;
  readerBudgetBytes: number;
  /** How long a paused reader may go without draining before it is cut. */
  readerStallMs: number;
  authorize:
    ((req: IncomingMessage, access: RelayAccess) => boolean | Promise<boolean>) | undefined;
  stop(runId: string): Promise<boolean>;
  isClosed(): boolean;
  /** The open SSE responses: `relay.close()` ends them. */
  readers: Set<() => void>;
  /** `POST {prefix}/runs`, when the relay has a start hook. */
  start: Omit<StartRouteContext, 'sendJson' | 'sendError' | 'exists'> | undefined;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const sendError = (res: ServerResponse, status: number, code: string, message: string) =>
  sendJson(res, status, { error: { message, code } });

const ROUTE = /^\/runs\/([^/]+)\/(events|stop)\/?$/;
const START_ROUTE = /^\/runs\/?$/;

/** The run and action of a path under `prefix`, or `undefined` when it is not the relay's. */
function route(url: string, prefix: string, canStart: boolean) {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (!path.startsWith(prefix)) return undefined;
  if (canStart && START_ROUTE.test(path.slice(prefix.length))) {
    return { runId: '', action: 'start' as const, search: new URLSearchParams() };
  }
  const match = ROUTE.exec(path.slice(prefix.length));
  if (!match) return undefined;
  let runId: string;
  try {
    runId = decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
  const search = new URLSearchParams(query < 0 ? '' : url.slice(query + 1));
  return { runId, action: match[2] as 'events' | 'stop', search };
}

/**
 * The offset a reader has seen: `Last-Event-ID` if present (what `EventSource` sends on a
 * reconnect), else `?after=`, else -1 (everything). `undefined` when the value is not an integer.
 */
function afterOf(req: IncomingMessage, search: URLSearchParams): number | undefined {
  const raw = lastEventId(req) ?? search.get('after');
  if (raw === null || raw === '') return -1;
  return /^-?\d{1,15}$/.test(raw) && Number(raw) >= -1 ? Number(raw) : undefined;
}

/** The `Last-Event-ID` header, trimmed; `undefined` when absent or blank. */
function lastEventId(req: IncomingMessage): string | undefined {
  const header = req.headers['last-event-id'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}

export function relayHandler(context: HandlerContext): RelayHandler {
  return (req, res, next) => {
    const found = route(req.url ?? '/', context.prefix, context.start !== undefined);
    if (!found) {
      if (next) next();
      else sendError(res, 404, 'not_found', `No relay route at ${req.method} ${req.url}`);
      return;
    }
    // Writing to a socket the client already closed must not crash the server.
    res.on('error', () => undefined);
    const method = found.action === 'events' ? 'GET' : 'POST';
    const action = found.action === 'events' ? 'read' : found.action;
    if (req.method !== method) {
      res.setHeader('allow', method);
      sendError(res, 405, 'method_not_allowed', `Use ${method} for this relay route`);
      return;
    }
    if (context.isClosed()) {
      sendError(res, 503, 'relay_closed', 'The relay is closed');
      return;
    }
    let keyed = false;
    if (found.action === 'start') {
      const id = startRunId(req);
      if (!id) {
        sendError(
          res,
          400,
          'invalid_idempotency_key',
          'Idempotency-Key must be 16 to 128 letters, digits, - or _',
        );
        return;
      }
      found.runId = id.runId;
      keyed = id.keyed;
    }
    const serve = async () => {
      if (context.authorize && !(await context.authorize(req, { runId: found.runId, action }))) {
        sendError(res, 403, 'forbidden', `Not allowed to ${action} relay run "${found.runId}"`);
        return;
      }
      if (action === 'start') {
        const exists = async (runId: string) => (await context.store.info(runId)) !== undefined;
        const start = { ...context.start!, sendJson, sendError, exists };
        await serveStart(start, req, res, found.runId, keyed);
        return;
      }
      const info = await context.store.info(found.runId);
      if (!info) {
        sendError(res, 404, 'run_not_found', `Unknown relay run "${found.runId}" (or it expired)`);
        return;
      }
      if (action === 'stop') {
        req.resume();
        sendJson(res, 200, { stopped: await context.stop(found.runId) });
        return;
      }
      const after = afterOf(req, found.search);
      if (after === undefined) {
        sendError(res, 400, 'invalid_offset', 'Last-Event-ID and ?after= must be integers >= -1');
        return;
      }
      // An offset past the log (the end's offset, once ended) was never sent by this run: a
      // reader holding it would otherwise wait for it and silently skip what comes before.
      // An EventSource reconnects whenever a response ends, even after the run's end: one that
      // saw the end (its Last-Event-ID is the end's) gets 204, which stops it for good.
      if (info.end && after === info.events && lastEventId(req) !== undefined) {
        res.writeHead(204, { 'cache-control': 'no-store' });
        res.end();
        return;
      }
      const lastOffset = info.end ? info.events : info.events - 1;
      if (after > lastOffset) {
        sendError(
          res,
          400,
          'invalid_offset',
          `Offset ${after} is past relay run "${found.runId}" (its last entry is ${lastOffset})`,
        );
        return;
      }
      streamEvents(context, found.runId, after, res);
    };
    serve().catch(() => {
      // A failing authorize hook or store: a 500 if nothing went out yet, else a cut.
      if (res.headersSent) res.destroy();
      else sendError(res, 500, 'relay_error', 'The relay failed to answer');
    });
  };
}

const frameOf = (entry: RelayEntry): string =>
  'end' in entry
    ? `event: end\nid: ${entry.offset}\ndata: ${JSON.stringify(entry.end)}\n\n`
    : `id: ${entry.offset}\ndata: ${JSON.stringify(entry.event)}\n\n`;

/**
 * Serves one reader from the store's tail, never holding more than about `readerBudgetBytes`
 * for it.
 *
 * Backpressure: entries are written as they come until `res.write` returns false. Then the
 * reader pauses: it detaches from the tail (the store stops replaying to it, so a late reader of
 * a long log is fed at the pace its socket drains, and nothing is queued in the relay) and
 * resumes from its last offset on `drain`. While paused, it counts (without keeping) the bytes
 * the run appends after that moment: once those plus what waits in its socket's buffers exceed
 * the budget (or a single write leaves more than the budget waiting), the reader is cut
 * (`res.destroy()`); so is one that stays paused (drains nothing) for `readerStallMs`. So a
 * stalled client never grows the server's memory nor holds a socket forever, and it resumes from
 * its last offset (`Last-Event-ID`) when it comes back; a slow but live one is only paused.
 */
function streamEvents(
  context: HandlerContext,
  runId: string,
  after: number,
  res: ServerResponse,
): void {
  if (res.destroyed) return;
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  /** Detaches whatever this reader is subscribed to (the tail, or the lag counter). */
  let detach = new Subject<void>();
  let last = after;
  let paused = false;
  /** Counts the pauses, so that a lag counter set up late knows it is stale. */
  let pauses = 0;
  let wroteSinceTick = false;
  let stall: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  const timer = setInterval(() => {
    if (!wroteSinceTick) write(': keep-alive\n\n');
    wroteSinceTick = false;
  }, context.keepAliveMs);
  timer.unref?.();
  const cleanUp = () => {
    if (finished) return false;
    finished = true;
    clearInterval(timer);
    clearTimeout(stall);
    context.readers.delete(endResponse);
    res.off('drain', resume);
    detach.next();
    detach.complete();
    return true;
  };
  const endResponse = () => {
    if (cleanUp()) res.end();
  };
  const cut = () => {
    if (cleanUp()) res.destroy();
  };
  /**
   * What this reader may leave waiting: the budget on top of the response's own buffer (its
   * high-water mark, which Node 22 raised from 16 to 64 KiB: a budget below it would cut every
   * reader at its first full buffer).
   */
  const allowance = () => context.readerBudgetBytes + res.writableHighWaterMark;
  /** Writes; false when the socket is not drained. */
  const write = (text: string): boolean => {
    if (finished) return false;
    wroteSinceTick = true;
    const drained = res.write(text);
    if (!drained && res.writableLength > allowance()) cut();
    return drained;
  };
  const switchTo = () => {
    detach.next();
    detach.complete();
    detach = new Subject<void>();
    return detach;
  };
  const follow = () => {
    paused = false;
    context.store
      .read(runId, last)
      .pipe(takeUntil(switchTo()))
      .subscribe({
        next: (entry) => {
          if (paused) return;
          const drained = write(frameOf(entry));
          if ('end' in entry) return endResponse();
          last = entry.offset;
          if (!drained && !finished) pause();
        },
        // The run expired between the check and the read: end; a reconnect then gets the 404.
        error: endResponse,
        complete: () => {
          if (!paused) endResponse();
        },
      });
  };
  const pause = () => {
    paused = true;
    const mine = ++pauses;
    const stopped = switchTo(); // the store stops replaying to this reader at once
    res.once('drain', resume);
    // A reader that takes nothing for this long is stalled, whatever the run does (a finished
    // run owes it no new bytes): cut, so that it does not hold a socket forever.
    clearTimeout(stall);
    stall = setTimeout(cut, context.readerStallMs);
    stall.unref?.();
    context.store.info(runId).then(
      (info) => {
        if (!info || info.end || finished || !paused || mine !== pauses) return;
        let owed = 0;
        context.store
          .read(runId, info.events - 1)
          .pipe(takeUntil(stopped))
          .subscribe({
            next: (entry) => {
              owed += Buffer.byteLength(frameOf(entry));
              if (res.writableLength + owed > allowance()) cut();
            },
            error: () => undefined,
          });
      },
      () => undefined,
    );
  };
  function resume() {
    clearTimeout(stall);
    if (!finished) follow();
  }
  context.readers.add(endResponse);
  // The client went away: only this reader detaches; the run goes on.
  res.on('close', cut);
  follow();
}
