import { from, lastValueFrom, throwError, concat, toArray, type Observable } from 'rxjs';
import {
  accumulate,
  finalCompletion,
  RxChatError,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatStreamEvent,
} from '../../src';
import { chunk, testScheduler } from '../helpers/marbles';

const ev = (c: unknown): ChatStreamEvent => ({ type: 'chunk', chunk: c as ChatCompletionChunk });
const done = (usage: unknown = null): ChatStreamEvent => ({ type: 'usage', usage: usage as never });
const fold = (events: ChatStreamEvent[]) => lastValueFrom(from(events).pipe(finalCompletion()));
const calls = (c: ChatCompletion, i = 0) => c.choices[i]!.message.tool_calls;

describe('finalCompletion', () => {
  it('concatenates content, reasoning and refusal, and keeps the first id, model and created', async () => {
    const result = await fold([
      ev({ choices: [], id: '', model: '', created: 0, prompt_filter_results: [] }),
      ev(chunk({ role: 'assistant', content: 'Hel', reasoning_content: 'think' }, { id: 'a' })),
      ev(
        chunk(
          {
            content: 'lo',
            reasoning: 'ignored-when-reasoning_content-set',
            reasoning_content: ' more',
          },
          { id: 'b' },
        ),
      ),
      ev(chunk({ reasoning: ' then' }, { id: 'stub' })),
      ev(chunk({ refusal: 'no' })),
      ev(chunk({}, { finish_reason: 'stop' })),
      done({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 }),
    ]);
    expect(result).toEqual({
      id: 'a',
      model: 'test-model',
      created: 1700000000,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Hello',
            reasoning: 'think more then',
            refusal: 'no',
            tool_calls: [],
          },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
  });

  it('gives null text fields and role assistant when nothing arrived', async () => {
    const result = await fold([
      ev(chunk({ role: 'assistant', content: '' })),
      ev(chunk({}, { finish_reason: 'length' })),
      done(),
    ]);
    expect(result.choices[0]!.message).toEqual({
      role: 'assistant',
      content: null,
      reasoning: null,
      refusal: null,
      tool_calls: [],
    });
    expect(result.usage).toBeNull();
  });

  it('emits an empty completion for a stream with no chunks', async () => {
    expect(await fold([done()])).toEqual({
      id: '',
      model: '',
      created: 0,
      choices: [],
      usage: null,
    });
  });

  it('splits array content into text and thinking, in order', async () => {
    const result = await fold([
      ev(chunk({ content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'Hmm' }] }] })),
      ev(
        chunk({
          content: [
            { type: 'thinking', thinking: [{ type: 'text', text: '.' }], closed: true },
            { type: 'text', text: 'An' },
          ],
        }),
      ),
      ev(chunk({ content: 'swer' })),
      ev(
        chunk({
          content: [
            { type: 'thinking', thinking: 'plain' },
            { type: 'image_url', image_url: {} },
          ],
        }),
      ),
      ev(chunk({}, { finish_reason: 'stop' })),
    ]);
    expect(result.choices[0]!.message.content).toBe('Answer');
    expect(result.choices[0]!.message.reasoning).toBe('Hmm.plain');
  });

  it('keeps choices apart by index and lists them in index order (n > 1)', async () => {
    const result = await fold([
      ev(chunk({ role: 'assistant', content: 'B' }, { index: 1 })),
      ev(chunk({ role: 'assistant', content: 'A' }, { index: 0 })),
      ev(chunk({ content: 'C' }, { index: 2 })),
      ev(chunk({ content: 'b' }, { index: 1 })),
      ev({ ...chunk({ content: 'a' }), choices: [{ delta: { content: 'a' } }] }),
      ev(chunk({}, { index: 2, finish_reason: 'stop' })),
    ]);
    expect(result.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'Aa', null],
      [1, 'Bb', null],
      [2, 'C', 'stop'],
    ]);
  });

  it('keeps finish_reason sticky: a later null never clears it, a later value replaces it', async () => {
    const result = await fold([
      ev(chunk({ content: 'x' }, { finish_reason: 'length' })),
      ev(chunk({}, { finish_reason: null })),
      ev({ ...chunk({}), choices: [{ index: 0, delta: {} }] }),
    ]);
    expect(result.choices[0]!.finish_reason).toBe('length');
    const replaced = await fold([
      ev(chunk({}, { finish_reason: 'stop' })),
      ev(chunk({}, { finish_reason: 'tool_calls' })),
    ]);
    expect(replaced.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('appends logprobs per side, and leaves them out when none came', async () => {
    const t = (token: string) => ({ token, logprob: -0.1, bytes: [], top_logprobs: [] });
    const withLogprobs = (delta: Record<string, unknown>, content: unknown, refusal: unknown) => ({
      ...chunk(delta),
      choices: [{ index: 0, delta, logprobs: { content, refusal } }],
    });
    const result = await fold([
      ev(withLogprobs({ content: '' }, [], null)),
      ev(withLogprobs({ content: 'Foo' }, [t('Foo')], null)),
      ev(withLogprobs({ content: 'bar' }, [t('bar')], null)),
    ]);
    expect(result.choices[0]!.logprobs).toEqual({ content: [t('Foo'), t('bar')], refusal: null });
    const none = await fold([
      ev(withLogprobs({ content: 'a' }, null, null)),
      ev(chunk({ content: 'b' })),
    ]);
    expect(none.choices[0]).not.toHaveProperty('logprobs');
  });

  describe('tool calls', () => {
    it('merges OpenAI-style fragments by index after a header with id', async () => {
      const result = await fold([
        ev(
          chunk({
            tool_calls: [
              {
                index: 0,
                id: 'call_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '' },
              },
            ],
          }),
        ),
        ev(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] })),
        ev(chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] })),
        ev(
          chunk({
            tool_calls: [
              {
                index: 1,
                id: 'call_2',
                type: 'function',
                function: { name: 'get_time', arguments: '' },
              },
            ],
          }),
        ),
        ev(chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] })),
        ev(chunk({}, { finish_reason: 'tool_calls' })),
      ]);
      expect(calls(result)).toEqual([
        {
          id: 'call_1',
          type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
        },
        { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ]);
    });

    it('keeps whole calls that share an index apart by id (xAI, Groq)', async () => {
      const result = await fold([
        ev(
          chunk({
            tool_calls: [{ index: 0, id: 'a', function: { name: 'add', arguments: '{"a":1}' } }],
          }),
        ),
        ev(
          chunk({
            tool_calls: [{ index: 0, id: 'b', function: { name: 'mul', arguments: '{"b":2}' } }],
          }),
        ),
      ]);
      expect(calls(result)).toEqual([
        { id: 'a', type: 'function', function: { name: 'add', arguments: '{"a":1}' } },
        { id: 'b', type: 'function', function: { name: 'mul', arguments: '{"b":2}' } },
      ]);
    });

    it('never lets an empty continuation id or name overwrite the real ones (Alibaba, Mistral)', async () => {
      const result = await fold([
        ev(
          chunk({
            tool_calls: [
              {
                index: 0,
                id: 'call_x',
                type: 'function',
                function: { name: 'weather', arguments: '' },
              },
            ],
          }),
        ),
        ev(
          chunk({
            tool_calls: [
              { index: 0, id: '', type: 'function', function: { name: '', arguments: '{"q":' } },
            ],
          }),
        ),
        ev(
          chunk({
            tool_calls: [{ index: 0, type: 'function', function: { name: '', arguments: '1}' } }],
          }),
        ),
      ]);
      expect(calls(result)).toEqual([
        { id: 'call_x', type: 'function', function: { name: 'weather', arguments: '{"q":1}' } },
      ]);
    });

    it('accepts a call with no index and no type (Mistral) and index-less fragments (Gemini)', async () => {
      const result = await fold([
        ev(
          chunk({ tool_calls: [{ id: 'gS1', function: { name: 'weather', arguments: '{"c":' } }] }),
        ),
        ev(chunk({ tool_calls: [{ index: null, id: '', function: { arguments: '"x"}' } }] })),
      ]);
      expect(calls(result)).toEqual([
        { id: 'gS1', type: 'function', function: { name: 'weather', arguments: '{"c":"x"}' } },
      ]);
    });

    it('gives a call that started by index alone its id when it arrives late', async () => {
      const result = await fold([
        ev(chunk({ tool_calls: [{ index: 3, function: { name: 'f', arguments: '{' } }] })),
        ev(chunk({ tool_calls: [{ index: 3, id: 'late', function: { arguments: '}' } }] })),
      ]);
      expect(calls(result)).toEqual([
        { id: 'late', type: 'function', function: { name: 'f', arguments: '{}' } },
      ]);
    });

    it('handles several calls in one delta and a first index that is not 0', async () => {
      const result = await fold([
        ev(
          chunk({
            tool_calls: [
              { index: 1, id: 'p', function: { name: 'one', arguments: '' } },
              { index: 2, id: 'q', function: { name: 'two', arguments: '' } },
            ],
          }),
        ),
        ev(
          chunk({
            tool_calls: [
              { index: 2, function: { arguments: '[2]' } },
              { index: 1, function: { arguments: '[1]' } },
            ],
          }),
        ),
      ]);
      expect(calls(result)).toEqual([
        { id: 'p', type: 'function', function: { name: 'one', arguments: '[1]' } },
        { id: 'q', type: 'function', function: { name: 'two', arguments: '[2]' } },
      ]);
    });

    it('keeps a same-id delta at another index apart: its own call, never "{}{}"', async () => {
      // Issue 12, item 12. openai-node keys calls by index alone; the AI SDK starts a new call
      // for a known id at a new index when it carries a name. Either way: two calls.
      const result = await fold([
        ev(
          chunk({
            tool_calls: [
              { index: 0, id: 'dup', type: 'function', function: { name: 'add', arguments: '{}' } },
            ],
          }),
        ),
        ev(
          chunk({
            tool_calls: [
              { index: 1, id: 'dup', type: 'function', function: { name: 'mul', arguments: '{}' } },
            ],
          }),
        ),
        ev(chunk({}, { finish_reason: 'tool_calls' })),
      ]);
      expect(calls(result)).toEqual([
        { id: 'dup', type: 'function', function: { name: 'add', arguments: '{}' } },
        { id: 'dup', type: 'function', function: { name: 'mul', arguments: '{}' } },
      ]);
    });

    it('drops a whole call repeated at its own index, and splits off a different restatement', async () => {
      const whole = (args: string) =>
        ev(
          chunk({
            tool_calls: [
              {
                index: 0,
                id: 'again',
                type: 'function',
                function: { name: 'add', arguments: args },
              },
            ],
          }),
        );
      const repeated = await fold([
        whole('{"a":'),
        ev(chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] })),
        // Some servers send the finished call once more with the finish: not `{"a":1}{"a":1}`.
        whole('{"a":1}'),
        ev(chunk({}, { finish_reason: 'tool_calls' })),
      ]);
      expect(calls(repeated)).toEqual([
        { id: 'again', type: 'function', function: { name: 'add', arguments: '{"a":1}' } },
      ]);
      const different = await fold([
        whole('{"a":1}'),
        whole('{"a":'),
        ev(chunk({ tool_calls: [{ index: 0, function: { arguments: '2}' } }] })),
        ev(chunk({}, { finish_reason: 'tool_calls' })),
      ]);
      expect(calls(different)).toEqual([
        { id: 'again', type: 'function', function: { name: 'add', arguments: '{"a":1}' } },
        { id: 'again', type: 'function', function: { name: 'add', arguments: '{"a":2}' } },
      ]);
    });

    it('still appends fragments that repeat the id and name while the arguments are open', async () => {
      const result = await fold(
        ['{"a":', '{"b":1}', '}'].map((args) =>
          ev(
            chunk({
              tool_calls: [{ index: 0, id: 'chatty', function: { name: 'f', arguments: args } }],
            }),
          ),
        ),
      );
      expect(calls(result)).toEqual([
        { id: 'chatty', type: 'function', function: { name: 'f', arguments: '{"a":{"b":1}}' } },
      ]);
    });

    it('sends later fragments with a shared id to the call at their own index', async () => {
      const result = await fold([
        ev(
          chunk({
            tool_calls: [
              { index: 0, id: 'same', function: { name: 'a', arguments: '' } },
              { index: 1, id: 'same', function: { name: 'b', arguments: '' } },
            ],
          }),
        ),
        // The id's most recent call is index 1's; this fragment belongs to index 0's.
        ev(chunk({ tool_calls: [{ index: 0, id: 'same', function: { arguments: '[0' } }] })),
        ev(chunk({ tool_calls: [{ index: 1, function: { arguments: '[1]' } }] })),
        ev(chunk({ tool_calls: [{ index: 0, function: { arguments: ']' } }] })),
        // No index: the most recent call with that id.
        ev(chunk({ tool_calls: [{ id: 'same', function: { arguments: ' ' } }] })),
      ]);
      expect(calls(result)).toEqual([
        { id: 'same', type: 'function', function: { name: 'a', arguments: '[0]' } },
        { id: 'same', type: 'function', function: { name: 'b', arguments: '[1] ' } },
      ]);
    });

    it('lets a call that started without an index take the first index its id comes with', async () => {
      const result = await fold([
        ev(chunk({ tool_calls: [{ id: 'g1', function: { name: 'f', arguments: '{"a":' } }] })),
        ev(chunk({ tool_calls: [{ index: 0, id: 'g1', function: { arguments: '1}' } }] })),
        // g1 now sits at index 0: at index 1 the same id is another call.
        ev(
          chunk({ tool_calls: [{ index: 1, id: 'g1', function: { name: 'f', arguments: '{}' } }] }),
        ),
        ev(chunk({ tool_calls: [{ index: 0, function: { arguments: ' ' } }] })),
      ]);
      expect(calls(result)).toEqual([
        { id: 'g1', type: 'function', function: { name: 'f', arguments: '{"a":1} ' } },
        { id: 'g1', type: 'function', function: { name: 'f', arguments: '{}' } },
      ]);
    });

    it('keeps custom (freeform) tool calls, typed, in the order received', async () => {
      // Issue 12, item 11: OpenAI's custom tools stream `custom: { name, input }` fragments.
      const result = await fold([
        ev(
          chunk({
            tool_calls: [
              { index: 0, id: 'ct_1', type: 'custom', custom: { name: 'run_sql', input: '' } },
            ],
          }),
        ),
        ev(chunk({ tool_calls: [{ index: 0, custom: { input: 'SELECT 1' } }] })),
        ev(chunk({ tool_calls: [{ index: 0, custom: { input: ';\n' } }] })),
        ev(
          chunk({
            tool_calls: [
              { index: 1, id: 'fc_2', type: 'function', function: { name: 'f', arguments: '{}' } },
            ],
          }),
        ),
        // A whole custom call in one delta, told by its `custom` object even without `type`.
        ev(
          chunk({ tool_calls: [{ index: 2, id: 'ct_3', custom: { name: 'shell', input: 'ls' } }] }),
        ),
        ev(chunk({}, { finish_reason: 'tool_calls' })),
      ]);
      expect(calls(result)).toEqual([
        { id: 'ct_1', type: 'custom', custom: { name: 'run_sql', input: 'SELECT 1;\n' } },
        { id: 'fc_2', type: 'function', function: { name: 'f', arguments: '{}' } },
        { id: 'ct_3', type: 'custom', custom: { name: 'shell', input: 'ls' } },
      ]);
    });

    it('is safe against __proto__ and constructor keys from provider JSON', async () => {
      const raw =
        '{"id":"x","choices":[{"index":0,"delta":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"tool_calls":[{"index":0,"id":"__proto__","function":{"name":"constructor","arguments":"{\\"__proto__\\":1}"}},{"index":1,"id":"constructor","function":{"name":"toString","arguments":""}},{"index":0,"id":"__proto__","function":{"arguments":"!"}}]}}]}';
      const result = await fold([
        ev(JSON.parse(raw)),
        ev(chunk({}, { finish_reason: 'tool_calls' })),
      ]);
      expect(calls(result)).toEqual([
        {
          id: '__proto__',
          type: 'function',
          function: { name: 'constructor', arguments: '{"__proto__":1}!' },
        },
        { id: 'constructor', type: 'function', function: { name: 'toString', arguments: '' } },
      ]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(result.choices[0]!.message)).toBe(Object.prototype);
    });
  });

  it('attaches the partial completion, with the failing chunk usage, to an rxchat error', async () => {
    const usage = { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 };
    const source: Observable<ChatStreamEvent> = concat(
      from([ev(chunk({ content: 'so far' }))]),
      throwError(() => new RxChatError('stream_error', 'boom', { usage })),
    );
    const error = (await lastValueFrom(source.pipe(finalCompletion())).catch(
      (e: unknown) => e,
    )) as RxChatError;
    expect(error.code).toBe('stream_error');
    expect(error.partial?.choices[0]?.message.content).toBe('so far');
    expect(error.partial?.usage).toEqual(usage);
  });

  it('passes foreign errors through untouched', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>(
        '-a-#',
        { a: ev(chunk({ content: 'x' })) },
        new TypeError('x'),
      );
      expectObservable(source.pipe(finalCompletion())).toBe('---#', undefined, new TypeError('x'));
    });
  });

  it('emits once, at completion, and unsubscribes upstream when the consumer leaves', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = ev(chunk({ content: 'a' }));
      const u = done();
      const source = cold<ChatStreamEvent>('-a-a-u|', { a, u });
      const expected = '                     ------(c|)';
      expectObservable(source.pipe(finalCompletion())).toBe(expected, {
        c: expect.objectContaining({
          choices: [
            expect.objectContaining({ message: expect.objectContaining({ content: 'aa' }) }),
          ],
        }),
      });
      const early = cold<ChatStreamEvent>('-a-a-u|', { a, u });
      expectObservable(early.pipe(finalCompletion()), '^--!').toBe('----');
      expectSubscriptions(early.subscriptions).toBe('^--!');
    });
  });
});

