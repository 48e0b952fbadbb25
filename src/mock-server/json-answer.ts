// A chat answer as one JSON completion, with the faults a non-streaming answer can have.
import { faultError } from './api-errors';
import { completionTokens, type PlannedAnswer } from './answers';
import type { Dialect } from './dialects';
import { findFault, type Fault } from './faults';
import { sendError } from './http';
import { createPacer, wholeAnswerWait } from './pacing';
import type { RequestContext } from './request-context';

/** The body's bytes, padded (`oversized-event`) or cut in half (`malformed-json`). */
function bodyBytes(value: Record<string, unknown>, faults: readonly Fault[]) {
  const oversized = findFault(faults, 'oversized-event');
  const padded = oversized ? { ...value, mock_padding: 'x'.repeat(oversized.bytes) } : value;
  const text = JSON.stringify(padded);
  const malformed = findFault(faults, 'malformed-json') !== undefined;
  return Buffer.from(malformed ? text.slice(0, Math.floor(text.length / 2)) : text, 'utf8');
}

/**
 * Answers with one JSON object (a `chat.completion`, a Response) once its `tokens` would have
 * streamed, with the faults a body without a stream can have: `error-before` and `error-after`
 * are statuses; `stall` sends the headers only, `disconnect-after` cuts the body halfway,
 * `malformed-json` truncates it and `oversized-event` pads it. `value` is only built when sent.
 *
 * @example
 * ```ts
 * await sendWholeAnswer(context, () => response, 24, { 'x-request-id': requestId }, seed);
 * ```
 */
export async function sendWholeAnswer(
  context: RequestContext,
  value: () => Record<string, unknown>,
  tokens: number,
  headers: Record<string, string>,
  seed: number,
): Promise<void> {
  const { res, lifetime, selection, requestId } = context;
  const faults = selection.faults;

  const wait = wholeAnswerWait(createPacer(selection.pace, seed), tokens);
  if (wait > 0 && !(await lifetime.sleep(wait))) return;

  const errorFault = findFault(faults, 'error-before') ?? findFault(faults, 'error-after');
  if (errorFault) {
    const { status, error } = faultError(errorFault);
    return sendError(res, status, error, requestId);
  }

  const bytes = bodyBytes(value(), faults);
  const allHeaders = { 'content-type': 'application/json', ...headers };
  if (findFault(faults, 'stall')) {
    res.writeHead(200, allHeaders);
    res.flushHeaders();
    return;
  }
  res.writeHead(200, { ...allHeaders, 'content-length': bytes.length });
  if (findFault(faults, 'disconnect-after')) {
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => context.cutByServer());
    return;
  }
  res.end(bytes);
}

/**
 * Answers with one `chat.completion` in a dialect, once the whole answer would have streamed,
 * with the faults of {@link sendWholeAnswer}.
 *
 * @example
 * ```ts
 * await jsonAnswer(context, dialectOf('openai'), planAnswer(body));
 * ```
 */
export function jsonAnswer(
  context: RequestContext,
  dialect: Dialect,
  answer: PlannedAnswer,
): Promise<void> {
  return sendWholeAnswer(
    context,
    () => dialect.completion(answer),
    completionTokens(answer, false),
    { 'x-request-id': context.requestId, ...dialect.headers(context.requestId) },
    answer.seed,
  );
}
