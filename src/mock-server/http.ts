// Reading request headers and writing JSON responses: what every route of the mock server needs.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { ApiErrorObject } from './api-errors';

/**
 * A request header as one string (repeated headers joined with `, `).
 *
 * @example
 * ```ts
 * header(req.headers, 'x-mock-fault'); // 'error-after:2, slow-headers:100'
 * ```
 */
export const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/**
 * Answers with `value` as a JSON body, its length announced.
 *
 * @example
 * ```ts
 * sendJson(res, 200, { object: 'list', data: [] }, { 'x-request-id': requestId });
 * ```
 */
export function sendJson(
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

/**
 * Answers with an OpenAI-style error body, `{"error": {...}}`, and the request id.
 *
 * @example
 * ```ts
 * sendError(res, 404, invalidRequest('Invalid URL (GET /v2)', null), 'req_mock_1');
 * ```
 */
export function sendError(
  res: ServerResponse,
  status: number,
  error: ApiErrorObject,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error }, { 'x-request-id': requestId, ...headers });
}
