// A chat answer as a stream: the dialect's frames, shaped by the faults, paced, then ended.
import { faultError } from './api-errors';
import type { PlannedAnswer } from './answers';
import type { Dialect } from './dialects';
import { findFault } from './faults';
import type { SseFrame } from './frames';
import { sendError } from './http';
import { createPacer, FramePacing } from './pacing';
import type { RequestContext } from './request-context';
import { KEEPALIVE_INTERVAL_MS, scriptStream, type StreamScript } from './stream-script';

/**
 * Writes the frames one by one, each after its wait, waiting for the socket to drain when it is
 * full. With `cutAfterLast`, the socket is destroyed once the last frame has been handed to the
 * OS. Resolves with `false` when the response ended first (the client left, or the server
 * closed).
 *
 * @example
 * ```ts
 * if (await writeFrames(context, script.frames, pacing, false)) endStream(context, script);
 * ```
 */
export async function writeFrames(
  context: RequestContext,
  frames: readonly SseFrame[],
  pacing: FramePacing,
  cutAfterLast: boolean,
): Promise<boolean> {
  const { res, lifetime } = context;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    const wait = pacing.waitBefore(frame);
    if (wait > 0 && !(await lifetime.sleep(wait))) return false;
    if (!lifetime.alive) return false;
    const cut = cutAfterLast && i === frames.length - 1;
    const accepted = res.write(frame.text, cut ? () => context.cutByServer() : undefined);
    if (!accepted && !(await lifetime.drained(res))) return false;
  }
  return true;
}

/**
 * Ends a stream whose frames have all been written, the way its script says.
 *
 * @example
 * ```ts
 * endStream(context, { frames: [], ending: 'keepalive' }); // a comment every 100 ms from now
 * ```
 */
export function endStream(context: RequestContext, script: StreamScript): void {
  const { res, lifetime } = context;
  switch (script.ending) {
    case 'end':
      res.end();
      return;
    case 'destroy':
      // With frames, the last write already cut the socket.
      if (script.frames.length === 0) context.cutByServer();
      return;
    case 'keepalive':
      lifetime.every(KEEPALIVE_INTERVAL_MS, () => res.write(': keep-alive\n\n'));
      return;
    case 'stall':
      return;
  }
}

/**
 * Streams an answer in a dialect, with the request's faults and pace: the headers at once, then
 * each frame after its wait, then the ending the faults chose.
 *
 * @example
 * ```ts
 * await streamAnswer(context, dialectOf('groq'), planAnswer(body), body.includeUsage);
 * ```
 */
export async function streamAnswer(
  context: RequestContext,
  dialect: Dialect,
  answer: PlannedAnswer,
  includeUsage: boolean,
): Promise<void> {
  const { res, selection, requestId } = context;
  const errorBefore = findFault(selection.faults, 'error-before');
  if (errorBefore && dialect.errorsBeforeStreamAreJson) {
    // F5: an error before the stream starts is a plain JSON response.
    const { status, error } = faultError(errorBefore);
    return sendError(res, status, error, requestId);
  }

  const script = scriptStream(
    dialect.stream(answer, { includeUsage }),
    selection.faults,
    (fault) => {
      const { status, error } = faultError(fault);
      return dialect.errorFrames(answer, error, status);
    },
  );

  res.writeHead(200, {
    'content-type': dialect.contentType,
    'cache-control': 'no-cache',
    ...dialect.headers(requestId),
  });
  res.flushHeaders();

  const pacing = new FramePacing(createPacer(selection.pace, answer.seed));
  const written = await writeFrames(context, script.frames, pacing, script.ending === 'destroy');
  if (written) endStream(context, script);
}
