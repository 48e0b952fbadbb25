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

  it('emits each call once the next starts, and the last one at finish_reason', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b-c-d-f-u|', {
        a: header(0, 'c1', 'add'),
        b: args(0, '{"a":1}'),
        c: header(1, 'c2', 'mul'),
        d: args(1, '{"b":2}'),
        f: ev(chunk({}, { finish_reason: 'tool_calls' })),
        u: { type: 'usage', usage: null },
      });
      expectObservable(source.pipe(toolCalls())).toBe('-----x---y--|', {
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
