import { RxChatError, type Usage } from '../node';

/** `[usage] prompt=22 completion=41 total=63`, the line `rxchat chat` prints last on stderr. */
export function usageLine(usage: Usage | null): string {
  if (!usage) return '[usage] not reported by the server';
  return `[usage] prompt=${usage.prompt_tokens ?? '?'} completion=${usage.completion_tokens ?? '?'} total=${usage.total_tokens ?? '?'}`;
}

/**
 * One line for a failure: code, status, the provider's words and the attempts (all in an
 * `RxChatError`'s message, which never holds a key).
 */
export function errorLine(error: unknown): string {
  if (RxChatError.isInstance(error)) return `rxchat: ${error.code}: ${error.message}`;
  return `rxchat: ${error instanceof Error ? error.message : String(error)}`;
}

/** Why an answer was cut short, by finish reason. */
const CUT_REASONS: Readonly<Record<string, string>> = {
  length: 'max tokens reached',
  content_filter: "the provider's content filter stopped it",
};

/**
 * `rxchat: the answer was cut: max tokens reached (finish_reason length)`, for the finish
 * reasons that mean the answer is incomplete; `undefined` for the others (`stop`, tool calls).
 */
export function cutLine(reason: string): string | undefined {
  const why = Object.hasOwn(CUT_REASONS, reason) ? CUT_REASONS[reason] : undefined;
  return why && `rxchat: the answer was cut: ${why} (finish_reason ${reason})`;
}
