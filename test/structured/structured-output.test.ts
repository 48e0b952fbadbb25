import fc from 'fast-check';
import { from, lastValueFrom, toArray, type Observable } from 'rxjs';
import { z } from 'zod';
import {
  partialToolCalls,
  responseFormat,
  RxChatError,
  structuredOutput,
  textFormat,
  type ChatStreamEvent,
  type StandardSchema,
} from '../../src';
import { makeChunk, makeResponseEvents, textEvent, usageEvent } from '../../src/testing';
import { testScheduler } from '../helpers/marbles';

// structuredOutput(), partialToolCalls() and the request format helpers: partial objects as
// the JSON streams, the validated object last, and the typed errors around them.

const Recipe = z.object({
  title: z.string(),
  steps: z.array(z.string()),
  servings: z.number().default(2),
});

/** A chat stream whose answer text comes in these pieces, then finish `stop` and usage. */
const chatOf = (pieces: string[], finish = 'stop'): ChatStreamEvent[] => [
  ...pieces.map((piece) => textEvent(piece)),
  { type: 'chunk', chunk: makeChunk({ finishReason: finish }) },
  usageEvent(null),
];

async function run<T>(source: Observable<T>): Promise<{ values: T[]; error?: RxChatError }> {
  const values: T[] = [];
  try {
    await new Promise<void>((resolve, reject) =>
      source.subscribe({ next: (v) => values.push(v), error: reject, complete: resolve }),
    );
    return { values };
  } catch (error) {
    if (!RxChatError.isInstance(error)) throw error;
    return { values, error };
  }
}

const recipeText = '{"title":"Tea","steps":["boil","steep"]}';

describe('structuredOutput', () => {
  it('emits partial objects as the JSON streams, then the validated object (defaults applied)', async () => {
    const { values, error } = await run(
      from(chatOf(['{"title":"Te', 'a","steps":["bo', 'il","steep"]', '}'])).pipe(
        structuredOutput(Recipe),
      ),
    );
    expect(error).toBeUndefined();
    expect(values).toEqual([
      { title: 'Te' },
      { title: 'Tea', steps: ['bo'] },
      { title: 'Tea', steps: ['boil', 'steep'] },
      { title: 'Tea', steps: ['boil', 'steep'], servings: 2 },
    ]);
  });

  it('tolerates a ```json fence however the answer is cut, and nothing else around the JSON', async () => {
    const fenced = '```json\n' + recipeText + '\n```\n';
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: fenced.length - 1 }), { maxLength: 8 }),
        async (cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const pieces = [0, ...points].map((start, i) =>
            fenced.slice(start, points[i] ?? fenced.length),
          );
          const { values, error } = await run(from(chatOf(pieces)).pipe(structuredOutput(Recipe)));
          expect(error).toBeUndefined();
          expect(values.at(-1)).toEqual({ title: 'Tea', steps: ['boil', 'steep'], servings: 2 });
        },
      ),
      { numRuns: 200 },
    );
    for (const text of [
      'Here it is: ' + recipeText,
      recipeText + ' Enjoy!',
      '```json\n' + recipeText + '\n```\nEnjoy!',
      '`x`' + recipeText,
    ]) {
      const { error } = await run(from(chatOf([text])).pipe(structuredOutput(Recipe)));
      expect([text, error?.code]).toEqual([text, 'parse_error']);
    }
    const bare = await run(
      from(chatOf(['```\n', recipeText, '\n``', '`'])).pipe(structuredOutput(Recipe)),
    );
    expect(bare.error).toBeUndefined();
  });

  it('keeps backticks inside the JSON strings of a fenced answer', async () => {
    const Code = z.object({ code: z.string() });
    const { values } = await run(
      from(chatOf(['```json\n{"code":"``', '`js\\nx``', '`"}\n```'])).pipe(structuredOutput(Code)),
    );
    expect(values.at(-1)).toEqual({ code: '```js\nx```' });
  });

  it('fails with validation_error and the schema issues when the object does not match', async () => {
    const { values, error } = await run(
      from(chatOf(['{"title":1,"steps":[]}'])).pipe(structuredOutput(Recipe)),
    );
    expect(values).toEqual([{ title: 1, steps: [] }]);
    expect(error?.code).toBe('validation_error');
    expect(error?.message).toMatch(/^The answer does not match the schema: title: /);
    expect(error?.issues).toEqual([
      expect.objectContaining({ path: ['title'], code: 'invalid_type' }),
    ]);
    expect(error?.partial?.choices[0]?.message.content).toBe('{"title":1,"steps":[]}');
  });

  it('fails with parse_error at once on invalid JSON, and stops reading the stream', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('a-b-c-d|', {
        a: textEvent('{"title":'),
        b: textEvent('"x",,'),
        c: textEvent('"steps":[]}'),
        d: usageEvent(null),
      });
      expectObservable(source.pipe(structuredOutput(Recipe))).toBe(
        // The object shows as soon as it opens; the second comma fails it.
        'o-#',
        { o: {} },
        expect.objectContaining({ code: 'parse_error' }),
      );
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('emits each snapshot with the delta that made it, and the final one at completion', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('a-b-(cu|)', {
        a: textEvent('{"title":"T'),
        b: textEvent('ea","steps":[]'),
        c: textEvent('}'),
        u: usageEvent(null),
      });
      expectObservable(source.pipe(structuredOutput(Recipe))).toBe('a-b-(f|)', {
        a: { title: 'T' },
        b: { title: 'Tea', steps: [] },
        f: { title: 'Tea', steps: [], servings: 2 },
      });
    });
  });

  it('fails with truncated when the answer stopped at its token limit', async () => {
    const { error } = await run(
      from(chatOf(['{"title":"Tea","steps":["bo'], 'length')).pipe(structuredOutput(Recipe)),
    );
    expect(error?.code).toBe('truncated');
    expect(error?.partial?.choices[0]?.finish_reason).toBe('length');
  });

  it('fails with parse_error when the answer holds no JSON at all', async () => {
    const { error } = await run(from(chatOf([])).pipe(structuredOutput(Recipe)));
    expect(error?.code).toBe('parse_error');
  });

  it('reads a Responses stream the same way', async () => {
    const events = makeResponseEvents({ text: ['{"title":"Tea",', '"steps":["boil"]}'] });
    const { values, error } = await run(
      from(events.map((event): ChatStreamEvent => ({ type: 'responses', event }))).pipe(
        structuredOutput(Recipe),
      ),
    );
    expect(error).toBeUndefined();
    expect(values).toEqual([
      { title: 'Tea' },
      { title: 'Tea', steps: ['boil'] },
      { title: 'Tea', steps: ['boil'], servings: 2 },
    ]);
  });

  it('validates with any Standard Schema, asynchronous ones included', async () => {
    const even: StandardSchema<number> = {
      '~standard': {
        validate: (value) =>
          Promise.resolve(
            typeof value === 'number' && value % 2 === 0
              ? { value }
              : { issues: [{ message: 'not even', path: [] }] },
          ),
      },
    };
    expect((await run(from(chatOf(['4', '2'])).pipe(structuredOutput(even)))).values).toEqual([42]);
    const odd = await run(from(chatOf(['41'])).pipe(structuredOutput(even)));
    expect(odd.error).toMatchObject({
      code: 'validation_error',
      message: 'The answer does not match the schema: (root): not even',
    });
    expect(() => structuredOutput({} as never)).toThrow(TypeError);
  });
});

