import fc from 'fast-check';
import { chunkIssues, chunkProblem, looksValid } from '../../src/chunks/validate';
import { chatCompletionChunkSchema } from '../../src/schemas';

/*
 * The hot path validates with `looksValid`, and `chunkIssues` explains a rejection: both are
 * hand-written twins of the zod schema (rxchat/schemas), so that the core carries no zod. They
 * must agree with it on every value: generate chunk-shaped values whose fields we read get every
 * kind of JSON value.
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
  obj({
    index: num,
    id: str,
    type: maybe(fc.oneof(str, fc.constantFrom('function', 'custom'))),
    function: maybe(obj({ name: str, arguments: str })),
    custom: maybe(obj({ name: str, input: str })),
  }),
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

  it('the explanation finds a problem exactly when the zod schema does, at a path it names', () => {
    fc.assert(
      fc.property(chunkLike, (value) => {
        const result = chatCompletionChunkSchema.safeParse(value);
        const issues = chunkIssues(value);
        expect(issues.length > 0).toBe(!result.success);
        expect(issues.length).toBeLessThanOrEqual(3);
        if (result.success) return;
        // The first problem lies at or under the first path zod reports (zod stops at a union).
        const zodPath = result.error.issues[0]!.path.join('.');
        const ours = issues[0]!.slice(0, issues[0]!.indexOf(': '));
        expect(ours === zodPath || ours.startsWith(`${zodPath}.`) || zodPath === '').toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });

  it('says what was expected and what came, up to three problems', () => {
    expect(chunkProblem('x')).toBe('(chunk): Invalid input: expected object, received string');
    expect(
      chunkProblem({ id: 1, model: [], choices: [{ index: '0', finish_reason: 2 }], usage: 3 }),
    ).toBe(
      'id: Invalid input: expected string, received number; ' +
        'model: Invalid input: expected string, received array; ' +
        'choices.0.index: Invalid input: expected number, received string',
    );
    expect(chunkProblem({ choices: [{ delta: { content: [{ text: 1 }] } }] })).toBe(
      'choices.0.delta.content.0.text: Invalid input: expected string, received number',
    );
  });

  it('accepts custom (freeform) tool calls, streamed or whole, and reads their types', () => {
    const streamed = {
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              { index: 0, id: 'ct_1', type: 'custom', custom: { name: 'sql', input: '' } },
              { index: 0, custom: { input: 'SELECT 1' } },
              { index: 1, id: 'fc_2', type: 'function', function: { name: 'f', arguments: '{}' } },
            ],
          },
        },
      ],
    };
    expect(looksValid(streamed)).toBe(true);
    expect(chunkProblem(streamed)).toBeUndefined();
    // A field rxchat reads with a type no provider could mean fails, as for `function`.
    const bad = { choices: [{ delta: { tool_calls: [{ index: 0, custom: { input: 42 } }] } }] };
    expect(chunkProblem(bad)).toMatch(/choices\.0\.delta\.tool_calls\.0\.custom\.input/);
    expect(chunkProblem({ choices: [{ delta: { tool_calls: [{ custom: 'x' }] } }] })).toMatch(
      /tool_calls\.0\.custom/,
    );
  });

  it('explains a rejection with the path of the bad field', () => {
    expect(chunkProblem({ choices: [{ delta: { content: 42 } }] })).toMatch(
      /choices\.0\.delta\.content/,
    );
    expect(chunkProblem({ choices: [{ index: 0, delta: { content: 'ok' } }] })).toBeUndefined();
  });
});
