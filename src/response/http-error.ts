import { excerpt, providerErrorFrom, RxChatError, type ProviderErrorDetails } from '../errors';
import type { BoundedText } from './read-text';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  529: 'Overloaded',
};

/** How much of a non-JSON error body the error keeps. */
const TEXT_EXCERPT = 1024;

/** The request id of a response: OpenAI's `x-request-id` or a provider's equivalent. */
export function requestIdOf(headers: Readonly<Record<string, string>>): string | undefined {
  return (
    headers['x-request-id'] ?? headers['request-id'] ?? headers['apim-request-id'] ?? undefined
  );
}

/**
 * How long the server asked us to wait, in milliseconds: `retry-after-ms`, else `retry-after` in
 * seconds or as an HTTP date. `undefined` when absent or unreadable; never negative.
 */
export function retryAfterOf(
  headers: Readonly<Record<string, string>>,
  now = Date.now(),
): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers['retry-after']?.trim();
  if (!after) return undefined;
  if (/^\d+(\.\d+)?$/.test(after)) return Number(after) * 1000;
  // Only an HTTP date is left (Date.parse would read "-1" as a year).
  if (!/^[a-z]{3}/i.test(after)) return undefined;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** `x-should-retry: true|false` overrides our judgement, as OpenAI's servers intend. */
function shouldRetryHeader(headers: Readonly<Record<string, string>>): boolean | undefined {
  const value = headers['x-should-retry']?.trim().toLowerCase();
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

/**
 * The `http_error` for a non-2xx response: status, headers, request id, retry hints and the
 * provider's error (an OpenAI-style JSON body, a JSON string, or the first KiB of anything else),
 * in one line.
 */
export function httpError(
  status: number,
  headers: Readonly<Record<string, string>>,
  body: BoundedText,
): RxChatError {
  const text = body.text.trim();
  let provider: ProviderErrorDetails | null = null;
  // A JSON string is a message too (`"Rate limit exceeded"`): read it to drop the quotes.
  if (text.startsWith('{') || text.startsWith('[') || text.startsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(text);
      const first = Array.isArray(parsed) ? parsed[0] : parsed; // some gateways wrap it in a list
      provider = providerErrorFrom(first, excerpt(text, TEXT_EXCERPT));
    } catch {
      // Not JSON after all (or cut by the bound): keep it as text below.
    }
  }
  const shown = provider?.message ?? (text ? excerpt(text, TEXT_EXCERPT) : '');
  const requestId = requestIdOf(headers);
  const statusText = STATUS_TEXT[status];
  const message = [
    `HTTP ${status}${statusText ? ` ${statusText}` : ''}`,
    shown ? `: ${shown.replace(/\s+/g, ' ')}` : '',
    requestId ? ` (request id ${requestId})` : '',
  ].join('');
  const retryable = shouldRetryHeader(headers);
  return new RxChatError('http_error', message, {
    status,
    headers,
    provider,
    requestId,
    retryAfterMs: retryAfterOf(headers),
    data: text ? excerpt(text, TEXT_EXCERPT) : undefined,
    ...(retryable === undefined ? {} : { retryable }),
  });
}
