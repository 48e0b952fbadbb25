import fc from 'fast-check';
import { chatCompletionChunkSchema } from '../../src';
import { chunkProblem, looksValid } from '../../src/chunks/validate';

/*
 * The hot path validates with `looksValid`, a hand-written twin of the zod schema. They must agree
 * on every value: generate chunk-shaped values whose fields we read get every kind of JSON value.
 */
const anyJson = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.string({ maxLength: 3 }),
  fc.constant([]),
  fc.constant({}),
  fc.constant(['x']),
);
const maybe = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: arb }, { weight: 1, arbitrary: anyJson });
const obj = (shape: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(shape, { requiredKeys: [] });

const str = maybe(fc.oneof(fc.string({ maxLength: 4 }), fc.constant(null)));
const num = maybe(fc.oneof(fc.integer(), fc.constant(null)));
const usage = maybe(
  obj({ prompt_tokens: num, completion_tokens: num, total_tokens: num, cost: anyJson }),
);
const toolCall = maybe(
  obj({ index: num, id: str, type: str, function: maybe(obj({ name: str, arguments: str })) }),
);
const part = maybe(
  obj({
    type: str,
    text: str,
    thinking: maybe(
      fc.oneof(fc.string(), fc.array(maybe(obj({ type: str, text: str })), { maxLength: 2 })),
    ),
  }),
);
const delta = maybe(
  obj({
    role: str,
    content: maybe(fc.oneof(fc.string(), fc.array(part, { maxLength: 3 }))),
    reasoning_content: str,
    reasoning: str,
    refusal: str,
    tool_calls: maybe(fc.array(toolCall, { maxLength: 3 })),
    extra: anyJson,
  }),
);
const choice = maybe(
  obj({
    index: num,
    delta,
    finish_reason: str,
    logprobs: maybe(obj({ content: maybe(fc.array(anyJson)), refusal: maybe(fc.array(anyJson)) })),
  }),
);
const chunkLike = maybe(
  obj({
    id: str,
    object: str,
    created: num,
    model: str,
    choices: maybe(fc.array(choice, { maxLength: 3 })),
    usage,
    x_groq: maybe(obj({ usage, id: anyJson })),
    obfuscation: anyJson,
  }),
);

describe('chunk validation', () => {
  it('the fast check agrees with the zod schema on every value', () => {
    fc.assert(
      fc.property(chunkLike, (value) => {
        expect(looksValid(value)).toBe(chatCompletionChunkSchema.safeParse(value).success);
      }),
      { numRuns: 20_000 },
    );
  });

  it('explains a rejection with the path of the bad field', () => {
    expect(chunkProblem({ choices: [{ delta: { content: 42 } }] })).toMatch(
      /choices\.0\.delta\.content/,
    );
    expect(chunkProblem({ choices: [{ index: 0, delta: { content: 'ok' } }] })).toBeUndefined();
  });
});
