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
