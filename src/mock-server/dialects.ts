/*
 * Provider dialects: how each provider family writes the same answer on the wire. Every shape
 * comes from a fact in the shared corpus's QUIRKS.md, kept as a style in dialect-styles.ts;
 * dialectOf joins a style to the generic writers (streams, completions, error frames). Whatever
 * the dialect, rxchat's pipeline reads the same content.
 */
import type { ApiErrorObject } from './api-errors';
import type { PlannedAnswer } from './answers';
import { writeCompletion } from './completion';
import type { ChatDialectName, DialectName, ResponsesDialectName } from './dialect-names';
import { STYLES } from './dialect-styles';
import { writeErrorFrames } from './error-frames';
import type { SseFrame } from './frames';
import { writeStream } from './stream-writer';

/**
 * A dialect: how to write an answer as a stream, as one JSON completion, and as an error.
 *
 * @example
 * ```ts
 * const frames = dialectOf('openai').stream(planAnswer(request), { includeUsage: true });
 * for (const frame of frames) res.write(frame.text);
 * ```
 */
export interface Dialect {
  name: DialectName;
  /** The `content-type` of its streams (it varies between providers: F8). */
  contentType: string;
  /** Response headers of every answer: the request id (for the client's `requestId`) and more. */
  headers(requestId: string): Record<string, string>;
  /** The whole stream of an answer, `[DONE]` included when the dialect sends it. */
  stream(answer: PlannedAnswer, options: { includeUsage: boolean }): SseFrame[];
  /** The frames that report an error mid-stream (`status` is the HTTP status it stands for). */
  errorFrames(answer: PlannedAnswer, error: ApiErrorObject, status: number): SseFrame[];
  /** The non-streaming answer: one `chat.completion` object. */
  completion(answer: PlannedAnswer): Record<string, unknown>;
  /** Errors before the first chunk are plain JSON responses, not SSE frames (F5). */
  errorsBeforeStreamAreJson: boolean;
}

const dialects = new Map<DialectName, Dialect>();

/** The chat dialect a Responses server speaks on `/v1/chat/completions`: its provider's. */
const CHAT_OF_RESPONSES: Record<ResponsesDialectName, ChatDialectName> = {
  'vllm-responses': 'vllm',
  'litellm-responses': 'openai',
  'openrouter-responses': 'openrouter',
  'copilot-responses': 'openai',
  'chat-on-responses': 'openai',
};

const chatDialectOf = (name: DialectName): ChatDialectName =>
  name in CHAT_OF_RESPONSES
    ? CHAT_OF_RESPONSES[name as ResponsesDialectName]
    : (name as ChatDialectName);

/**
 * The {@link Dialect} of a name.
 *
 * @example
 * ```ts
 * const frames = dialectOf('mistral').stream(answer, { includeUsage: false });
 * ```
 */
export function dialectOf(name: DialectName): Dialect {
  let dialect = dialects.get(name);
  if (!dialect) {
    const style = STYLES[chatDialectOf(name)];
    dialect = {
      name,
      contentType: style.contentType,
      headers: (requestId) => ({ 'x-request-id': requestId, ...style.headers?.(requestId) }),
      stream: (answer, options) => writeStream(style, answer, options),
      errorFrames: (answer, error, status) => writeErrorFrames(style, answer, error, status),
      completion: (answer) => writeCompletion(style, answer),
      errorsBeforeStreamAreJson: style.errorsBeforeStreamAreJson ?? false,
    };
    dialects.set(name, dialect);
  }
  return dialect;
}
