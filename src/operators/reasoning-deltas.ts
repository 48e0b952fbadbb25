import type { OperatorFunction } from 'rxjs';
import { reasoningOf } from '../chunks/delta-text';
import type { ChatStreamEvent } from '../chunks/types';
import type { DeltaOptions } from './content-deltas';
import { textDeltas } from './deltas-internals';

/**
 * The model's reasoning as it arrives, whatever field the provider uses:
 * `reasoning_content` (DeepSeek, Alibaba, xAI, Z.ai), `reasoning` (Groq, OpenRouter, vLLM) or
 * `thinking` parts of array content (Mistral). Empty pieces are skipped. Like
 * {@link contentDeltas}, no piece ends in half a surrogate pair (a lone half still held at the
 * end is emitted as it is).
 *
 * @example
 * ```ts
 * client.stream(request).pipe(reasoningDeltas()).subscribe((text) => process.stderr.write(text));
 * ```
 */
export function reasoningDeltas(
  options: DeltaOptions = {},
): OperatorFunction<ChatStreamEvent, string> {
  return textDeltas(options.choice ?? 0, reasoningOf, 'reasoning');
}
