// OpenAI's Responses API on the mock server: `POST /v1/responses` (streamed, JSON or in the
// background), `GET /v1/responses/{id}` (the object, or its stored events resumed) and
// `POST /v1/responses/{id}/cancel`. Answers are planned as chat's are, so the text is the same.
import { ApiError, faultError, invalidRequest } from './api-errors';
import { completionTokens, planAnswer } from './answers';
import { dialectOf } from './dialects';
import { findFault, type Fault } from './faults';
import type { SseFrame } from './frames';
import { sendError, sendJson } from './http';
import { jsonAnswer, sendWholeAnswer } from './json-answer';
import { FramePacing, createPacer } from './pacing';
import type { RequestContext } from './request-context';
import { validateResponsesBody, type ResponsesBody } from './responses-body';
import { responsesWire } from './responses-dialects';
import {
  answerEvents,
  TERMINAL_TYPES,
  type ErrorCut,
  type ResponseEvent,
  type ResponsePlan,
} from './responses-events';
import { ResponseRun, type RunEntry } from './responses-store';
import { endStream, streamAnswer, writeFrames } from './stream-answer';
import { KEEPALIVE_INTERVAL_MS, scriptStream, type InsertShapes } from './stream-script';

type Fields = Record<string, unknown>;

/** The frames `malformed-json` and `oversized-event` insert into a Responses stream. */
const RESPONSES_SHAPES: InsertShapes = {
  malformed: {
    text: 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"cut off\n\n',
    kind: 'data',
    tokens: false,
  },
  // An event type no client knows, without a sequence number: it carries no output.
  oversized: (bytes) => ({
    text: `event: response.mock_padding\ndata: {"type":"response.mock_padding","mock_padding":"${'x'.repeat(bytes)}"}\n\n`,
    kind: 'data',
    tokens: false,
  }),
};

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

/** The 404 of an id the server does not keep, as OpenAI words it. */
const notFound = (id: string) =>
  new ApiError(404, invalidRequest(`Response with id '${id}' not found.`, null));

/** Where the request's error fault cuts the answer; `undefined` without one. */
function errorCutOf(faults: readonly Fault[]): ErrorCut | undefined {
  const before = findFault(faults, 'error-before');
  if (before) return { after: 'start', error: faultError(before).error };
  const afters = faults.filter(
    (fault): fault is Extract<Fault, { kind: 'error-after' }> => fault.kind === 'error-after',
  );
  if (afters.length === 0) return undefined;
  const first = afters.reduce((a, b) => (b.after < a.after ? b : a));
  return { after: first.after, error: faultError(first).error };
}

/**
 * The faults that shape the connection, not the response: an error fault has already ended the
 * events, so a cut at or after its place would hide the error it wins over.
 */
function connectionFaults(faults: readonly Fault[], cut: ErrorCut | undefined): Fault[] {
  return faults.filter((fault) => {
    if (fault.kind === 'error-before' || fault.kind === 'error-after') return false;
    if (fault.kind !== 'disconnect-after' || cut === undefined) return true;
    return cut.after !== 'start' && fault.after < cut.after;
  });
}

/** The Response a list of events ends with (its terminal event's). */
const finalResponse = (events: readonly ResponseEvent[]): Fields =>
  events.find((event) => TERMINAL_TYPES.has(event.type))!.fields.response as Fields;

/** A run's frames as entries: each with the event it carries (read back from its data line). */
const entriesOf = (frames: readonly SseFrame[]): RunEntry[] =>
  frames.map((frame) => ({
    frame,
    event: JSON.parse(frame.text.slice(frame.text.indexOf('\ndata: ') + 7, -2)) as Fields,
  }));

/**
 * Streams a run to one connection from after `startingAfter`: entries as they come, the end
 * with the run's. `disconnect-after:N` cuts this connection after its Nth token event and
 * `stall` stops writing after the first event (with `stall:keepalive`, comments instead); the
 * run goes on whatever happens here.
 */
function followRun(context: RequestContext, run: ResponseRun, startingAfter: number): void {
  const { res, lifetime, selection, requestId } = context;
  const disconnect = findFault(selection.faults, 'disconnect-after');
  const stall = findFault(selection.faults, 'stall');
  res.writeHead(200, { ...SSE_HEADERS, 'x-request-id': requestId });
  res.flushHeaders();
  let written = 0;
  let tokens = 0;
  // Whether this connection still follows the run (a fault may stop it while the run goes on).
  let following = true;
  const unlisten = run.listen(startingAfter, {
    entry: ({ frame }) => {
      if (!following || !lifetime.alive) return;
      if (disconnect?.after === 0 && frame.tokens) {
        following = false;
        return context.cutByServer();
      }
      res.write(frame.text);
      written++;
      if (frame.tokens) tokens++;
      if (disconnect && frame.tokens && tokens === disconnect.after) {
        following = false;
        context.cutByServer();
      } else if (stall && written === 1) {
        following = false;
        if (stall.keepAlive) {
          lifetime.every(KEEPALIVE_INTERVAL_MS, () => res.write(': keep-alive\n\n'));
        }
      }
    },
    end: () => {
      if (following && lifetime.alive) res.end();
    },
  });
  // The client left: stop writing to it; the run goes on for whoever resumes.
  res.once('close', unlisten);
}

