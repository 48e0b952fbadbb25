import type { z } from 'zod';
import type {
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ChatCompletionDelta,
  ContentPart,
  ToolCallDelta,
  Usage,
} from '../../src';
import {
  chatCompletionChunkSchema,
  chunkChoiceSchema,
  contentPartSchema,
  deltaSchema,
  toolCallDeltaSchema,
  usageSchema,
} from '../../src/schemas';

/*
 * The core's chunk types are written by hand (so that it carries no zod); rxchat/schemas has the
 * zod schemas. These checks, compiled by `tsc --noEmit` in `npm test`, fail when the two drift:
 * each hand-written type and `z.infer` of its schema are assignable to each other, both ways.
 */
type Agree<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree = <T extends true>(): T => true as T;

export const checks = [
  agree<Agree<Usage, z.infer<typeof usageSchema>>>(),
  agree<Agree<ChatCompletionChunk, z.infer<typeof chatCompletionChunkSchema>>>(),
  agree<Agree<ChatCompletionChunkChoice, z.infer<typeof chunkChoiceSchema>>>(),
  agree<Agree<ChatCompletionDelta, z.infer<typeof deltaSchema>>>(),
  agree<Agree<ToolCallDelta, z.infer<typeof toolCallDeltaSchema>>>(),
  agree<Agree<ContentPart, z.infer<typeof contentPartSchema>>>(),
  // And the check has teeth: a required field, or a narrower one, breaks the agreement.
  agree<Agree<Usage, Usage & { prompt_tokens: number }> extends false ? true : false>(),
  agree<
    Agree<ContentPart, Omit<ContentPart, 'thinking'> & { thinking?: string }> extends false
      ? true
      : false
  >(),
];

describe('the hand-written chunk types', () => {
  it('agree with z.infer of the schemas (checked by tsc)', () => {
    expect(checks.every(Boolean)).toBe(true);
  });
});
