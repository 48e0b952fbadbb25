import { concat, defer, from, lastValueFrom, Observable, throwError, toArray } from 'rxjs';
import { chatViews, type ChatView } from '../../src/cli/chat-views';
import type { ChatFormat } from '../../src/cli/chat-command';
import { RxChatError, type ChatStreamEvent } from '../../src/node';
import { makeChunk, makeResponseEvents, makeUsage } from '../../src/testing';

// chatViews composes the public operators over one subscription; these run it in-process, with
// no server: what each format shows, in which order, and what a failure leaves behind.

const smile = '\u{1F600}';
const [high, low] = [smile[0]!, smile[1]!];
const usage = makeUsage(3, 4);

const chunk = (options: Parameters<typeof makeChunk>[0]): ChatStreamEvent => ({
  type: 'chunk',
  chunk: makeChunk(options),
});

const answered: ChatStreamEvent[] = [
  chunk({ role: 'assistant', reasoning: `think ${high}` }),
  chunk({ reasoning: `${low} ok`, content: 'Hi' }),
  chunk({
    toolCalls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
    finishReason: 'tool_calls',
  }),
  { type: 'usage', usage },
];

/** The views of `events` followed by the error they fail with, if any. */
async function viewsOf(format: ChatFormat, events: Observable<ChatStreamEvent>) {
  const seen: (ChatView | { failed: unknown })[] = [];
  await new Promise<void>((done) =>
    events.pipe(chatViews(format)).subscribe({
      next: (view) => seen.push(view),
      error: (failed: unknown) => {
        seen.push({ failed });
        done();
      },
      complete: () => done(),
    }),
  );
  return seen;
}

const failed = new RxChatError('stream_error', 'boom');

