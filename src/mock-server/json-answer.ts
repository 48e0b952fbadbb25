// A chat answer as one JSON completion, with the faults a non-streaming answer can have.
import { faultError } from './api-errors';
import { completionTokens, type PlannedAnswer } from './answers';
import type { Dialect } from './dialects';
import { findFault, type Fault } from './faults';
import { sendError } from './http';
import { createPacer, wholeAnswerWait } from './pacing';
import type { RequestContext } from './request-context';

/** The completion's bytes, padded (`oversized-event`) or cut in half (`malformed-json`). */
function completionBytes(dialect: Dialect, answer: PlannedAnswer, faults: readonly Fault[]) {
  const completion = dialect.completion(answer);
  const oversized = findFault(faults, 'oversized-event');
  if (oversized) completion.mock_padding = 'x'.repeat(oversized.bytes);
  const text = JSON.stringify(completion);
  const malformed = findFault(faults, 'malformed-json') !== undefined;
  return Buffer.from(malformed ? text.slice(0, Math.floor(text.length / 2)) : text, 'utf8');
}

/**
 * Answers with one `chat.completion` in a dialect, once the whole answer would have streamed.
 * Without a stream, `error-before` and `error-after` are statuses; `stall` sends the headers
 * only, and `disconnect-after` cuts the body halfway.
 *
 * @example
 * ```ts
 * await jsonAnswer(context, dialectOf('openai'), planAnswer(body));
 * ```
 */
export async function jsonAnswer(
  context: RequestContext,
  dialect: Dialect,
  answer: PlannedAnswer,
): Promise<void> {
  const { res, lifetime, selection, requestId } = context;
  const faults = selection.faults;

  const pacer = createPacer(selection.pace, answer.seed);
  const wait = wholeAnswerWait(pacer, completionTokens(answer, false));
  if (wait > 0 && !(await lifetime.sleep(wait))) return;

  const errorFault = findFault(faults, 'error-before') ?? findFault(faults, 'error-after');
  if (errorFault) {
    const { status, error } = faultError(errorFault);
    return sendError(res, status, error, requestId);
  }

  const bytes = completionBytes(dialect, answer, faults);
  const headers = {
    'content-type': 'application/json',
    'x-request-id': requestId,
    ...dialect.headers(requestId),
  };
  if (findFault(faults, 'stall')) {
    res.writeHead(200, headers);
    res.flushHeaders();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': bytes.length });
  if (findFault(faults, 'disconnect-after')) {
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => context.cutByServer());
    return;
  }
  res.end(bytes);
}
