import type { Usage } from '../chunks/types';
import type { ResponseUsage } from './types';

/**
 * A Responses usage object under the chat names every rxchat reader knows (`prompt_tokens` =
 * input, `completion_tokens` = output, `total_tokens`, and the details as
 * `prompt_tokens_details.cached_tokens` / `completion_tokens_details.reasoning_tokens`), with the
 * Responses names and any provider extras kept beside them. `null` when there is none.
 */
export function responsesUsage(usage: ResponseUsage | null | undefined): Usage | null {
  if (!usage) return null;
  return {
    ...usage,
    prompt_tokens: usage.input_tokens ?? null,
    completion_tokens: usage.output_tokens ?? null,
    total_tokens: usage.total_tokens ?? null,
    ...(usage.input_tokens_details ? { prompt_tokens_details: usage.input_tokens_details } : {}),
    ...(usage.output_tokens_details
      ? { completion_tokens_details: usage.output_tokens_details }
      : {}),
  };
}
