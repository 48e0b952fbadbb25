import { createHash } from 'node:crypto';
import type { ChatCompletion } from '../../src';

/*
 * The golden files never hold a recorded stream's text (it is not ours to redistribute): strings
 * longer than 120 code points are compared through a digest. See test/conformance/README.md.
 */

export type Digest = { length: number; sha256: string; start: string; end: string };
export type Summarised = string | Digest | null;

export function summarise(text: string | null): Summarised {
  if (text === null) return null;
  const points = Array.from(text);
  if (points.length <= 120) return text;
  return {
    length: points.length,
    sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
    start: points.slice(0, 40).join(''),
    end: points.slice(-40).join(''),
  };
}

function tokens(records: unknown[] | null): { count: number; tokens: Summarised } | null {
  if (records === null) return null;
  const text = records.map((r) => String((r as { token?: unknown }).token ?? '')).join('');
  return { count: records.length, tokens: summarise(text) };
}

/** A completion in the golden files' form. */
export function goldenForm(completion: ChatCompletion | null): unknown {
  if (completion === null) return null;
  return {
    id: completion.id,
    model: completion.model,
    created: completion.created,
    choices: completion.choices.map((choice) => ({
      index: choice.index,
      message: {
        role: choice.message.role,
        content: summarise(choice.message.content),
        reasoning: summarise(choice.message.reasoning),
        refusal: summarise(choice.message.refusal),
        tool_calls: choice.message.tool_calls.map((call) =>
          call.type === 'function'
            ? {
                id: call.id,
                type: call.type,
                function: {
                  name: summarise(call.function.name),
                  arguments: summarise(call.function.arguments),
                },
              }
            : {
                id: call.id,
                type: call.type,
                custom: { name: summarise(call.custom.name), input: summarise(call.custom.input) },
              },
        ),
      },
      finish_reason: choice.finish_reason,
      ...(choice.logprobs
        ? {
            logprobs: {
              content: tokens(choice.logprobs.content),
              refusal: tokens(choice.logprobs.refusal),
            },
          }
        : {}),
    })),
    usage: completion.usage,
  };
}
