import fc from 'fast-check';
import { RxChatError } from '../../src';
import { joinURL, mergeHeaders } from '../../src/client/http-request';
import { redactURL, secretsOf } from '../../src/client/secrets';
import {
  isPlainRequest,
  requestIssues,
  serialiseRequest,
  type ChatRequest,
} from '../../src/client/request';
import { chatRequestSchema } from '../../src/client/request-schema';
import type { ToolCall } from '../../src/chunks/types';

describe('joinURL', () => {
  it.each([
    ['https://api.openai.com/v1', 'https://api.openai.com/v1/chat/completions'],
    ['https://api.openai.com/v1/', 'https://api.openai.com/v1/chat/completions'],
    ['https://api.openai.com/v1//', 'https://api.openai.com/v1/chat/completions'],
    ['http://127.0.0.1:8000', 'http://127.0.0.1:8000/chat/completions'],
  ])('joins %s with exactly one slash', (base, expected) => {
    expect(joinURL(base, 'chat/completions')).toBe(expected);
    expect(joinURL(base, '/chat/completions')).toBe(expected);
  });

  it('keeps the base query, adds later ones (later win) and drops null values', () => {
    expect(
      joinURL(
        'https://x.openai.azure.com/openai/deployments/d?api-version=1#frag',
        'chat/completions',
        { 'api-version': '2024-10-21', a: 'b c' },
        { a: null, n: 2 },
      ),
    ).toBe(
      'https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21&n=2',
    );
  });
});

describe('redactURL', () => {
  it('blanks a user-info password and secret query parameters', () => {
    expect(redactURL('ftp://user:s3cretpw@host/v1?key=abc&x=1', [])).toBe(
      'ftp://user:REDACTED@host/v1?key=REDACTED&x=1',
    );
    expect(secretsOf(undefined, {}, 'https://u:pass-word-9@h/v1')).toContain('pass-word-9');
  });
});

describe('mergeHeaders and secretsOf', () => {
  it('merges case-insensitively, later layers win, null removes', () => {
    expect(
      mergeHeaders(
        { Accept: 'text/event-stream', Authorization: 'Bearer a' },
        { authorization: null, 'X-Tag': 'one' },
        { 'x-tag': 'two' },
      ),
    ).toEqual({ accept: 'text/event-stream', 'x-tag': 'two' });
  });

  it('collects the key and the values of secret headers, bare tokens included', () => {
    expect(
      secretsOf('sk-1234', {
        authorization: 'Bearer tok-5678',
        'api-key': 'az-9999',
        accept: 'x/y',
      }),
    ).toEqual(expect.arrayContaining(['sk-1234', 'Bearer tok-5678', 'tok-5678', 'az-9999']));
  });
});

describe('serialiseRequest', () => {
  const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

  it('adds stream and include_usage, keeping unknown fields and the caller’s stream_options', () => {
    expect(JSON.parse(serialiseRequest({ ...base, top_k: 3 }, true))).toEqual({
      ...base,
      top_k: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(
      JSON.parse(serialiseRequest({ ...base, stream_options: { include_usage: false } }, true))
        .stream_options,
    ).toEqual({ include_usage: false });
    expect(JSON.parse(serialiseRequest(base, false))).not.toHaveProperty('stream_options');
  });

  it.each([
    [{ model: 'm', messages: [] }, /messages: messages must not be empty/],
    [{ model: 'm', messages: [{ content: 'x' }] }, /messages\.0\.role/],
    [{ ...base, stream: false }, /stream: stream is always true/],
    [{ ...base, n: 0 }, /n:/],
    [{ ...base, temperature: Number.NaN }, /temperature/],
    [
      { ...base, tools: [{ type: 'function', function: { name: '' } }] },
      /tools\.0\.function\.name/,
    ],
  ])('rejects %j with validation_error', (request, message) => {
    expect.assertions(2);
    try {
      serialiseRequest(request as never, true);
    } catch (error) {
      expect((error as RxChatError).code).toBe('validation_error');
      expect((error as RxChatError).message).toMatch(message);
    }
  });

  it('sends back the function and custom tool calls of a completion as they came', () => {
    const calls: ToolCall[] = [
      { id: 'c1', type: 'custom', custom: { name: 'run_python', input: 'print(6 * 7)' } },
      { id: 'c2', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
    ];
    const request: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: calls },
        { role: 'tool', tool_call_id: 'c1', content: '42' },
      ],
    };
    expect(JSON.parse(serialiseRequest(request, false)).messages[1].tool_calls).toEqual(calls);
    const broken = { id: 'c1', type: 'custom', custom: { name: 'run_python' } };
    expect(() =>
      serialiseRequest(
        { ...request, messages: [{ role: 'assistant', tool_calls: [broken] }] } as never,
        false,
      ),
    ).toThrow(/tool_calls/);
  });

  it('rejects a request that cannot be serialised', () => {
    expect(() => serialiseRequest({ ...base, seed: 1n as unknown as number }, true)).toThrow(
      /cannot be serialised/,
    );
  });
});

