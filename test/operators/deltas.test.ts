import type { ChatCompletionChunk, ChatStreamEvent } from '../../src';
import { contentDeltas, reasoningDeltas, toolCalls, usage } from '../../src';
import { chunk, testScheduler } from '../helpers/marbles';

const ev = (c: unknown): ChatStreamEvent => ({ type: 'chunk', chunk: c as ChatCompletionChunk });

describe('contentDeltas', () => {
  it('emits the text of each chunk, skipping empty pieces and other choices', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('-a-b-c-d-e-u|', {
        a: ev(chunk({ role: 'assistant', content: '' })),
        b: ev(chunk({ content: 'Hel' })),
        c: ev(chunk({ content: 'other' }, { index: 1 })),
        d: ev(
          chunk({
            content: [
              { type: 'thinking', thinking: 'x' },
              { type: 'text', text: 'lo' },
            ],
          }),
        ),
        e: ev(chunk({ reasoning_content: 'not content' })),
        u: { type: 'usage', usage: null },
      });
      expectObservable(source.pipe(contentDeltas())).toBe('---b---d----|', { b: 'Hel', d: 'lo' });
      expectSubscriptions(source.subscriptions).toBe('^-----------!');
    });
  });

  it('follows the choice it is told to', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b|', {
        a: ev(chunk({ content: 'zero' })),
        b: ev(chunk({ content: 'one' }, { index: 1 })),
      });
      expectObservable(source.pipe(contentDeltas({ choice: 1 }))).toBe('---b|', { b: 'one' });
    });
  });

  it('passes errors and stops upstream on unsubscribe', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('-a-#', { a: ev(chunk({ content: 'x' })) }, 'boom');
      expectObservable(source.pipe(contentDeltas())).toBe('-a-#', { a: 'x' }, 'boom');
      const long = cold<ChatStreamEvent>('-a-a-a-a|', { a: ev(chunk({ content: 'x' })) });
      expectObservable(long.pipe(contentDeltas()), '^--!').toBe('-a-', { a: 'x' });
      expectSubscriptions(long.subscriptions).toBe('^--!');
    });
  });
});

describe('contentDeltas and reasoningDeltas: surrogate pairs split across chunks', () => {
  // Servers that escape non-ASCII (\ud83d\ude00) may cut an emoji between two chunks. Each
  // emitted piece must be whole text: the high half waits for its low half.
  const smile = '\u{1F600}'; // '\ud83d\ude00'
  const [high, low] = [smile[0]!, smile[1]!];

  it('holds a trailing high surrogate until the next delta', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b-c-d|', {
        a: ev(chunk({ content: `Hi ${high}` })),
        b: ev(chunk({ content: `${low}!` })),
        c: ev(chunk({ content: high })),
        d: ev(chunk({ content: low })),
      });
      expectObservable(source.pipe(contentDeltas())).toBe('-a-b---d|', {
        a: 'Hi ',
        b: `${smile}!`,
        d: smile,
      });
    });
  });

  it('keeps the held half across chunks of other choices and chunks without text', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b-c-d|', {
        a: ev(chunk({ content: `x${high}` })),
        b: ev(chunk({ content: 'other' }, { index: 1 })),
        c: ev(chunk({ role: 'assistant' })),
        d: ev(chunk({ content: `${low}y` })),
      });
      expectObservable(source.pipe(contentDeltas())).toBe('-a-----d|', {
        a: 'x',
        d: `${smile}y`,
      });
    });
  });

  it('emits a half that never got its pair as it is at the end, so nothing is lost', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const ended = cold<ChatStreamEvent>('-a-u|', {
        a: ev(chunk({ content: `ok${high}` })),
        u: { type: 'usage', usage: null },
      });
      expectObservable(ended.pipe(contentDeltas())).toBe('-a--(h|)', { a: 'ok', h: high });
      const failed = cold<ChatStreamEvent>('-a-#', { a: ev(chunk({ content: high })) }, 'cut');
      expectObservable(failed.pipe(contentDeltas())).toBe('---(h#)', { h: high }, 'cut');
      // A high half followed by something that is not its low half was lone all along.
      const lone = cold<ChatStreamEvent>('-a-b|', {
        a: ev(chunk({ content: `x${high}` })),
        b: ev(chunk({ content: 'y' })),
      });
      expectObservable(lone.pipe(contentDeltas())).toBe('-a-b|', { a: 'x', b: `${high}y` });
    });
  });

  it('does the same for reasoning, in every field', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b-c-d|', {
        a: ev(chunk({ reasoning_content: `think ${high}` })),
        b: ev(chunk({ reasoning: `${low} then ${high}` })),
        c: ev(chunk({ content: [{ type: 'thinking', thinking: [{ type: 'text', text: low }] }] })),
        d: ev(chunk({ content: 'answer' })),
      });
      expectObservable(source.pipe(reasoningDeltas())).toBe('-a-b-c--|', {
        a: 'think ',
        b: `${smile} then `,
        c: smile,
      });
    });
  });
});