describe('accumulate', () => {
  it('emits a snapshot per chunk and a last one with the usage', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };
      const source = cold<ChatStreamEvent>('-a-b-u|', {
        a: ev(chunk({ role: 'assistant', content: 'Hi' })),
        b: ev(chunk({ content: '!' }, { finish_reason: 'stop' })),
        u: done(usage),
      });
      const snapshot = (content: string, finish: string | null, u: unknown) => ({
        id: 'chatcmpl-1',
        model: 'test-model',
        created: 1700000000,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content, reasoning: null, refusal: null, tool_calls: [] },
            finish_reason: finish,
          },
        ],
        usage: u,
      });
      expectObservable(source.pipe(accumulate())).toBe('-a-b-u|', {
        a: snapshot('Hi', null, null),
        b: snapshot('Hi!', 'stop', null),
        u: snapshot('Hi!', 'stop', usage),
      });
    });
  });

  it('never mutates a snapshot it already emitted, and shares unchanged choices', async () => {
    const snapshots = await lastValueFrom(
      from([
        ev(chunk({ content: 'a' }, { index: 0 })),
        ev(chunk({ content: 'b' }, { index: 1 })),
        ev({
          ...chunk({}),
          choices: [{ index: 1, delta: { content: 'c' }, logprobs: { content: [{ token: 'c' }] } }],
        }),
      ]).pipe(accumulate(), toArray()),
    );
    expect(snapshots[0]!.choices.map((c) => c.message.content)).toEqual(['a']);
    expect(snapshots[1]!.choices.map((c) => c.message.content)).toEqual(['a', 'b']);
    expect(snapshots[2]!.choices.map((c) => c.message.content)).toEqual(['a', 'bc']);
    expect(snapshots[2]!.choices[0]).toBe(snapshots[1]!.choices[0]);
    expect(snapshots[1]!.choices[1]).not.toHaveProperty('logprobs');
  });

  it('attaches the snapshot so far to an error', async () => {
    const source = concat(
      from([ev(chunk({ content: 'part' }))]),
      throwError(() => new RxChatError('truncated', 'cut')),
    );
    const error = (await lastValueFrom(source.pipe(accumulate())).catch(
      (e: unknown) => e,
    )) as RxChatError;
    expect(error.partial?.choices[0]?.message.content).toBe('part');
  });
});