describe('chatViews', () => {
  it('feeds every view from one subscription (one request)', async () => {
    let subscriptions = 0;
    const events = defer(() => {
      subscriptions++;
      return from(answered);
    });
    for (const format of ['text', 'json', 'ndjson'] as const) {
      subscriptions = 0;
      await viewsOf(format, events);
      expect([format, subscriptions]).toEqual([format, 1]);
    }
  });

  it('text: reasoning before the answer of the same chunk, tool calls once complete, usage', async () => {
    expect(await viewsOf('text', from(answered))).toEqual([
      { type: 'reasoning', text: 'think ' },
      { type: 'reasoning', text: `${smile} ok` },
      { type: 'answer', text: 'Hi' },
      {
        type: 'tool-call',
        call: { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
      },
      { type: 'finish', index: 0, reason: 'tool_calls' },
      { type: 'usage', usage },
    ]);
  });

  it('text: a failure still gets the half emoji each view held back, then fails once', async () => {
    const events = concat(
      from([chunk({ reasoning: `r ${high}` }), chunk({ content: `Hi ${high}` })]),
      throwError(() => failed),
    );
    expect(await viewsOf('text', events)).toEqual([
      { type: 'reasoning', text: 'r ' },
      { type: 'answer', text: 'Hi ' },
      { type: 'reasoning', text: high },
      { type: 'answer', text: high },
      { failed },
    ]);
  });

  it('json: the final completion; on failure, what arrived, marked as failed', async () => {
    // The usage view speaks at the usage event, the completion at the end.
    const views = await viewsOf('json', from(answered));
    expect(views.map((view) => ('type' in view ? view.type : 'failed'))).toEqual([
      'finish',
      'usage',
      'completion',
    ]);
    const done = views.at(-1) as { completion: { usage: unknown } };
    expect(done).toMatchObject({
      type: 'completion',
      completion: { choices: [{ message: { content: 'Hi', reasoning: `think ${smile} ok` } }] },
    });
    expect(done.completion.usage).toEqual(usage);

    // The usage a failing error frame reported belongs to the partial completion, as in
    // `rxchat inspect`.
    const billed = new RxChatError('stream_error', 'boom', { usage: makeUsage(5, 5) });
    const cut = await viewsOf(
      'json',
      concat(
        from([chunk({ content: 'part' })]),
        throwError(() => billed),
      ),
    );
    expect(cut).toMatchObject([
      {
        type: 'failed-completion',
        failed: {
          ok: false,
          completion: { choices: [{ message: { content: 'part' } }], usage: makeUsage(5, 5) },
          error: { code: 'stream_error', message: 'boom' },
        },
      },
      { failed: billed },
    ]);
  });

  it('json: a failure before anything arrived has no completion, not an empty one', async () => {
    const refused = new RxChatError('http_error', 'HTTP 401 Unauthorized', { status: 401 });
    expect(
      await viewsOf(
        'json',
        throwError(() => refused),
      ),
    ).toEqual([
      {
        type: 'failed-completion',
        failed: {
          ok: false,
          completion: null,
          error: { code: 'http_error', message: 'HTTP 401 Unauthorized' },
        },
      },
      { failed: refused },
    ]);
  });

  it('every format: the finish reasons, as they arrive', async () => {
    const events = from([
      chunk({ content: 'a', finishReason: 'length' }),
      chunk({ index: 1, content: 'b' }),
      chunk({ index: 1, finishReason: 'content_filter' }),
      { type: 'usage', usage } as const,
    ]);
    for (const format of ['text', 'json', 'ndjson'] as const) {
      const views = await viewsOf(format, events);
      expect(views.filter((view) => 'type' in view && view.type === 'finish')).toEqual([
        { type: 'finish', index: 0, reason: 'length' },
        { type: 'finish', index: 1, reason: 'content_filter' },
      ]);
    }
  });

  it('ndjson: every event as it came, then the error as the last event', async () => {
    const first = answered[0]!;
    const views = await viewsOf(
      'ndjson',
      concat(
        from([first]),
        throwError(() => failed),
      ),
    );
    expect(views).toEqual([
      { type: 'event', event: first },
      { type: 'event', event: { type: 'error', error: failed.toJSON() } },
      { failed },
    ]);
  });

  it('ends the request when unsubscribed', () => {
    let closed = false;
    const events = new Observable<ChatStreamEvent>(() => () => (closed = true));
    events.pipe(chatViews('text')).subscribe().unsubscribe();
    expect(closed).toBe(true);
  });

  it('keeps every event for ndjson, usage included', async () => {
    const views = await lastValueFrom(from(answered).pipe(chatViews('ndjson'), toArray()));
    expect(views.filter((view) => view.type === 'event')).toHaveLength(answered.length);
    expect(views.at(-1)).toEqual({ type: 'usage', usage });
  });
});

describe('chatViews of a Responses stream', () => {
  /** A Responses stream as client.responses() emits it: each event, then the usage. */
  const responses = (options: Parameters<typeof makeResponseEvents>[0]): ChatStreamEvent[] => [
    ...makeResponseEvents(options).map((event): ChatStreamEvent => ({ type: 'responses', event })),
    { type: 'usage', usage },
  ];

  it('shows reasoning and answer as they arrive, and the cut reason under its chat name', async () => {
    const events = responses({
      reasoning: [['a', 'b']],
      text: ['Hel', 'lo'],
      end: 'incomplete',
    });
    expect(await viewsOf('text', from(events))).toEqual([
      { type: 'reasoning', text: 'a' },
      { type: 'reasoning', text: 'b' },
      { type: 'answer', text: 'Hel' },
      { type: 'answer', text: 'lo' },
      { type: 'finish', index: 0, reason: 'length' },
      { type: 'usage', usage },
    ]);
    const filtered = responses({
      text: ['x'],
      end: 'incomplete',
      incompleteReason: 'content_filter',
    });
    expect(await viewsOf('json', from(filtered))).toContainEqual({
      type: 'finish',
      index: 0,
      reason: 'content_filter',
    });
  });

  it('says no finish reason for a completed response (stop and tool calls cut nothing)', async () => {
    const views = await viewsOf(
      'text',
      from(responses({ calls: [{ name: 'f', arguments: ['{}'] }] })),
    );
    expect(views.filter((view) => 'type' in view && view.type === 'finish')).toEqual([]);
    expect(views).toContainEqual(
      expect.objectContaining({
        type: 'tool-call',
        call: expect.objectContaining({ id: 'call_1' }),
      }),
    );
  });
});
