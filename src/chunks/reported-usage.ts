import type { ChatCompletionChunk, Usage } from './types';

/** The usage a chunk reports: top-level `usage`, else Groq's `x_groq.usage`; `undefined` if none. */
export function reportedUsage(chunk: ChatCompletionChunk): Usage | undefined {
  return chunk.usage ?? chunk.x_groq?.usage ?? undefined;
}
