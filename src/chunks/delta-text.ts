import type { ChatCompletionDelta, ContentPart } from './types';

/*
 * Where text lives in a delta. Providers put answer text in `content` (a string, or Mistral's
 * array of typed parts), and reasoning in `reasoning_content` (DeepSeek, Alibaba, xAI, Z.ai),
 * `reasoning` (Groq, OpenRouter, Cerebras, vLLM) or `thinking` parts (Mistral).
 */

function thinkingText(part: ContentPart): string {
  const thinking = part.thinking;
  if (typeof thinking === 'string') return thinking;
  if (!thinking) return '';
  let text = '';
  for (const inner of thinking) if (typeof inner.text === 'string') text += inner.text;
  return text;
}

/** The answer text of a delta: string content, or the `text` parts of array content. */
export function contentOf(delta: ChatCompletionDelta): string {
  const content = delta.content;
  if (typeof content === 'string') return content;
  if (!content) return '';
  let text = '';
  for (const part of content)
    if (part.type === 'text' && typeof part.text === 'string') text += part.text;
  return text;
}

/**
 * The reasoning text of a delta: `thinking` parts of array content, then `reasoning_content`
 * when non-empty, else `reasoning`.
 */
export function reasoningOf(delta: ChatCompletionDelta): string {
  let text = '';
  const content = delta.content;
  if (Array.isArray(content)) {
    for (const part of content) if (part.type === 'thinking') text += thinkingText(part);
  }
  const field = delta.reasoning_content ? delta.reasoning_content : delta.reasoning;
  return typeof field === 'string' ? text + field : text;
}
