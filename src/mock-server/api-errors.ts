import type { ErrorFault } from './faults';

/**
 * The `error` object of an OpenAI-style error body: `{"error": {message, type, code, param}}`.
 *
 * @example
 * ```ts
 * const body: { error: ApiErrorObject } = {
 *   error: { message: 'Invalid model', type: 'invalid_request_error', code: null, param: 'model' },
 * };
 * ```
 */
export interface ApiErrorObject {
  message: string;
  type: string;
  code: string | null;
  param: string | null;
}

/**
 * An error the server answers with: an HTTP status, an OpenAI-style body and extra headers.
 *
 * @example
 * ```ts
 * throw new ApiError(400, invalidRequest('you must provide a model parameter', 'model'));
 * ```
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiErrorObject,
    readonly headers: Record<string, string> = {},
  ) {
    super(error.message);
    this.name = 'ApiError';
  }
}

/**
 * A 400 `invalid_request_error` naming the parameter at fault, as OpenAI words them.
 *
 * @example
 * ```ts
 * invalidRequest("'messages' must contain at least one message", 'messages');
 * ```
 */
export function invalidRequest(
  message: string,
  param: string | null,
  code: string | null = null,
): ApiErrorObject {
  return { message, type: 'invalid_request_error', code, param };
}

/**
 * The error body of an injected `status:CODE` fault (or of `error-before` / `error-after` without
 * streaming): what OpenAI sends for that status, marked as coming from the mock.
 *
 * @example
 * ```ts
 * errorForStatus(429).code; // 'rate_limit_exceeded'
 * ```
 */
export function errorForStatus(status: number, reason = `status:${status}`): ApiErrorObject {
  const mock = ` (mock fault ${reason})`;
  switch (status) {
    case 400:
      return invalidRequest(`Bad request${mock}`, null);
    case 401:
      return {
        message: `Incorrect API key provided${mock}`,
        type: 'invalid_request_error',
        code: 'invalid_api_key',
        param: null,
      };
    case 403:
      return { message: `Forbidden${mock}`, type: 'permission_error', code: null, param: null };
    case 404:
      return {
        message: `Not found${mock}`,
        type: 'invalid_request_error',
        code: null,
        param: null,
      };
    case 408:
      return { message: `Request timed out${mock}`, type: 'timeout', code: null, param: null };
    case 409:
      return { message: `Conflict${mock}`, type: 'conflict', code: null, param: null };
    case 429:
      return rateLimitError(mock);
    case 503:
      return {
        message: `The server is overloaded or not ready yet${mock}`,
        type: 'server_error',
        code: 'service_unavailable',
        param: null,
      };
    default:
      return status >= 500
        ? serverError(mock)
        : invalidRequest(`Request failed with status ${status}${mock}`, null);
  }
}

/**
 * The rate-limit error of a 429 or of an `error-before` frame (code `rate_limit_exceeded`).
 *
 * @example
 * ```ts
 * rateLimitError(' (mock fault error-before)').type; // 'requests'
 * ```
 */
export function rateLimitError(suffix: string): ApiErrorObject {
  return {
    message: `Rate limit reached for requests. Please try again shortly${suffix}`,
    type: 'requests',
    code: 'rate_limit_exceeded',
    param: null,
  };
}

/**
 * The server error of a 5xx or of an `error-after` frame (code `server_error`).
 *
 * @example
 * ```ts
 * serverError(' (mock fault error-after:2)').code; // 'server_error'
 * ```
 */
export function serverError(suffix: string): ApiErrorObject {
  return {
    message: `The server had an error while processing your request${suffix}`,
    type: 'server_error',
    code: 'server_error',
    param: null,
  };
}

/**
 * What an `error-before` or `error-after` fault reports, as a status and an error body: a rate
 * limit (429) before any output, a server error (500) after some. A stream carries it in its
 * error frames, a JSON answer as its status.
 *
 * @example
 * ```ts
 * faultError(parseFault('error-after:2')); // { status: 500, error: { code: 'server_error', ... } }
 * ```
 */
export function faultError(fault: ErrorFault): { status: number; error: ApiErrorObject } {
  const suffix = ` (mock fault ${fault.spec})`;
  return fault.kind === 'error-before'
    ? { status: 429, error: rateLimitError(suffix) }
    : { status: 500, error: serverError(suffix) };
}
