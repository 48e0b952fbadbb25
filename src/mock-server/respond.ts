// Answering one request of the mock server: routing, auth, faults, streams and JSON answers.
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  ApiError,
  errorForStatus,
  invalidRequest,
  rateLimitError,
  serverError,
  type ApiErrorObject,
} from './api-errors';
import { completionTokens, MOCK_CREATED, planAnswer, type PlannedAnswer } from './answers';
import { dialectOf, type Dialect } from './dialects';
import { KEEPALIVE_INTERVAL_MS, scriptStream, type Fault, type StreamScript } from './faults';
import { ResponseLifetime } from './lifetime';
import { createPacer } from './pacing';
import type { Defaults, Selection } from './server';
import { validateChatBody, type ChatBody } from './validate';

/** A request header as one string (repeated headers joined with `, `). */
export const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/** The routes and their one method. */
const ROUTES: Record<string, string> = {
  '/v1/chat/completions': 'POST',
  '/v1/models': 'GET',
};

/** Everything one response needs. */
export interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  lifetime: ResponseLifetime;
  selection: Selection;
  defaults: Defaults;
  requestId: string;
  /** Destroys the socket as a fault (so `closed` reports `byClient: false`). */
  cutByServer(): void;
  /** The parsed body (`undefined` unless `bodyIsJson`). */
  body: unknown;
  bodyIsJson: boolean;
  tooLarge: boolean;
  path: string;
}

function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  error: ApiErrorObject,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error }, { 'x-request-id': requestId, ...headers });
}

/** The response headers of a `status:CODE` fault. */
function retryHeaders(fault: Extract<Fault, { kind: 'status' }>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(fault.retryAfterSeconds);
  }
  if (fault.retryAfterMs !== undefined) {
    headers['retry-after-ms'] = String(fault.retryAfterMs);
    headers['retry-after'] ??= String(Math.ceil(fault.retryAfterMs / 1000));
  }
  return headers;
}

export async function respond(context: Context): Promise<void> {
  const { req, res, lifetime, selection, defaults, requestId, path } = context;
  const faults = selection.faults;
  const fail = (status: number, error: ApiErrorObject, headers: Record<string, string> = {}) =>
    sendError(res, status, error, requestId, headers);

  const slow = faults.find((fault) => fault.kind === 'slow-headers');
  if (slow && !(await lifetime.sleep(slow.ms))) return;

  const method = ROUTES[path];
  if (method === undefined) {
    return fail(404, invalidRequest(`Invalid URL (${req.method} ${path})`, null));
  }
  if (req.method !== method) {
    return fail(
      405,
      invalidRequest(`Method ${req.method} is not allowed for ${path}; use ${method}`, null),
      { allow: method },
    );
  }
  if (defaults.apiKey !== undefined) {
    const authorization = header(req.headers, 'authorization');
    const azureKey = selection.dialect === 'azure' ? header(req.headers, 'api-key') : undefined;
    if (authorization !== `Bearer ${defaults.apiKey}` && azureKey !== defaults.apiKey) {
      const message =
        authorization === undefined && azureKey === undefined
          ? "You didn't provide an API key. Send it in an Authorization header: Bearer YOUR_KEY."
          : 'Incorrect API key provided.';
      return fail(401, { ...invalidRequest(message, null), code: 'invalid_api_key' });
    }
  }
  if (selection.problem) return fail(400, selection.problem);
  const status = faults.find((fault) => fault.kind === 'status');
  if (status) {
    return fail(status.status, errorForStatus(status.status, status.spec), retryHeaders(status));
  }

  if (path === '/v1/models') {
    return sendJson(
      res,
      200,
      {
        object: 'list',
        data: defaults.models.map((id) => ({
          id,
          object: 'model',
          created: MOCK_CREATED,
          owned_by: 'rxchat-mock',
        })),
      },
      { 'x-request-id': requestId },
    );
  }

  if (context.tooLarge) {
    return fail(413, invalidRequest('The request body is too large.', null));
  }
  if (!context.bodyIsJson) {
    return fail(
      400,
      invalidRequest(
        'We could not parse the JSON body of your request. The body must be a JSON object.',
        null,
      ),
    );
  }
  let body: ChatBody;
  try {
    body = validateChatBody(context.body);
  } catch (error) {
    if (error instanceof ApiError) return fail(error.status, error.error, error.headers);
    throw error;
  }

  const answer = planAnswer(body);
  const dialect = dialectOf(selection.dialect);
  if (body.stream) return streamAnswer(context, dialect, answer, body);
  return jsonAnswer(context, dialect, answer);
}

