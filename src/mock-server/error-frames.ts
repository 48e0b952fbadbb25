// How each dialect reports an error in the middle of a stream.
import type { ApiErrorObject } from './api-errors';
import type { PlannedAnswer } from './answers';
import { data, DONE, errorEvent, type SseFrame } from './frames';
import type { Style } from './style';

/**
 * The frames that report an error mid-stream, in the style's way (`status` is the HTTP status
 * the error stands for).
 *
 * @example
 * ```ts
 * writeErrorFrames(STYLES.groq, answer, serverError(''), 500); // one `event: error` frame
 * ```
 */
export function writeErrorFrames(
  style: Style,
  answer: PlannedAnswer,
  error: ApiErrorObject,
  status: number,
): SseFrame[] {
  switch (style.errorStyle) {
    case 'event':
      // E2 / F2: an `event: error` frame, then the connection closes without [DONE].
      return [errorEvent({ error: { ...error, status_code: status } })];
    case 'openrouter':
      // E1: a data chunk with a top-level error (numeric code) and a choice, then [DONE].
      return [
        data({
          ...style.head(answer),
          error: { code: status, message: error.message },
          choices: [
            {
              index: 0,
              delta: { role: 'assistant', content: '' },
              finish_reason: null,
              native_finish_reason: null,
              logprobs: null,
            },
          ],
        }),
        DONE,
      ];
    default:
      return [data({ error })];
  }
}