describe('reasoningDeltas', () => {
  it('reads reasoning_content, reasoning and thinking parts', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b-c-d-e|', {
        a: ev(chunk({ reasoning_content: 'one', reasoning: 'dup' })),
        b: ev(chunk({ reasoning: 'two', reasoning_content: null })),
        c: ev(
          chunk({ content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'three' }] }] }),
        ),
        d: ev(chunk({ content: 'answer' })),
        e: ev(chunk({ reasoning_content: '', reasoning: 'four' })),
      });
      expectObservable(source.pipe(reasoningDeltas())).toBe('-a-b-c---e|', {
        a: 'one',
        b: 'two',
        c: 'three',
        e: 'four',
      });
    });
  });
});

describe('toolCalls', () => {
  const header = (index: number, id: string, name: string) =>
    ev(chunk({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] }));
  const args = (index: number, text: string) =>
    ev(chunk({ tool_calls: [{ index, function: { arguments: text } }] }));
  const call = (id: string, name: string, a: string) => ({
    id,
    type: 'function',
    function: { name, arguments: a },
  });

  it('emits each call once the next has arguments of its own, and the last one at finish_reason', () => {
    // The next call's header alone (c) does not end the one before: only its arguments do.
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b-c-d-f-u|', {
        a: header(0, 'c1', 'add'),
        b: args(0, '{"a":1}'),
        c: header(1, 'c2', 'mul'),
        d: args(1, '{"b":2}'),
        f: ev(chunk({}, { finish_reason: 'tool_calls' })),
        u: { type: 'usage', usage: null },
      });
      expectObservable(source.pipe(toolCalls())).toBe('-------x-y--|', {
        x: call('c1', 'add', '{"a":1}'),
        y: call('c2', 'mul', '{"b":2}'),
      });
    });
  });

  it('emits calls still open when the stream ends without a finish_reason on that choice', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b-u|', {
        a: header(0, 'c1', 'f'),
        b: args(0, '{}'),
        u: { type: 'usage', usage: null },
      });
      expectObservable(source.pipe(toolCalls())).toBe('-----x|', { x: call('c1', 'f', '{}') });
    });
  });

  it('emits whole calls that arrive in one chunk with the finish (Mistral)', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const whole = ev({
        ...chunk({}),
        choices: [
          {
            delta: { tool_calls: [{ id: 'm1', function: { name: 'w', arguments: '{"c":1}' } }] },
            finish_reason: 'tool_calls',
          },
        ],
      });
      const source = cold<ChatStreamEvent>('-a|', { a: whole });
      expectObservable(source.pipe(toolCalls())).toBe('-a|', { a: call('m1', 'w', '{"c":1}') });
    });
  });

  it('waits for a call whose header came with the next one until its arguments are whole', () => {
    // Issue 12, item 10: two calls opened by one delta, arguments in later chunks.
    testScheduler().run(({ cold, expectObservable }) => {
      const both = ev(
        chunk({
          tool_calls: [
            { index: 0, id: 'c1', type: 'function', function: { name: 'add', arguments: '' } },
            { index: 1, id: 'c2', type: 'function', function: { name: 'mul', arguments: '' } },
          ],
        }),
      );
      const source = cold<ChatStreamEvent>('-h-a-b-c-f|', {
        h: both,
        a: args(0, '{"a":'),
        b: args(0, '1}'),
        c: args(1, '{"b":2}'),
        f: ev(chunk({}, { finish_reason: 'tool_calls' })),
      });
      expectObservable(source.pipe(toolCalls())).toBe('-------x-y|', {
        x: call('c1', 'add', '{"a":1}'),
        y: call('c2', 'mul', '{"b":2}'),
      });
    });
  });

  it('never emits a call early when fragments interleave across indexes', () => {
    // The shape of test/fixtures/quirks/several-tool-calls-one-delta.sse: call 0 gets more
    // arguments after call 1 got some, so call 1 having arguments did not mean call 0 was done.
    testScheduler().run(({ cold, expectObservable }) => {
      const opened = ev(
        chunk({
          tool_calls: [
            {
              index: 0,
              id: 'c1',
              type: 'function',
              function: { name: 'add', arguments: '{"a":1,' },
            },
            {
              index: 1,
              id: 'c2',
              type: 'function',
              function: { name: 'mul', arguments: '{"a":2,' },
            },
          ],
        }),
      );
      const source = cold<ChatStreamEvent>('-h-a-b-c-f|', {
        h: opened,
        a: args(1, '"b":5}'),
        b: args(0, '"b":4}'),
        c: ev(
          chunk({
            tool_calls: [
              { index: 2, id: 'c3', type: 'function', function: { name: 'neg', arguments: '{}' } },
            ],
          }),
        ),
        f: ev(chunk({}, { finish_reason: 'tool_calls' })),
      });
      expectObservable(source.pipe(toolCalls())).toBe('-----x-y-z|', {
        x: call('c1', 'add', '{"a":1,"b":4}'),
        y: call('c2', 'mul', '{"a":2,"b":5}'),
        z: call('c3', 'neg', '{}'),
      });
    });
  });

  it('reads brackets and escaped quotes inside strings as text when judging the end', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b-c-d-(f|)', {
        a: header(0, 'c1', 'f'),
        b: args(0, '{"s":"} ]\\"'), // {"s":"} ]\"  (the string is still open)
        c: ev(
          chunk({ tool_calls: [{ index: 1, id: 'c2', function: { name: 'g', arguments: '[]' } }] }),
        ),
        d: args(0, '"}'),
        f: ev(chunk({}, { finish_reason: 'tool_calls' })),
      });
      expectObservable(source.pipe(toolCalls())).toBe('-------x-(y|)', {
        x: call('c1', 'f', '{"s":"} ]\\""}'),
        y: call('c2', 'g', '[]'),
      });
    });
  });

  it('holds a call whose arguments never close until the finish, losing nothing', () => {
    // A call without arguments, and one whose arguments are not a whole JSON value: more could
    // still come for them, so a later call's arguments do not end them; the finish does.
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b-c-d-(f|)', {
        a: header(0, 'c1', 'now'),
        b: header(1, 'c2', 'count'),
        c: args(1, '42'),
        d: ev(
          chunk({ tool_calls: [{ index: 2, id: 'c3', function: { name: 'x', arguments: '{}' } }] }),
        ),
        f: ev(chunk({}, { finish_reason: 'tool_calls' })),
      });
      expectObservable(source.pipe(toolCalls())).toBe('---------(xyz|)', {
        x: call('c1', 'now', ''),
        y: call('c2', 'count', '42'),
        z: call('c3', 'x', '{}'),
      });
    });
  });

  it('emits custom (freeform) tool calls too, in order, once the choice finishes', () => {
    // Free-form input has no closing bracket to tell that it is whole: it waits for the finish,
    // and the function call after it waits its turn.
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b-c-(f|)', {
        a: ev(
          chunk({
            tool_calls: [
              { index: 0, id: 'ct1', type: 'custom', custom: { name: 'sql', input: '' } },
            ],
          }),
        ),
        b: ev(chunk({ tool_calls: [{ index: 0, custom: { input: 'SELECT 1' } }] })),
        c: ev(
          chunk({
            tool_calls: [
              { index: 1, id: 'c2', type: 'function', function: { name: 'f', arguments: '{}' } },
            ],
          }),
        ),
        f: ev(chunk({}, { finish_reason: 'tool_calls' })),
      });
      expectObservable(source.pipe(toolCalls())).toBe('-------(xy|)', {
        x: { id: 'ct1', type: 'custom', custom: { name: 'sql', input: 'SELECT 1' } },
        y: call('c2', 'f', '{}'),
      });
    });
  });

  it('emits no half-finished call when the stream fails', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>(
        '-a-b-#',
        { a: header(0, 'c1', 'f'), b: args(0, '{"x"') },
        'cut',
      );
      expectObservable(source.pipe(toolCalls())).toBe('-----#', undefined, 'cut');
    });
  });
});

describe('usage', () => {
  it('emits the usage event value, then completes', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const u = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
      const source = cold<ChatStreamEvent>('-a-u|', {
        a: ev(chunk({ content: 'x' })),
        u: { type: 'usage', usage: u },
      });
      expectObservable(source.pipe(usage())).toBe('---u|', { u });
    });
  });
});
