import fc from 'fast-check';
import { responseEventProblem } from '../../src/responses/validate';
import { responseStreamEventSchema } from '../../src/schemas';
import type { ResponseStreamEvent } from '../../src';
import type { z } from 'zod';

/*
 * The core checks Responses events by hand (no zod in it); the zod schema of rxchat/schemas is
 * the contract. Generate event-shaped values whose read fields get every kind of JSON value: the
 * check must reject exactly what the schema rejects, and name the place.
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
  fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: anyJson });
const obj = (shape: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(shape, { requiredKeys: [] });
const str = maybe(fc.oneof(fc.string({ maxLength: 4 }), fc.constant(null)));
const num = maybe(fc.oneof(fc.integer(), fc.constant(null)));
const part = maybe(obj({ type: str, text: str, refusal: str, annotations: anyJson }));
const parts = maybe(fc.array(part, { maxLength: 2 }));
const item = maybe(
  obj({
    type: str,
    id: str,
    status: str,
    call_id: str,
    name: str,
    arguments: str,
    input: str,
    content: parts,
    summary: parts,
  }),
);
const usage = maybe(
  obj({
    input_tokens: num,
    output_tokens: num,
    total_tokens: num,
    input_tokens_details: maybe(obj({ cached_tokens: num })),
    output_tokens_details: maybe(obj({ reasoning_tokens: num })),
  }),
);
const response = maybe(
  obj({
    id: str,
    created_at: num,
    model: str,
    status: str,
    output: maybe(fc.array(item, { maxLength: 2 })),
    usage,
    error: maybe(obj({ code: anyJson, message: str })),
    incomplete_details: maybe(obj({ reason: str })),
  }),
);
const eventLike = maybe(
  obj({
    type: maybe(fc.constantFrom('response.output_text.delta', 'response.completed', 'x')),
    sequence_number: num,
    output_index: num,
    content_index: num,
    summary_index: num,
    item_id: str,
    delta: str,
    text: str,
    refusal: str,
    arguments: str,
    input: str,
    name: str,
    message: str,
    code: anyJson,
    item,
    part,
    response,
    extra: anyJson,
  }),
);

describe('Responses event validation', () => {
  it('rejects exactly what the zod schema rejects, at a path zod names', () => {
    fc.assert(
      fc.property(eventLike, (value) => {
        const result = responseStreamEventSchema.safeParse(value);
        const problem = responseEventProblem(value);
        expect(problem === undefined).toBe(result.success);
        if (result.success) return;
        const ours = problem!.slice(0, problem!.indexOf(':'));
        const paths = result.error.issues.map((issue) => issue.path.join('.'));
        expect(paths.some((path) => ours === path || (path === '' && ours === 'event'))).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it('says what was expected and what came', () => {
    expect(responseEventProblem([])).toBe('event: expected object, received array');
    expect(responseEventProblem({ type: 'x', delta: 1 })).toBe(
      'delta: expected string, received number',
    );
    expect(
      responseEventProblem({ type: 'x', response: { output: [{ content: [{ text: [] }] }] } }),
    ).toBe('response.output.0.content.0.text: expected string, received array');
  });

  it('the hand-written type and the schema agree', () => {
    type Inferred = z.infer<typeof responseStreamEventSchema>;
    const fromSchema: Inferred = {
      type: 'response.output_text.delta',
      delta: 'x',
      output_index: 0,
    };
    const asType: ResponseStreamEvent = fromSchema;
    expect(asType.delta).toBe('x');
  });
});