describe('isPlainRequest and requestIssues, the zod-free twins of the request schema', () => {
  // Mostly valid, with one odd field now and then: the interesting cases are near the edge.
  const mostly = (good: fc.Arbitrary<unknown>, ...odd: fc.Arbitrary<unknown>[]) =>
    fc.oneof({ arbitrary: good, weight: 6 }, ...odd.map((arbitrary) => ({ arbitrary, weight: 1 })));
  const message = fc.record(
    {
      role: mostly(
        fc.constantFrom('user', 'system', 'assistant', 'tool'),
        fc.constant(''),
        fc.integer(),
      ),
      content: mostly(
        fc.string(),
        fc.constant(null),
        fc.integer(),
        fc.array(fc.record({ type: fc.string() })),
      ),
      name: mostly(fc.string(), fc.integer()),
      tool_call_id: mostly(fc.string(), fc.boolean()),
      tool_calls: mostly(fc.constant(undefined), fc.constant([])),
    },
    { requiredKeys: ['role'] },
  );
  const request = fc.record(
    {
      model: mostly(fc.string({ minLength: 1 }), fc.constant(''), fc.integer()),
      messages: mostly(
        fc.array(message, { minLength: 1, maxLength: 3 }),
        fc.constant([]),
        fc.constant('hi'),
      ),
      stream: mostly(fc.constant(true), fc.constant(false), fc.constant('yes')),
      temperature: mostly(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.double(),
        fc.string(),
      ),
      top_p: mostly(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double()),
      stop: mostly(fc.string(), fc.constant(null), fc.array(fc.string()), fc.integer()),
      n: mostly(fc.constant(undefined), fc.integer()),
      extra: fc.anything(),
    },
    { requiredKeys: ['model', 'messages'] },
  );

  it('never accepts what the schema rejects', () => {
    let taken = 0;
    fc.assert(
      fc.property(request, (candidate) => {
        if (isPlainRequest(candidate)) {
          taken++;
          expect(chatRequestSchema.safeParse(candidate).success).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
    expect(taken).toBeGreaterThan(100); // the property is not vacuous
  });

  // Everything the schema types, each field mostly valid and now and then anything else.
  const odd = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 2 }),
    fc.constant([]),
    fc.constant({}),
  );
  const some = (good: fc.Arbitrary<unknown>) =>
    fc.oneof({ arbitrary: good, weight: 24 }, { arbitrary: odd, weight: 1 });
  const loose = (shape: Record<string, fc.Arbitrary<unknown>>, requiredKeys: string[] = []) =>
    fc.record(shape, { requiredKeys });
  const name = some(fc.string({ minLength: 1, maxLength: 2 }));
  const text = some(fc.string({ maxLength: 2 }));
  // Whole calls of either kind, and now and then a fragment of any shape.
  const toolCall = fc.oneof(
    {
      weight: 4,
      arbitrary: loose(
        {
          id: text,
          type: fc.constant('function'),
          function: some(loose({ name: text, arguments: text }, ['name', 'arguments'])),
        },
        ['id', 'type', 'function'],
      ),
    },
    {
      weight: 4,
      arbitrary: loose(
        {
          id: text,
          type: fc.constant('custom'),
          custom: some(loose({ name: text, input: text }, ['name', 'input'])),
        },
        ['id', 'type', 'custom'],
      ),
    },
    {
      weight: 1,
      arbitrary: some(
        loose({
          id: text,
          type: some(fc.constantFrom('function', 'custom', '')),
          function: some(loose({ name: text, arguments: text })),
          custom: some(loose({ name: text, input: text })),
        }),
      ),
    },
  );
  const fullMessage = some(
    loose({
      role: some(fc.constantFrom('user', 'assistant')),
      content: some(
        fc.oneof(fc.string(), fc.array(some(loose({ type: name }, ['type'])), { maxLength: 2 })),
      ),
      name: text,
      tool_calls: some(fc.array(toolCall, { maxLength: 2 })),
      tool_call_id: text,
    }),
  );
  const count = fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 1, max: 3 }) },
    fc.constantFrom(0, -1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY),
    odd,
  );
  const fullRequest = some(
    loose(
      {
        model: name,
        messages: some(fc.array(fullMessage, { minLength: 1, maxLength: 2 })),
        stream: some(fc.constant(true)),
        stream_options: some(loose({ include_usage: some(fc.boolean()) })),
        tools: some(
          fc.array(
            some(
              loose({
                type: some(fc.constantFrom('function', '')),
                function: some(loose({ name })),
              }),
            ),
            { maxLength: 2 },
          ),
        ),
        n: count,
        max_tokens: count,
        max_completion_tokens: count,
        temperature: some(fc.double()),
        top_p: some(fc.double()),
        stop: some(fc.oneof(fc.string(), fc.array(some(fc.string()), { maxLength: 2 }))),
        extra: odd,
      },
      ['model', 'messages'],
    ),
  );

  it('requestIssues finds a problem exactly when the schema does', () => {
    let valid = 0;
    fc.assert(
      fc.property(fullRequest, (candidate) => {
        const issues = requestIssues(candidate);
        const ok = chatRequestSchema.safeParse(candidate).success;
        if (ok) valid++;
        expect({ candidate, issues, ok: issues.length === 0 }).toEqual({ candidate, issues, ok });
        expect(issues.length).toBeLessThanOrEqual(5);
      }),
      { numRuns: 5_000 },
    );
    expect(valid).toBeGreaterThan(300); // both sides are reached
  });

  it('takes the common requests', () => {
    expect(isPlainRequest({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] })).toBe(true);
    expect(
      isPlainRequest({
        model: 'm',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi', name: 'ann' },
        ],
        temperature: 0.2,
        stop: '\n',
        user: 'u-1',
      }),
    ).toBe(true);
    expect(isPlainRequest({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], n: 2 })).toBe(
      false,
    );
  });
});
