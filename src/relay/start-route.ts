// `POST {prefix}/runs`: the relay's optional route that starts a run from a request body, so a
// browser can ask for an answer and get back the run's URLs in one round trip.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observable } from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { RxChatError } from '../errors';

/** What {@link RelayOptions.start} gets for each `POST {prefix}/runs`. */
export interface RelayStartRequest {
  /** The HTTP request (its headers: a session, `x-mock-*` test headers, …); its body is read. */
  req: IncomingMessage;
  /** The request's body, parsed as JSON. */
  body: unknown;
  /** The fresh id the run will have (a random UUID). */
  runId: string;
}

/**
 * Turns a `POST {prefix}/runs` into the run's upstream: an Observable of rxchat events (e.g.
 * `client.stream(body)`), or a promise of one. Throwing a `validation_error` (or an `http_error`
 * with a 4xx `status`) answers 400 with its message; any other throw answers 500.
 */
export type RelayStartHook = (
  request: RelayStartRequest,
) => Observable<ChatStreamEvent> | Promise<Observable<ChatStreamEvent>>;

/** What the start route needs of its relay. */
export interface StartRouteContext {
  start: RelayStartHook;
  maxStartBytes: number;
  /** Starts the run (as `relay.start`) and resolves once readers can find it. */
  startRun(runId: string, source$: Observable<ChatStreamEvent>): Promise<void>;
  /** Whether a run with this id exists (running, or ended and not expired). */
  exists(runId: string): Promise<boolean>;
  sendJson(res: ServerResponse, status: number, body: unknown): void;
  sendError(res: ServerResponse, status: number, code: string, message: string): void;
}

/** Reads a body of at most `limit` bytes; `undefined` when it is larger (the rest is drained). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (part: Buffer) => {
      if (over) return;
      size += part.length;
      if (size > limit) {
        // Drop what was kept: the answer is a 413 whatever the rest is.
        over = true;
        parts.length = 0;
        return;
      }
      parts.push(part);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** The path the client used for `…/runs`, with a mount path Express stripped put back. */
function runsPath(req: IncomingMessage): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  return (query < 0 ? url : url.slice(0, query)).replace(/\/+$/, '');
}

/** Whether an error thrown by the start hook is the caller's fault (400) rather than ours. */
function isBadRequest(error: unknown): error is RxChatError {
  if (!RxChatError.isInstance(error)) return false;
  if (error.code === 'validation_error') return true;
  return error.code === 'http_error' && error.status !== undefined && error.status < 500;
}

/**
 * Serves `POST {prefix}/runs` (authorised already): reads the JSON body (at most
 * `maxStartBytes`), asks the hook for the upstream, starts the run under its id, and answers
 * 201 `{ id, events, stop }` (the run's two URLs, as paths) once readers can find it. With an
 * `Idempotency-Key` (`keyed`) whose run exists, answers 200 with that run's URLs instead,
 * starting nothing.
 */
export async function serveStart(
  context: StartRouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  runId: string,
  keyed: boolean,
): Promise<void> {
  const text = await readBody(req, context.maxStartBytes);
  if (text === undefined) {
    context.sendError(
      res,
      413,
      'body_too_large',
      `The request body is over ${context.maxStartBytes} bytes`,
    );
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    context.sendError(res, 400, 'invalid_json', 'The request body is not JSON');
    return;
  }
  const base = `${runsPath(req)}/${encodeURIComponent(runId)}`;
  const links = { id: runId, events: `${base}/events`, stop: `${base}/stop` };
  // A repeated start with the same Idempotency-Key: the run it started, not a second one.
  if (keyed && (await context.exists(runId))) return context.sendJson(res, 200, links);
  let source$: Observable<ChatStreamEvent>;
  try {
    source$ = await context.start({ req, body, runId });
  } catch (error) {
    if (isBadRequest(error)) context.sendError(res, 400, 'invalid_request', error.message);
    else context.sendError(res, 500, 'relay_error', 'The relay could not start the run');
    return;
  }
  try {
    await context.startRun(runId, source$);
  } catch (error) {
    // Two starts with one key at once: the other one claimed it first.
    if (keyed && (await context.exists(runId))) return context.sendJson(res, 200, links);
    throw error;
  }
  context.sendJson(res, 201, links);
}

/** Run ids a client may choose (`Idempotency-Key`): long enough to be unguessable if random. */
const CLIENT_KEY = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The run id of a start: the request's `Idempotency-Key` when it has one (`keyed`), else a
 * fresh random UUID; `undefined` when the key is not 16 to 128 letters, digits, `-` or `_`.
 */
export function startRunId(req: IncomingMessage): { runId: string; keyed: boolean } | undefined {
  const key = req.headers['idempotency-key'];
  if (key === undefined) return { runId: newRunId(), keyed: false };
  return typeof key === 'string' && CLIENT_KEY.test(key) ? { runId: key, keyed: true } : undefined;
}

/** A fresh run id: a random UUID, unguessable, so that knowing one run's URL reveals no other. */
export const newRunId = (): string => randomUUID();
