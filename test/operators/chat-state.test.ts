import { concat, from, lastValueFrom, throwError, toArray } from 'rxjs';
import {
  chatState,
  createChatClient,
  finalCompletion,
  RxChatError,
  type ChatCompletionChunk,
  type ChatState,
  type ChatStreamEvent,
} from '../../src';
import { createMockTransport, DONE, makeChunk, makeUsage, sseValues } from '../../src/testing';
import { chunk, testScheduler } from '../helpers/marbles';

const ev = (c: unknown): ChatStreamEvent => ({ type: 'chunk', chunk: c as ChatCompletionChunk });
const done = (usage: unknown = null): ChatStreamEvent => ({ type: 'usage', usage: usage as never });
const response: ChatStreamEvent = { type: 'response', status: 200, headers: {}, requestId: null };
const tokens = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };

/** A ChatState, compared by its plain fields (tests below check the completion on its own). */
const state = (text: string, isDone: boolean, usage: unknown = null, reasoning = '') =>
  expect.objectContaining({ text, reasoning, usage, done: isDone }) as unknown as ChatState;

describe('chatState', () => {
  it('emits a snapshot per chunk and a last one with done and the usage, ignoring responses', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('-r-a-b-c-u|', {
        r: response,
        a: ev(chunk({ role: 'assistant', content: '' })),
        b: ev(chunk({ content: 'Hel', reasoning_content: 'hmm' })),
        c: ev(chunk({ content: 'lo' }, { finish_reason: 'stop' })),
        u: done(tokens),
      });
      expectObservable(source.pipe(chatState())).toBe('---a-b-c--(d|)', {
        a: state('', false),
        b: state('Hel', false, null, 'hmm'),
        c: state('Hello', false, null, 'hmm'),
        d: state('Hello', true, tokens, 'hmm'),
      });
      expectSubscriptions(source.subscriptions).toBe('^---------!');
    });
  });

  it('ends with what finalCompletion gives, and never changes a snapshot it emitted', async () => {
    const events = [
      ev(chunk({ role: 'assistant', content: 'a' })),
      ev(chunk({ tool_calls: [{ index: 0, id: 'c1', function: { name: 'f', arguments: '{}' } }] })),
      ev(chunk({ content: 'b' }, { finish_reason: 'tool_calls', usage: tokens })),
      done(tokens),
    ];
    const states = await lastValueFrom(from(events).pipe(chatState(), toArray()));
    const last = states[states.length - 1]!;
    expect(last.completion).toEqual(await lastValueFrom(from(events).pipe(finalCompletion())));
    expect(last.usage).toBe(last.completion.usage);
    expect(states.map((s) => [s.text, s.done])).toEqual([
      ['a', false],
      ['a', false],
      ['ab', false],
      ['ab', true],
    ]);
    // Usage reported on a chunk shows at once; the first snapshots stay as they were.
    expect(states.map((s) => s.usage)).toEqual([null, null, tokens, tokens]);
    expect(states[0]!.completion.choices[0]!.message.tool_calls).toEqual([]);
  });

  it('follows the choice it is told to; the completion keeps every choice', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b-u|', {
        a: ev(chunk({ content: 'zero' })),
        b: ev(chunk({ content: 'one', reasoning: 'why' }, { index: 1 })),
        u: done(),
      });
      expectObservable(source.pipe(chatState({ choice: 1 }))).toBe('-a-b--(d|)', {
        a: state('', false),
        b: state('one', false, null, 'why'),
        d: state('one', true, null, 'why'),
      });
    });
  });

  it('never shows half a surrogate pair before the end, and all of the text at the end', () => {
    const smile = '\u{1F600}';
    const [high, low] = [smile[0]!, smile[1]!];
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-a-b-c-u|', {
        a: ev(chunk({ content: `Hi ${high}`, reasoning_content: high })),
        b: ev(chunk({ content: `${low}!`, reasoning_content: low })),
        c: ev(chunk({ content: high })),
        u: done(),
      });
      expectObservable(source.pipe(chatState())).toBe('-a-b-c--(d|)', {
        a: state('Hi ', false),
        b: state(`Hi ${smile}!`, false, null, smile),
        c: state(`Hi ${smile}!`, false, null, smile),
        d: state(`Hi ${smile}!${high}`, true, null, smile),
      });
    });
  });

  it('gives one done snapshot for a stream without chunks', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<ChatStreamEvent>('-u|', { u: done() });
      expectObservable(source.pipe(chatState())).toBe('--(d|)', {
        d: {
          text: '',
          reasoning: '',
          completion: { id: '', model: '', created: 0, choices: [], usage: null },
          usage: null,
          done: true,
        },
      });
    });
  });

  it('fails without a done snapshot, the error carrying the completion so far', () => {
    const seen: ChatState[] = [];
    let failure: unknown;
    concat(
      from([ev(chunk({ content: 'part' }))]),
      throwError(() => new RxChatError('truncated', 'cut')),
    )
      .pipe(chatState())
      .subscribe({ next: (s) => seen.push(s), error: (e: unknown) => (failure = e) });
    expect(seen.map((s) => [s.text, s.done])).toEqual([['part', false]]);
    const error = failure as RxChatError;
    expect(error.code).toBe('truncated');
    expect(error.partial?.choices[0]?.message.content).toBe('part');
  });

  it('stops upstream on unsubscribe', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatStreamEvent>('-a-a-a|', { a: ev(chunk({ content: 'x' })) });
      expectObservable(source.pipe(chatState()), '^--!').toBe('-a-', { a: state('x', false) });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('gives the text, the usage and the completion of one request, sent once', () => {
    const requests = testScheduler().run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [
        {
          body: '-a-b-u-d|',
          values: sseValues({
            a: makeChunk({ role: 'assistant', content: 'Hel' }),
            b: makeChunk({ content: 'lo', finishReason: 'stop' }),
            u: { ...makeChunk(), choices: [], usage: makeUsage(3, 2) },
            d: DONE,
          }),
        },
      ]);
      const client = createChatClient({ baseURL: 'http://test/v1', transport });
      const states = client
        .stream({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] })
        .pipe(chatState());
      expectObservable(states).toBe('-a-b-u-(d|)', {
        a: state('Hel', false),
        b: state('Hello', false),
        u: state('Hello', false, tokens),
        d: state('Hello', true, tokens),
      });
      return () => transport.requests.length; // read once the run has flushed
    });
    expect(requests()).toBe(1);
  });
});