describe('responseFormat and textFormat', () => {
  it('give the json_schema formats of chat and Responses, strict when the schema allows it', () => {
    const Person = z.object({ name: z.string(), age: z.number().nullable() });
    expect(responseFormat(Person, { name: 'person' })).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'person',
        schema: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            age: { type: ['number', 'null'] },
          },
          required: ['name', 'age'],
          additionalProperties: false,
        },
        strict: true,
      },
    });
    expect(textFormat(Person)).toMatchObject({ type: 'json_schema', name: 'answer', strict: true });
    // An optional property is not allowed in strict mode: strict goes off unless asked for.
    const Loose = z.object({ name: z.string(), nick: z.string().optional() });
    expect(responseFormat(Loose).json_schema.strict).toBe(false);
    expect(responseFormat(Loose, { strict: true }).json_schema.strict).toBe(true);
    expect(() => responseFormat({} as never)).toThrow(/zod 4 schema/);
    expect(() => textFormat(Person, { name: 'has space' })).toThrow(/name must be/);
  });
});

describe('partialToolCalls', () => {
  const fragment = (index: number, args: string, header?: { id: string; name: string }) =>
    ({
      type: 'chunk',
      chunk: makeChunk({
        toolCalls: [
          {
            index,
            ...(header
              ? {
                  id: header.id,
                  type: 'function',
                  function: { name: header.name, arguments: args },
                }
              : { function: { arguments: args } }),
          },
        ],
      }),
    }) as ChatStreamEvent;

  it('emits each call as its arguments grow, parsed incrementally', async () => {
    const events = [
      fragment(0, '', { id: 'call_1', name: 'chart' }),
      fragment(0, '{"title":"Sa'),
      fragment(0, 'les","points":[[1,'),
      fragment(0, '2]]}'),
      fragment(1, '{"q":"x"}', { id: 'call_2', name: 'search' }),
    ];
    const values = await lastValueFrom(from(events).pipe(partialToolCalls(), toArray()));
    expect(values).toEqual([
      { index: 0, id: 'call_1', type: 'function', name: 'chart', arguments: undefined },
      { index: 0, id: 'call_1', type: 'function', name: 'chart', arguments: { title: 'Sa' } },
      {
        index: 0,
        id: 'call_1',
        type: 'function',
        name: 'chart',
        arguments: { title: 'Sales', points: [[1]] },
      },
      {
        index: 0,
        id: 'call_1',
        type: 'function',
        name: 'chart',
        arguments: { title: 'Sales', points: [[1, 2]] },
      },
      { index: 1, id: 'call_2', type: 'function', name: 'search', arguments: { q: 'x' } },
    ]);
    // Unchanged parts are shared between snapshots.
    expect((values[3]!.arguments as { title: string }).title).toBe('Sales');
  });

  it('marks a call whose arguments stop being JSON, without failing the stream', async () => {
    const events = [
      fragment(0, '{"a":1', { id: 'c', name: 'f' }),
      fragment(0, ',,}'),
      fragment(0, 'more'),
    ];
    const values = await lastValueFrom(from(events).pipe(partialToolCalls(), toArray()));
    expect(values.at(-1)).toEqual({
      index: 0,
      id: 'c',
      type: 'function',
      name: 'f',
      arguments: {},
      invalid: true,
    });
    expect(values.filter((v) => v.invalid)).toHaveLength(1);
  });

  it('reads Responses function calls', async () => {
    const events = makeResponseEvents({
      text: [],
      calls: [{ name: 'f', callId: 'call_R', arguments: ['{"x":', '[1,2]}'] }],
    });
    const values = await lastValueFrom(
      from(events.map((event): ChatStreamEvent => ({ type: 'responses', event }))).pipe(
        partialToolCalls(),
        toArray(),
      ),
    );
    expect(values.map((v) => v.arguments)).toEqual([undefined, {}, { x: [1, 2] }]);
    expect(values.at(-1)).toMatchObject({ id: 'call_R', name: 'f' });
  });
});