/** A background response: stored, generating at its pace, followed by this request if streamed. */
function startBackground(context: RequestContext, plan: ResponsePlan, cut: ErrorCut | undefined) {
  const { selection } = context;
  const events = answerEvents(plan, cut);
  const frames = responsesWire(selection.dialect, events);
  const done = frames.at(-1)?.kind === 'done';
  const entries = entriesOf(done ? frames.slice(0, -1) : frames);
  const run = new ResponseRun(plan, entries, selection.pace, done);
  context.responses.add(plan.id, { background: true, run, response: () => run.response() });
  void run.start();
  if (plan.body.stream) return followRun(context, run, -1);
  sendJson(context.res, 200, run.response(), { 'x-request-id': context.requestId });
}

/** A streamed response: the dialect's frames, shaped by the faults, paced, stored once sent. */
async function streamResponse(
  context: RequestContext,
  plan: ResponsePlan,
  cut: ErrorCut | undefined,
): Promise<void> {
  const { res, selection, requestId } = context;
  const events = answerEvents(plan, cut);
  const script = scriptStream(
    responsesWire(selection.dialect, events),
    connectionFaults(selection.faults, cut),
    () => [],
    RESPONSES_SHAPES,
  );
  res.writeHead(200, { ...SSE_HEADERS, 'x-request-id': requestId });
  res.flushHeaders();
  const pacing = new FramePacing(createPacer(selection.pace, plan.answer.seed));
  const written = await writeFrames(context, script.frames, pacing, script.ending === 'destroy');
  if (!written) return;
  endStream(context, script);
  if (script.ending === 'end' && plan.body.store) {
    const response = finalResponse(events);
    context.responses.add(plan.id, { background: false, response: () => response });
  }
}

/** `POST /v1/responses`. */
async function createResponse(context: RequestContext, body: ResponsesBody): Promise<void> {
  const { selection, requestId } = context;
  const answer = planAnswer(body.answerRequest);
  if (selection.dialect === 'chat-on-responses') {
    // A Chat-only server answers whatever it is asked as a chat completion.
    const dialect = dialectOf(selection.dialect);
    if (body.stream) return streamAnswer(context, dialect, answer, false);
    return jsonAnswer(context, dialect, answer);
  }
  const plan: ResponsePlan = { id: context.responses.newId(answer.seed), body, answer };
  const cut = errorCutOf(selection.faults);
  if (body.background) return startBackground(context, plan, cut);
  if (body.stream) return streamResponse(context, plan, cut);
  const response = finalResponse(answerEvents(plan));
  // A JSON answer with an error fault is an error status: there is no response to keep.
  if (body.store && !cut) {
    context.responses.add(plan.id, { background: false, response: () => response });
  }
  const tokens = completionTokens(answer, body.reasons);
  return sendWholeAnswer(
    context,
    () => response,
    tokens,
    { 'x-request-id': requestId },
    answer.seed,
  );
}

/** `GET /v1/responses/{id}`: the Response as it stands, or with `stream=true` its events. */
function retrieveResponse(context: RequestContext, id: string): ApiError | undefined {
  const stored = context.responses.get(id);
  if (!stored) return notFound(id);
  const query = new URL(context.req.url ?? '/', 'http://mock').searchParams;
  if (query.get('stream') !== 'true') {
    sendJson(context.res, 200, stored.response(), { 'x-request-id': context.requestId });
    return undefined;
  }
  if (!stored.run) {
    return new ApiError(
      400,
      invalidRequest('Only responses created with background=true can be streamed.', 'stream'),
    );
  }
  const after = Number(query.get('starting_after') ?? '-1');
  if (!Number.isInteger(after)) {
    return new ApiError(
      400,
      invalidRequest("Invalid 'starting_after': expected an integer.", 'starting_after'),
    );
  }
  followRun(context, stored.run, after);
  return undefined;
}

/** `POST /v1/responses/{id}/cancel`: only a background response can be cancelled. */
function cancelResponse(context: RequestContext, id: string): ApiError | undefined {
  const stored = context.responses.get(id);
  if (!stored) return notFound(id);
  if (!stored.run) {
    return new ApiError(
      400,
      invalidRequest('Only responses created with background=true can be cancelled.', null),
    );
  }
  sendJson(context.res, 200, stored.run.cancel(), { 'x-request-id': context.requestId });
  return undefined;
}

/**
 * Answers a request to one of the Responses routes (its route, method and key already checked):
 * `body` is the request body once validated, or the error that refuses it, for `POST
 * /v1/responses` only.
 *
 * @example
 * ```ts
 * if (context.path.startsWith('/v1/responses')) return respondResponses(context, bodyOf);
 * ```
 */
export async function respondResponses(
  context: RequestContext,
  bodyOf: <T>(validate: (body: unknown) => T) => T | ApiError,
): Promise<void> {
  const { res, requestId, path } = context;
  const fail = (error: ApiError) =>
    sendError(res, error.status, error.error, requestId, error.headers);
  const [, , , id, action] = path.split('/');
  let refusal: ApiError | undefined;
  if (id === undefined) {
    const body = bodyOf(validateResponsesBody);
    if (body instanceof ApiError) return fail(body);
    return createResponse(context, body);
  }
  if (action === 'cancel') refusal = cancelResponse(context, id);
  else refusal = retrieveResponse(context, id);
  if (refusal) fail(refusal);
}
