// Answering one request of the mock server: its route, its key and its refusing faults first,
// then the model list, a chat answer (streamed or JSON) or a Responses API route.
import { ApiError, errorForStatus, invalidRequest, type ApiErrorObject } from './api-errors';
import { MOCK_CREATED, planAnswer } from './answers';
import { dialectOf } from './dialects';
import { findFault, type Fault } from './faults';
import { sendError, sendJson, header } from './http';
import { jsonAnswer } from './json-answer';
import type { RequestContext } from './request-context';
import { streamAnswer } from './stream-answer';
import { respondResponses } from './respond-responses';
import { validateChatBody } from './validate';

/** The routes (a path pattern each) and their one method. */
const ROUTES: readonly [RegExp, string][] = [
  [/^\/v1\/chat\/completions$/, 'POST'],
  [/^\/v1\/models$/, 'GET'],
  [/^\/v1\/responses$/, 'POST'],
  [/^\/v1\/responses\/[^/]+$/, 'GET'],
  [/^\/v1\/responses\/[^/]+\/cancel$/, 'POST'],
];

/** The method of a route; `undefined` for an unknown path. */
const methodOf = (path: string) => ROUTES.find(([pattern]) => pattern.test(path))?.[1];

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

/**
 * The 401 of a request without the server's key, as OpenAI words it; `undefined` when the key
 * is right (the `azure` dialect also takes Azure's `api-key` header) or none is required.
 */
function keyProblem({ req, selection, defaults }: RequestContext): ApiErrorObject | undefined {
  if (defaults.apiKey === undefined) return undefined;
  const authorization = header(req.headers, 'authorization');
  const azureKey = selection.dialect === 'azure' ? header(req.headers, 'api-key') : undefined;
  if (authorization === `Bearer ${defaults.apiKey}` || azureKey === defaults.apiKey) {
    return undefined;
  }
  const message =
    authorization === undefined && azureKey === undefined
      ? "You didn't provide an API key. Send it in an Authorization header: Bearer YOUR_KEY."
      : 'Incorrect API key provided.';
  return { ...invalidRequest(message, null), code: 'invalid_api_key' };
}

/**
 * Why a request is refused whatever its body: an unknown route, a wrong method, a wrong key, an
 * invalid `x-mock-*` header or a `status:CODE` fault, in that order.
 */
function refusalOf(context: RequestContext): ApiError | undefined {
  const { req, selection, path } = context;
  const method = methodOf(path);
  if (method === undefined) {
    return new ApiError(404, invalidRequest(`Invalid URL (${req.method} ${path})`, null));
  }
  if (req.method !== method) {
    return new ApiError(
      405,
      invalidRequest(`Method ${req.method} is not allowed for ${path}; use ${method}`, null),
      { allow: method },
    );
  }
  const wrongKey = keyProblem(context);
  if (wrongKey) return new ApiError(401, wrongKey);
  if (selection.problem) return new ApiError(400, selection.problem);
  const status = findFault(selection.faults, 'status');
  if (status) {
    return new ApiError(
      status.status,
      errorForStatus(status.status, status.spec),
      retryHeaders(status),
    );
  }
  return undefined;
}

/** The request in the body, or the error that refuses it (413, or 400 naming the field). */
function bodyOf<T>(context: RequestContext, validate: (body: unknown) => T): T | ApiError {
  if (context.tooLarge)
    return new ApiError(413, invalidRequest('The request body is too large.', null));
  if (!context.bodyIsJson) {
    return new ApiError(
      400,
      invalidRequest(
        'We could not parse the JSON body of your request. The body must be a JSON object.',
        null,
      ),
    );
  }
  try {
    return validate(context.body);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
}

/** `GET /v1/models`: every model the server was given. */
function sendModels({ res, defaults, requestId }: RequestContext): void {
  sendJson(
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

/**
 * Answers one request whose body has arrived: after any `slow-headers` wait, an error when it is
 * refused, else the model list, the chat answer (streamed when the body asks for a stream) or
 * the Responses API routes (respond-responses.ts).
 *
 * @example
 * ```ts
 * respond(context).catch(() => res.destroy());
 * ```
 */
export async function respond(context: RequestContext): Promise<void> {
  const { res, lifetime, selection, requestId } = context;
  const fail = (error: ApiError) =>
    sendError(res, error.status, error.error, requestId, error.headers);

  const slow = findFault(selection.faults, 'slow-headers');
  if (slow && !(await lifetime.sleep(slow.ms))) return;

  const refusal = refusalOf(context);
  if (refusal) return fail(refusal);
  if (context.path === '/v1/models') return sendModels(context);

  if (context.path.startsWith('/v1/responses')) {
    return respondResponses(context, (validate) => bodyOf(context, validate));
  }

  const body = bodyOf(context, validateChatBody);
  if (body instanceof ApiError) return fail(body);
  const answer = planAnswer(body);
  const dialect = dialectOf(selection.dialect);
  if (body.stream) return streamAnswer(context, dialect, answer, body.includeUsage);
  return jsonAnswer(context, dialect, answer);
}
