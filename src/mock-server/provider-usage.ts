// The usage object each provider family reports: the same counts, in its own fields and order
// (U10 in the shared corpus's QUIRKS.md).
import { completionTokens, type PlannedAnswer } from './answers';

/**
 * The three counts every usage object has, reasoning tokens counted as completion tokens when
 * the dialect streams them.
 *
 * @example
 * ```ts
 * baseUsage(answer); // { prompt_tokens: 5, completion_tokens: 24, total_tokens: 29 }
 * ```
 */
export const baseUsage = (answer: PlannedAnswer, withReasoning = false) => {
  const completion = completionTokens(answer, withReasoning);
  return {
    prompt_tokens: answer.promptTokens,
    completion_tokens: completion,
    total_tokens: answer.promptTokens + completion,
  };
};

/**
 * OpenAI's usage, with its token details (Azure and Databricks copy it).
 *
 * @example
 * ```ts
 * openaiUsage(answer).prompt_tokens_details; // { cached_tokens: 0, audio_tokens: 0 }
 * ```
 */
export const openaiUsage = (answer: PlannedAnswer) => ({
  ...baseUsage(answer),
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
});

/**
 * Groq's timing fields next to the counts (U10): made up, but stable.
 *
 * @example
 * ```ts
 * groqUsage(answer).total_time; // prompt_time + completion_time
 * ```
 */
export const groqUsage = (answer: PlannedAnswer) => {
  const { prompt_tokens, completion_tokens, total_tokens } = baseUsage(answer);
  const promptTime = prompt_tokens / 20_000;
  const completionTime = completion_tokens / 250;
  return {
    queue_time: 0.01,
    prompt_tokens,
    prompt_time: promptTime,
    completion_tokens,
    completion_time: completionTime,
    total_tokens,
    total_time: promptTime + completionTime,
  };
};

/**
 * OpenRouter's usage: a cost and BYOK flag next to the counts (U10).
 *
 * @example
 * ```ts
 * openrouterUsage(answer).cost; // 0
 * ```
 */
export const openrouterUsage = (answer: PlannedAnswer) => ({
  ...baseUsage(answer),
  cost: 0,
  is_byok: false,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, image_tokens: 0 },
});

/**
 * DeepSeek's usage: reasoning counted in, and its prompt cache hits and misses (U10).
 *
 * @example
 * ```ts
 * deepseekUsage(answer).prompt_cache_miss_tokens === answer.promptTokens; // true
 * ```
 */
export const deepseekUsage = (answer: PlannedAnswer) => {
  const usage = baseUsage(answer, true);
  const reasoning = completionTokens(answer, true) - completionTokens(answer, false);
  return {
    ...usage,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoning },
    prompt_cache_hit_tokens: 0,
    prompt_cache_miss_tokens: usage.prompt_tokens,
  };
};

/**
 * Mistral's usage: the counts in its own order.
 *
 * @example
 * ```ts
 * Object.keys(mistralUsage(answer)); // ['prompt_tokens', 'total_tokens', 'completion_tokens']
 * ```
 */
export const mistralUsage = (answer: PlannedAnswer) => {
  const { prompt_tokens, completion_tokens, total_tokens } = baseUsage(answer);
  return { prompt_tokens, total_tokens, completion_tokens };
};

/**
 * vLLM's usage: Mistral's order, and the prompt's cached tokens.
 *
 * @example
 * ```ts
 * vllmUsage(answer).prompt_tokens_details; // { cached_tokens: 0 }
 * ```
 */
export const vllmUsage = (answer: PlannedAnswer) => ({
  ...mistralUsage(answer),
  prompt_tokens_details: { cached_tokens: 0 },
});

/**
 * OpenAI's usage as Databricks passes it on, with `cache_read_input_tokens` first (U10).
 *
 * @example
 * ```ts
 * Object.keys(databricksUsage(answer))[0]; // 'cache_read_input_tokens'
 * ```
 */
export const databricksUsage = (answer: PlannedAnswer) => ({
  cache_read_input_tokens: 0,
  ...openaiUsage(answer),
});
