// CORS, so that web pages on other origins can call the mock server.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Response headers a browser page may read: request ids and retry hints. */
const EXPOSED_HEADERS = 'x-request-id, request-id, retry-after, retry-after-ms, x-should-retry';

/**
 * Adds the CORS headers to `res` and answers a preflight. Returns true when the request was a
 * preflight and has been answered.
 *
 * @example
 * ```ts
 * if (allowCrossOrigin(req, res, true)) return; // an OPTIONS preflight, answered 204
 * ```
 */
export function allowCrossOrigin(
  req: IncomingMessage,
  res: ServerResponse,
  cors: true | string,
): boolean {
  const origin = cors === true ? '*' : cors;
  res.setHeader('access-control-allow-origin', origin);
  if (origin !== '*') res.setHeader('vary', 'origin');
  res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    // Whatever the page asks to send (authorization, x-mock-fault, ...): it is a mock.
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
    'access-control-max-age': '600',
    'content-length': '0',
  });
  res.end();
  req.resume();
  return true;
}
