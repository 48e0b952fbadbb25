// How each dialect writes a whole answer as one non-streaming `chat.completion` object.
import type { PlannedAnswer } from './answers';
import { sortKeys } from './frames';
import type { Style } from './style';

/**
 * The non-streaming answer, in the style's shape: one `chat.completion` object.
 *
 * @example
 * ```ts
 * writeCompletion(STYLES.openai, planAnswer(request)).choices; // [{ index: 0, message: ... }]
 * ```
 */
export function writeCompletion(style: Style, answer: PlannedAnswer): Record<string, unknown> {
  const withReasoning = style.reasoningDelta !== undefined;
  const value = {
    id: answer.id,
    object: 'chat.completion',
    created: answer.created,
    model: answer.model,
    choices: answer.choices.map((choice) => ({
      index: choice.index,
      message: {
        role: 'assistant',
        content: choice.toolCalls.length > 0 ? null : choice.content.join(''),
        ...(withReasoning ? { reasoning_content: choice.reasoning.join('') } : {}),
        ...(choice.toolCalls.length > 0
          ? {
              tool_calls: choice.toolCalls.map((call) => ({
                id: call.id,
                type: 'function',
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      },
      logprobs: null,
      finish_reason: choice.finishReason,
    })),
    usage: style.usageOf(answer),
    ...style.completionFields?.(answer),
  };
  return style.sortKeys ? (sortKeys(value) as Record<string, unknown>) : value;
}