async function streamAnswer(
  context: Context,
  dialect: Dialect,
  answer: PlannedAnswer,
  body: ChatBody,
): Promise<void> {
  const { res, lifetime, selection, requestId } = context;
  const faults = selection.faults;
  const errorBefore = faults.find((fault) => fault.kind === 'error-before');
  if (errorBefore && dialect.errorsBeforeStreamAreJson) {
    // F5: an error before the stream starts is a plain JSON response.
    return sendError(res, 429, rateLimitError(` (mock fault ${errorBefore.spec})`), requestId);
  }

  const script: StreamScript = scriptStream(
    dialect.stream(answer, { includeUsage: body.includeUsage }),
    faults,
    (fault) =>
      fault.kind === 'error-before'
        ? dialect.errorFrames(answer, rateLimitError(` (mock fault ${fault.spec})`), 429)
        : dialect.errorFrames(answer, serverError(` (mock fault ${fault.spec})`), 500),
  );

  res.writeHead(200, {
    'content-type': dialect.contentType,
    'cache-control': 'no-cache',
    ...dialect.headers(requestId),
  });
  res.flushHeaders();

  const pacer = createPacer(selection.pace, answer.seed);
  let waitedFirst = false;
  const { frames, ending } = script;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    let wait = 0;
    if (!waitedFirst && frame.kind !== 'comment') {
      waitedFirst = true;
      wait = pacer.first();
    } else if (frame.tokens) {
      wait = pacer.token();
    }
    if (wait > 0 && !(await lifetime.sleep(wait))) return;
    if (!lifetime.alive) return;
    // The socket is destroyed only once the last frame has been handed to the OS.
    const last = i === frames.length - 1 && ending === 'destroy';
    const accepted = res.write(frame.text, last ? () => context.cutByServer() : undefined);
    if (!accepted && !(await lifetime.drained(res))) return;
  }

  switch (ending) {
    case 'end':
      res.end();
      return;
    case 'destroy':
      if (frames.length === 0) context.cutByServer();
      return;
    case 'keepalive':
      lifetime.every(KEEPALIVE_INTERVAL_MS, () => res.write(': keep-alive\n\n'));
      return;
    case 'stall':
      return;
  }
}

async function jsonAnswer(
  context: Context,
  dialect: Dialect,
  answer: PlannedAnswer,
): Promise<void> {
  const { res, lifetime, selection, requestId } = context;
  const faults = selection.faults;
  const faultOf = <K extends Fault['kind']>(kind: K) =>
    faults.find((fault): fault is Extract<Fault, { kind: K }> => fault.kind === kind);

  // A JSON answer comes when it is whole: after the first-token wait and every token's.
  const pacer = createPacer(selection.pace, answer.seed);
  let wait = pacer.first();
  for (let i = completionTokens(answer, false); i > 0; i--) wait += pacer.token();
  if (wait > 0 && !(await lifetime.sleep(wait))) return;

  // Without a stream, errors are statuses.
  const errorBefore = faultOf('error-before');
  if (errorBefore) {
    return sendError(res, 429, rateLimitError(` (mock fault ${errorBefore.spec})`), requestId);
  }
  const errorAfter = faultOf('error-after');
  if (errorAfter) {
    return sendError(res, 500, serverError(` (mock fault ${errorAfter.spec})`), requestId);
  }

  const completion = dialect.completion(answer);
  const oversized = faultOf('oversized-event');
  if (oversized) completion.mock_padding = 'x'.repeat(oversized.bytes);
  let text = JSON.stringify(completion);
  if (faultOf('malformed-json')) text = text.slice(0, Math.floor(text.length / 2));
  const bytes = Buffer.from(text, 'utf8');
  const headers = {
    'content-type': 'application/json',
    'x-request-id': requestId,
    ...dialect.headers(requestId),
  };

  if (faultOf('stall')) {
    res.writeHead(200, headers);
    res.flushHeaders();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': bytes.length });
  if (faultOf('disconnect-after')) {
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => context.cutByServer());
    return;
  }
  res.end(bytes);
}
