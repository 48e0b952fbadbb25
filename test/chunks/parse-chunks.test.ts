import { from, lastValueFrom, toArray } from 'rxjs';
import { parseChunks, RxChatError, type SseEvent } from '../../src';
import { chunk, message, testScheduler } from '../helpers/marbles';

const c1 = chunk({ role: 'assistant', content: 'Hel' });
const c2 = chunk({ content: 'lo' });
const fin = chunk({}, { finish_reason: 'stop' });
const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
const usageChunk = { ...chunk({}), choices: [], usage };

const run = (events: SseEvent[]) => lastValueFrom(from(events).pipe(parseChunks(), toArray()));
const failure = async (events: SseEvent[]) => {
  const error = await run(events).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!RxChatError.isInstance(error))
    throw new Error(`expected an RxChatError, got ${String(error)}`);
  return error;
};

describe('parseChunks', () => {
  it('emits each chunk, then one usage event, then completes on [DONE]', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-u-d-x-|', {
        a: message(c1),
        b: message(c2),
        c: message(fin),
        u: message(usageChunk),
        d: message('[DONE]'),
        x: message(c1),
      });
      expectObservable(source.pipe(parseChunks())).toBe('-a-b-c-u-(z|)', {
        a: { type: 'chunk', chunk: c1 },
        b: { type: 'chunk', chunk: c2 },
        c: { type: 'chunk', chunk: fin },
        u: { type: 'chunk', chunk: usageChunk },
        z: { type: 'usage', usage },
      });
      // [DONE] releases the body at once: nothing after it is read.
      expectSubscriptions(source.subscriptions).toBe('^--------!');
    });
  });

  it('ignores comments and retry fields', async () => {
    const events = await run([
      { type: 'comment', comment: 'OPENROUTER PROCESSING' },
      message(c1),
      { type: 'retry', retry: 100 },
      message(fin),
      message('[DONE]'),
    ]);
    expect(events.map((e) => e.type)).toEqual(['chunk', 'chunk', 'usage']);
  });

  it('accepts `event: message` and unknown fields, keeping the chunk as received', async () => {
    const quirky = {
      ...c1,
      obfuscation: 'xyz',
      choices: [{ delta: { content: 'a' }, matched_stop: 1 }],
    };
    const [first] = await run([
      message(quirky, { event: 'message' }),
      message(fin),
      message('[DONE]'),
    ]);
    expect(first).toEqual({ type: 'chunk', chunk: quirky });
  });

  it('reports usage null when the server reported none', async () => {
    const events = await run([message(c1), message(fin), message('[DONE]')]);
    expect(events[events.length - 1]).toEqual({ type: 'usage', usage: null });
  });

  it('keeps the last reported usage and never sums repeats (top-level, then x_groq)', async () => {
    const early = { prompt_tokens: 3, completion_tokens: null, total_tokens: null };
    const groq = { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 };
    const events = await run([
      message(chunk({ content: 'a' }, { usage: early })),
      message({ ...fin, x_groq: { id: 'req_1', usage: groq } }),
      message({ ...chunk({}), choices: [], usage: null, moderation: {} }),
      message('[DONE]'),
    ]);
    expect(events[events.length - 1]).toEqual({ type: 'usage', usage: groq });
  });

  it('prefers top-level usage over x_groq.usage in the same chunk', async () => {
    const events = await run([
      message({ ...fin, usage, x_groq: { usage: { ...usage, total_tokens: 99 } } }),
      message('[DONE]'),
    ]);
    expect(events[events.length - 1]).toEqual({ type: 'usage', usage });
  });

  it('completes without [DONE] when some choice has a finish_reason', async () => {
    const events = await run([message(c1), message({ ...fin, usage })]);
    expect(events[events.length - 1]).toEqual({ type: 'usage', usage });
  });

  it('fails with truncated when the body ends without [DONE] and without finish_reason', async () => {
    const error = await failure([message(c1), message(c2)]);
    expect(error.code).toBe('truncated');
    expect(error.message).toContain('2 chunks');
  });

  it('fails with truncated without [DONE] even after a finish when requireDone is set', async () => {
    const error: unknown = await lastValueFrom(
      from([message(c1), message(fin)]).pipe(parseChunks({ requireDone: true })),
    ).catch((e: unknown) => e);
    expect((error as RxChatError).code).toBe('truncated');
  });

  it('uses a complete last event that lacked its blank line, and drops a fragment', async () => {
    const ok = await run([message(c1), message(fin, { incomplete: true })]);
    expect(ok.map((e) => e.type)).toEqual(['chunk', 'chunk', 'usage']);
    const done = await run([message(c1), message(fin), message('[DONE]', { incomplete: true })]);
    expect(done.map((e) => e.type)).toEqual(['chunk', 'chunk', 'usage']);
    const cut = await failure([
      message(c1),
      message('{"id":"chatcmpl-1","cho', { incomplete: true }),
    ]);
    expect(cut.code).toBe('truncated');
    const afterFinish = await run([message(fin), message('{"id":"x","usa', { incomplete: true })]);
    expect(afterFinish.map((e) => e.type)).toEqual(['chunk', 'usage']);
  });

  it('fails with parse_error on malformed JSON mid-stream, naming the chunk', async () => {
    const error = await failure([message(c1), message('{"id": oops}'), message(fin)]);
    expect(error.code).toBe('parse_error');
    expect(error.message).toContain('Chunk 2');
    expect(error.data).toBe('{"id": oops}');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('fails with stream_error on an `event: error` frame, with the provider details', async () => {
    const frame = {
      error: {
        message: 'Tool call validation failed',
        type: 'invalid_request_error',
        code: 'tool_use_failed',
        param: null,
      },
    };
    const error = await failure([message(c1), message(frame, { event: 'error' })]);
    expect(error.code).toBe('stream_error');
    expect(error.message).toContain('Tool call validation failed');
    expect(error.provider).toEqual({
      message: 'Tool call validation failed',
      type: 'invalid_request_error',
      code: 'tool_use_failed',
      param: null,
    });
  });

  it('fails with stream_error on an `event: error` frame whose data is not JSON', async () => {
    const error = await failure([message('upstream overloaded', { event: 'error' })]);
    expect(error.code).toBe('stream_error');
    expect(error.provider?.message).toBe('upstream overloaded');
  });

  it('bounds every provider string an error keeps, and never cuts an emoji in half', async () => {
    const huge = '😀'.repeat(300_000); // 600k UTF-16 units
    const error = await failure([
      message(
        { error: { message: huge, code: huge, type: huge, param: huge } },
        { event: 'error' },
      ),
    ]);
    expect(error.code).toBe('stream_error');
    for (const field of ['message', 'code', 'type', 'param'] as const) {
      const text = String(error.provider?.[field]);
      expect(text.length).toBeLessThan(5000);
      expect(text).toMatch(/^(😀)+… \(600000 chars\)$/u);
    }
    expect(JSON.stringify(error).length).toBeLessThan(40_000);
  });

  it('fails with stream_error on an `event: error` frame whose data is a JSON string, unquoted', async () => {
    const error = await failure([
      message(c1),
      message('"Rate limit exceeded"', { event: 'error' }),
    ]);
    expect(error.code).toBe('stream_error');
    expect(error.message).toBe('The provider reported an error: Rate limit exceeded');
    expect(error.provider).toEqual({
      message: 'Rate limit exceeded',
      code: null,
      type: null,
      param: null,
    });
    expect(error.data).toBe('"Rate limit exceeded"');
  });

  it('skips events with empty data (`data:` alone), as a keep-alive', async () => {
    const events = await run([
      message(''),
      message(c1),
      message('', { event: 'ping' }),
      message(fin),
    ]);
    expect(events.map((e) => e.type)).toEqual(['chunk', 'chunk', 'usage']);
  });

  it('still fails on an `event: error` frame whose data is empty', async () => {
    const error = await failure([message(c1), message('', { event: 'error' })]);
    expect(error.code).toBe('stream_error');
    expect(error.message).toBe('The provider reported an error: unknown provider error');
  });

  it('fails with stream_error on a data object with a top-level error, keeping its usage', async () => {
    const bad = {
      ...chunk({ content: '' }),
      error: { code: 400, message: 'Token limit reached' },
      usage,
    };
    const error = await failure([message(c1), message(fin), message(bad), message('[DONE]')]);
    expect(error.code).toBe('stream_error');
    expect(error.provider).toEqual({
      message: 'Token limit reached',
      code: 400,
      type: null,
      param: null,
    });
    expect(error.usage).toEqual(usage);
  });

  it('accepts an error given as a plain string', async () => {
    const error = await failure([message({ error: 'model overloaded' })]);
    expect(error.provider?.message).toBe('model overloaded');
  });

  it.each([
    ['content is a number', chunk({ content: 42 })],
    ['choices is a string', { ...c1, choices: 'x' }],
    ['a tool call is a string', chunk({ tool_calls: ['get_weather'] })],
    ['usage tokens are text', { ...fin, usage: { prompt_tokens: 'many' } }],
    ['the chunk is an array', [1, 2]],
    ['the chunk is a number', 7],
  ])('fails with validation_error when %s', async (_name, value) => {
    const error = await failure([message(c1), message(value)]);
    expect(error.code).toBe('validation_error');
    expect(error.message).toContain('Chunk 2');
  });

  it('accepts the harmless quirks', async () => {
    const quirks = [
      { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [] },
      { ...chunk({ role: '', content: 'a', index: 0 }), id: 'other-id' },
      {
        ...c1,
        choices: [
          {
            delta: {
              content: [
                { type: 'text', text: 'b' },
                { type: 'thinking', thinking: [{ type: 'text', text: 't' }], closed: true },
              ],
            },
          },
        ],
      },
      {
        ...c1,
        choices: [
          {
            index: 0,
            delta: { role: null, content: null, reasoning_content: null, tool_calls: null },
            finish_reason: null,
            matched_stop: null,
          },
        ],
      },
      { ...c1, choices: [{ index: 0, content_filter_offsets: {}, content_filter_results: {} }] },
      {
        ...c1,
        object: 'chat.completion.done',
        seed: 7228414683750928000,
        choices: [{ index: 0, delta: {}, finish_reason: 'stop', text: 'dup' }],
      },
    ];
    const events = await run([...quirks.map((q) => message(q)), message('[DONE]')]);
    expect(events.map((e) => e.type)).toEqual([...quirks.map(() => 'chunk'), 'usage']);
  });

  it('forwards transport errors unchanged', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const failure = new RxChatError('connection_error', 'socket hang up');
      const source = cold('-a-#', { a: message(c1) }, failure);
      expectObservable(source.pipe(parseChunks())).toBe(
        '-a-#',
        { a: { type: 'chunk', chunk: c1 } },
        failure,
      );
    });
  });

  it('stops reading when the consumer unsubscribes mid-stream', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-|', {
        a: message(c1),
        b: message(c2),
        c: message(c2),
        d: message(fin),
      });
      expectObservable(source.pipe(parseChunks()), '^--!').toBe('-a-', {
        a: { type: 'chunk', chunk: c1 },
      });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });
});
