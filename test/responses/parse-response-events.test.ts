import fc from 'fast-check';
import { from, lastValueFrom, tap, toArray, type Observable } from 'rxjs';
import {
  accumulate,
  chatState,
  contentDeltas,
  decodeSse,
  finalCompletion,
  parseChunks,
  parseResponseEvents,
  reasoningDeltas,
  RxChatError,
  toolCalls,
  usage,
  type ChatStreamEvent,
  type ResponseStreamEvent,
} from '../../src';
import { makeResponseEvents, makeResponseUsage, responsesWire, sseEvent } from '../../src/testing';
import { cutAt } from '../helpers/pipeline';

// The Responses parse path, from wire text written from the event contract (OpenAI's reference):
// what comes out, how it ends, and that every reader of the stream agrees.

const encoder = new TextEncoder();
const events$ = (wire: string | string[]): Observable<ChatStreamEvent> =>
  from(typeof wire === 'string' ? [wire] : wire).pipe(decodeSse(), parseResponseEvents());

async function outcome<T>(source: Observable<T>): Promise<{ values: T[]; error?: RxChatError }> {
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

const final = (wire: string) => outcome(events$(wire).pipe(finalCompletion()));
const text = async (wire: string) =>
  (await outcome(events$(wire).pipe(contentDeltas()))).values.join('');
const wireOf = (events: Omit<ResponseStreamEvent, 'sequence_number'>[], done = false) =>
  responsesWire(
    events.map((e, i) => ({ ...e, sequence_number: i }) as ResponseStreamEvent),
    { done },
  );
const created = {
  type: 'response.created',
  response: { id: 'resp_9', model: 'm-1', created_at: 17, status: 'in_progress', output: [] },
};
const completed = (output: unknown[] = [], usage: unknown = makeResponseUsage(3, 2)) => ({
  type: 'response.completed',
  response: { id: 'resp_9', model: 'm-1', created_at: 17, status: 'completed', output, usage },
});

describe('parseResponseEvents', () => {
  it('emits every event in order as { type: responses }, then one usage event, then completes', async () => {
    const events = makeResponseEvents({ text: ['Hel', 'lo'] });
    const { values, error } = await outcome(events$(responsesWire(events)));
    expect(error).toBeUndefined();
    expect(values.slice(0, -1)).toEqual(events.map((event) => ({ type: 'responses', event })));
    expect(values.at(-1)).toEqual({
      type: 'usage',
      usage: {
        ...makeResponseUsage(),
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
  });

  it('folds into the normalised completion: id, model and created from response.created', async () => {
    const { values, error } = await final(
      responsesWire(
        makeResponseEvents({ id: 'resp_7', model: 'gpt-x', createdAt: 42, text: ['Hi', ' there'] }),
      ),
    );
    expect(error).toBeUndefined();
    expect(values).toEqual([
      {
        id: 'resp_7',
        model: 'gpt-x',
        created: 42,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: 'Hi there',
              reasoning: null,
              refusal: null,
              tool_calls: [],
            },
            finish_reason: 'stop',
          },
        ],
        usage: expect.objectContaining({
          prompt_tokens: 10,
          completion_tokens: 5,
          input_tokens: 10,
        }),
      },
    ]);
  });

  it('gives the same events and the same end for every way the bytes are cut', async () => {
    const wire = responsesWire(
      makeResponseEvents({
        reasoning: [['Think', 'ing'], ['More']],
        text: ['A😀', 'b', 'ç'],
        calls: [{ name: 'f', arguments: ['{"a"', ':1}'] }],
      }),
      { done: true },
    );
    const bytes = encoder.encode(wire);
    const run = async (pieces: Uint8Array[]) => {
      const { values, error } = await outcome(
        from(pieces).pipe(decodeSse(), parseResponseEvents()),
      );
      return JSON.stringify([values, error?.code]);
    };
    const whole = await run([bytes]);
    expect(JSON.parse(whole)[1]).toBeNull();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }),
        async (offsets) => {
          expect(await run(cutAt(bytes, offsets))).toBe(whole);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('joins reasoning summary parts with a blank line; reasoningDeltas and the completion agree', async () => {
    const wire = responsesWire(
      makeResponseEvents({ reasoning: [['Step', ' one'], ['Step two']], text: ['ok'] }),
    );
    const deltas = (await outcome(events$(wire).pipe(reasoningDeltas()))).values;
    expect(deltas.join('')).toBe('Step one\n\nStep two');
    const { values } = await final(wire);
    expect(values[0]!.choices[0]!.message.reasoning).toBe('Step one\n\nStep two');
    expect(values[0]!.choices[0]!.message.content).toBe('ok');
  });

  it('joins reasoning_text deltas in arrival order whatever their content_index', async () => {
    const wire = wireOf([
      created,
      {
        type: 'response.output_item.added',
        output_index: 0,
        item: { type: 'reasoning', id: 'rs_0', summary: [] },
      },
      {
        type: 'response.reasoning_text.delta',
        output_index: 0,
        item_id: 'rs_0',
        content_index: 1,
        delta: 'b',
      },
      {
        type: 'response.reasoning_text.delta',
        output_index: 0,
        item_id: 'rs_0',
        content_index: 0,
        delta: 'a',
      },
      {
        type: 'response.reasoning_text.done',
        output_index: 0,
        item_id: 'rs_0',
        content_index: 0,
        text: 'a',
      },
      completed(),
    ]);
    expect((await outcome(events$(wire).pipe(reasoningDeltas()))).values.join('')).toBe('ba');
    expect((await final(wire)).values[0]!.choices[0]!.message.reasoning).toBe('ba');
  });

  it('emits function calls when their arguments are done, with call_id as id; finish_reason tool_calls', async () => {
    const wire = responsesWire(
      makeResponseEvents({
        text: [],
        calls: [
          { name: 'get_weather', callId: 'call_A', arguments: ['{"city":', '"Paris"}'] },
          { name: 'g', arguments: ['{}'] },
        ],
      }),
    );
    const calls = await outcome(events$(wire).pipe(toolCalls()));
    expect(calls.values).toEqual([
      {
        id: 'call_A',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      },
      { id: 'call_1', type: 'function', function: { name: 'g', arguments: '{}' } },
    ]);
    const { values } = await final(wire);
    expect(values[0]!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(values[0]!.choices[0]!.message.tool_calls).toEqual(calls.values);
    expect(values[0]!.choices[0]!.message.content).toBeNull();
  });

  it('emits a call at its arguments.done, before the stream ends', async () => {
    const events = makeResponseEvents({ text: [], calls: [{ name: 'f', arguments: ['{"x":1}'] }] });
    const doneAt = events.find(
      (e) => e.type === 'response.function_call_arguments.done',
    )!.sequence_number;
    const marks: (string | number | null | undefined)[] = [];
    await lastValueFrom(
      events$(responsesWire(events)).pipe(
        tap((e) => e.type === 'responses' && marks.push(e.event.sequence_number)),
        toolCalls(),
        tap(() => marks.push('call')),
        toArray(),
      ),
    );
    expect(marks.indexOf('call')).toBe(marks.indexOf(doneAt) + 1);
    expect(marks.filter((m) => m === 'call')).toHaveLength(1);
  });

  it('counts function arguments and text that arrive only in .done events or items', async () => {
    const wire = wireOf([
      created,
      {
        type: 'response.output_item.added',
        output_index: 0,
        item: { type: 'message', id: 'm0', content: [] },
      },
      {
        type: 'response.output_text.done',
        output_index: 0,
        item_id: 'm0',
        content_index: 0,
        text: 'from done',
      },
      {
        type: 'response.output_item.done',
        output_index: 0,
        item: { type: 'message', id: 'm0', content: [{ type: 'output_text', text: 'from done' }] },
      },
      {
        type: 'response.output_item.done',
        output_index: 1,
        item: { type: 'message', id: 'm1', content: [{ type: 'output_text', text: '+item' }] },
      },
      {
        type: 'response.output_item.added',
        output_index: 2,
        item: { type: 'function_call', id: 'fc', call_id: 'c2', name: 'f' },
      },
      {
        type: 'response.function_call_arguments.done',
        output_index: 2,
        item_id: 'fc',
        arguments: '{"only":"done"}',
      },
      completed(),
    ]);
    expect(await text(wire)).toBe('from done+item');
    const { values } = await final(wire);
    expect(values[0]!.choices[0]!.message).toMatchObject({
      content: 'from done+item',
      tool_calls: [
        { id: 'c2', type: 'function', function: { name: 'f', arguments: '{"only":"done"}' } },
      ],
    });
  });

  it('takes text from the terminal response output when no event streamed it', async () => {
    const wire = wireOf([
      created,
      completed([
        { type: 'message', id: 'm', content: [{ type: 'output_text', text: 'all at once' }] },
      ]),
    ]);
    expect(await text(wire)).toBe('all at once');
    expect((await final(wire)).values[0]!.choices[0]!.message.content).toBe('all at once');
  });

  it('maps incomplete reasons: max_output_tokens → length, content_filter, others as given', async () => {
    for (const [reason, finish] of [
      ['max_output_tokens', 'length'],
      ['content_filter', 'content_filter'],
      ['constructor', 'constructor'],
    ]) {
      const { values, error } = await final(
        responsesWire(makeResponseEvents({ end: 'incomplete', incompleteReason: reason })),
      );
      expect(error).toBeUndefined();
      expect(values[0]!.choices[0]!.finish_reason).toBe(finish);
      expect(values[0]!.usage).toMatchObject({ completion_tokens: 5 });
    }
  });

  it('finishes with stop for hosted tools (web search) and plain answers', async () => {
    const wire = wireOf([
      created,
      {
        type: 'response.output_item.added',
        output_index: 0,
        item: { type: 'web_search_call', id: 'ws', status: 'in_progress' },
      },
      { type: 'response.web_search_call.searching', output_index: 0, item_id: 'ws' },
      {
        type: 'response.output_item.done',
        output_index: 0,
        item: { type: 'web_search_call', id: 'ws', status: 'completed' },
      },
      {
        type: 'response.output_text.delta',
        output_index: 1,
        item_id: 'm',
        content_index: 0,
        delta: 'found',
      },
      completed(),
    ]);
    const { values } = await final(wire);
    expect(values[0]!.choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { content: 'found', tool_calls: [] },
    });
  });

  it('fails with stream_error on error + response.failed: the error event details win, usage and partial kept', async () => {
    const wire = responsesWire(
      makeResponseEvents({
        text: ['Par', 'tial'],
        end: 'failed',
        error: { code: 'server_error', message: 'boom' },
      }),
    );
    const { values, error } = await outcome(events$(wire));
    expect(
      values
        .filter((e) => e.type === 'responses')
        .map((e) => (e as { event: ResponseStreamEvent }).event.type)
        .slice(-2),
    ).toEqual(['error', 'response.failed']);
    expect(error?.code).toBe('stream_error');
    expect(error?.provider).toEqual({
      message: 'boom',
      code: 'server_error',
      type: null,
      param: null,
    });
    expect(error?.usage).toMatchObject({ prompt_tokens: 10, input_tokens: 10 });
    const folded = await final(wire);
    expect(folded.error?.partial).toMatchObject({
      id: 'resp_1',
      model: 'mock-1',
      choices: [{ message: { content: 'Partial' } }],
    });
  });

  it('reads a response.failed alone from response.error; rate limits are retryable', async () => {
    const wire = wireOf([
      created,
      {
        type: 'response.failed',
        response: {
          id: 'r',
          status: 'failed',
          error: { code: 'rate_limit_exceeded', message: 'slow down' },
        },
      },
    ]);
    const { error } = await outcome(events$(wire));
    expect(error).toMatchObject({
      code: 'stream_error',
      retryable: true,
      provider: { code: 'rate_limit_exceeded', message: 'slow down' },
    });
  });

  it('an error event followed by the end of the body fails with its details, not truncated', async () => {
    const wire = wireOf([
      created,
      { type: 'error', code: 'invalid_prompt', message: 'no', param: 'input' },
    ]);
    const { error } = await outcome(events$(wire));
    expect(error).toMatchObject({
      code: 'stream_error',
      provider: { code: 'invalid_prompt', message: 'no', param: 'input' },
    });
  });

  it('a body or [DONE] without a terminal event is truncated; the partial carries id and model', async () => {
    const events = makeResponseEvents({
      id: 'resp_cut',
      model: 'mm',
      text: ['cut ', 'here'],
      end: 'none',
    });
    for (const wire of [responsesWire(events), responsesWire(events, { done: true })]) {
      const { error } = await final(wire);
      expect(error?.code).toBe('truncated');
      expect(error?.retryable).toBe(true);
      expect(error?.partial).toMatchObject({
        id: 'resp_cut',
        model: 'mm',
        choices: [{ message: { content: 'cut here' }, finish_reason: null }],
      });
    }
  });

  it('ends at the terminal event: a [DONE] after it, or anything else, is not read', async () => {
    const wire = responsesWire(makeResponseEvents(), { done: true }) + 'data: not json\n\n';
    const { error, values } = await outcome(events$(wire));
    expect(error).toBeUndefined();
    expect(values.at(-1)?.type).toBe('usage');
  });

  it('passes unknown event types, keepalive events and unknown fields through, in order', async () => {
    const wire = wireOf([
      created,
      { type: 'keepalive' },
      { type: 'response.something_new', extra: { deep: [1, 2] } },
      {
        type: 'response.output_text.delta',
        output_index: 0,
        content_index: 0,
        delta: 'x',
        obfuscation: 'abc',
      },
      completed(),
    ]);
    const { values } = await outcome(events$(wire));
    expect(values.map((e) => (e.type === 'responses' ? e.event.type : e.type))).toEqual([
      'response.created',
      'keepalive',
      'response.something_new',
      'response.output_text.delta',
      'response.completed',
      'usage',
    ]);
    expect((values[2] as { event: ResponseStreamEvent }).event.extra).toEqual({ deep: [1, 2] });
    expect((values[3] as { event: ResponseStreamEvent }).event.obfuscation).toBe('abc');
  });

  it('fails with validation_error when a field rxchat reads has an impossible type', async () => {
    for (const bad of [
      { type: 'response.output_text.delta', output_index: 0, delta: 5 },
      { type: 'response.output_item.added', output_index: '0', item: {} },
      { type: 'response.completed', response: { usage: { input_tokens: 'ten' } } },
      { type: 7 },
    ]) {
      const { error } = await outcome(events$(sseEvent(created) + sseEvent(bad)));
      expect(error?.code).toBe('validation_error');
      expect(error?.message).toMatch(/Responses event 2 has an impossible shape/);
    }
  });

  it('fails with parse_error for data that is not JSON, keeping what came', async () => {
    const { values, error } = await outcome(events$(sseEvent(created) + 'data: {oops\n\n'));
    expect(values).toHaveLength(1);
    expect(error?.code).toBe('parse_error');
  });

  it('names the protocol when chat chunks come through parseResponseEvents, and the reverse', async () => {
    const chunk = {
      id: 'c',
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { content: 'hi' } }],
    };
    const chat = await outcome(events$(sseEvent(chunk) + 'data: [DONE]\n\n'));
    expect(chat.error?.code).toBe('parse_error');
    expect(chat.error?.message).toMatch(/Chat Completions chunks/);

    const reversed = await outcome(
      from([responsesWire(makeResponseEvents())]).pipe(decodeSse(), parseChunks()),
    );
    expect(reversed.error?.code).toBe('parse_error');
    expect(reversed.error?.message).toMatch(/Responses API events \(response\.created\)/);
  });

  it('uses the SSE event name when a payload leaves out its type', async () => {
    const wire =
      'event: response.output_text.delta\ndata: {"output_index":0,"content_index":0,"delta":"named"}\n\n';
    expect(
      await text(
        sseEvent(created, { event: 'response.created' }) +
          wire +
          responsesWire([completed() as ResponseStreamEvent]),
      ),
    ).toBe('named');
  });

  it('chatState, accumulate and usage read a Responses stream too', async () => {
    const wire = responsesWire(makeResponseEvents({ reasoning: [['r']], text: ['a', 'b'] }));
    const states = (await outcome(events$(wire).pipe(chatState()))).values;
    expect(states.at(-1)).toMatchObject({
      text: 'ab',
      reasoning: 'r',
      done: true,
      usage: { total_tokens: 15 },
    });
    expect(states.filter((s) => s.text === 'a')).not.toHaveLength(0);
    const snapshots = (await outcome(events$(wire).pipe(accumulate()))).values;
    expect(snapshots.at(-1)).toEqual((await final(wire)).values[0]);
    expect((await outcome(events$(wire).pipe(usage()))).values).toEqual([
      expect.objectContaining({ total_tokens: 15 }),
    ]);
  });
});

describe('Responses quirks of real servers', () => {
  const finalText = async (wire: string) => {
    const { values, error } = await final(wire);
    expect(error).toBeUndefined();
    return { completion: values[0]!, deltas: await text(wire) };
  };

  it('vLLM: an item with no deltas and no lifecycle events, and [DONE] after the terminal event', async () => {
    const wire = wireOf(
      [
        created,
        {
          type: 'response.output_text.delta',
          output_index: 0,
          item_id: 'm',
          content_index: 0,
          delta: 'hi',
        },
        completed([
          { type: 'message', id: 'm', content: [{ type: 'output_text', text: 'hi' }] },
          { type: 'message', id: 'empty', content: [{ type: 'output_text', text: '' }] },
        ]),
      ],
      true,
    );
    const { completion, deltas } = await finalText(wire);
    expect(deltas).toBe('hi');
    expect(completion.choices[0]!.message.content).toBe('hi');
  });

  it('LiteLLM: content for an item never announced', async () => {
    const wire = wireOf([
      created,
      {
        type: 'response.output_text.delta',
        output_index: 0,
        item_id: 'ghost',
        content_index: 0,
        delta: 'boo',
      },
      {
        type: 'response.output_text.done',
        output_index: 0,
        item_id: 'ghost',
        content_index: 0,
        text: 'boo',
      },
      completed(),
    ]);
    expect((await finalText(wire)).completion.choices[0]!.message.content).toBe('boo');
  });

  it('OpenRouter: output_item.done out of order', async () => {
    const wire = wireOf([
      created,
      {
        type: 'response.output_item.added',
        output_index: 0,
        item: { type: 'message', id: 'a', content: [] },
      },
      {
        type: 'response.output_text.delta',
        output_index: 0,
        item_id: 'a',
        content_index: 0,
        delta: 'one ',
      },
      {
        type: 'response.output_item.added',
        output_index: 1,
        item: { type: 'function_call', id: 'b', call_id: 'cb', name: 'f' },
      },
      {
        type: 'response.function_call_arguments.delta',
        output_index: 1,
        item_id: 'b',
        delta: '{}',
      },
      {
        type: 'response.output_item.done',
        output_index: 1,
        item: { type: 'function_call', id: 'b', call_id: 'cb', name: 'f', arguments: '{}' },
      },
      {
        type: 'response.output_item.done',
        output_index: 0,
        item: { type: 'message', id: 'a', content: [{ type: 'output_text', text: 'one ' }] },
      },
      completed(),
    ]);
    const { completion, deltas } = await finalText(wire);
    expect(deltas).toBe('one ');
    expect(completion.choices[0]!.message).toMatchObject({
      content: 'one ',
      tool_calls: [{ id: 'cb', function: { arguments: '{}' } }],
    });
  });

  it('Copilot: item ids that change between events of one item (keyed by output_index)', async () => {
    const wire = wireOf([
      created,
      {
        type: 'response.output_item.added',
        output_index: 0,
        item: { type: 'message', id: 'id1', content: [] },
      },
      {
        type: 'response.output_text.delta',
        output_index: 0,
        item_id: 'id2',
        content_index: 0,
        delta: 'ro',
      },
      {
        type: 'response.output_text.delta',
        output_index: 0,
        item_id: 'id3',
        content_index: 0,
        delta: 'tate',
      },
      {
        type: 'response.output_text.done',
        output_index: 0,
        item_id: 'id4',
        content_index: 0,
        text: 'rotate',
      },
      {
        type: 'response.output_item.done',
        output_index: 0,
        item: { type: 'message', id: 'id5', content: [{ type: 'output_text', text: 'rotate' }] },
      },
      {
        type: 'response.output_item.added',
        output_index: 1,
        item: { type: 'function_call', id: 'f1', call_id: 'c', name: 'f' },
      },
      {
        type: 'response.function_call_arguments.delta',
        output_index: 1,
        item_id: 'f2',
        delta: '{"a":',
      },
      {
        type: 'response.function_call_arguments.delta',
        output_index: 1,
        item_id: 'f3',
        delta: '1}',
      },
      completed([
        { type: 'message', id: 'id6', content: [{ type: 'output_text', text: 'rotate' }] },
        { type: 'function_call', id: 'f4', call_id: 'c', name: 'f', arguments: '{"a":1}' },
      ]),
    ]);
    const { completion, deltas } = await finalText(wire);
    expect(deltas).toBe('rotate');
    expect(completion.id).toBe('resp_9');
    expect(completion.choices[0]!.message).toMatchObject({
      content: 'rotate',
      tool_calls: [{ id: 'c', function: { name: 'f', arguments: '{"a":1}' } }],
    });
  });
});

describe('accumulate on Responses snapshots', () => {
  it('never mutates an emitted snapshot', async () => {
    const wire = responsesWire(
      makeResponseEvents({
        reasoning: [['r']],
        text: ['a', 'b', 'c'],
        calls: [{ name: 'f', arguments: ['{', '}'] }],
      }),
    );
    const atEmission: string[] = [];
    const snapshots = await lastValueFrom(
      events$(wire).pipe(
        accumulate(),
        tap((snapshot) => atEmission.push(JSON.stringify(snapshot))),
        toArray(),
      ),
    );
    expect(snapshots.map((s) => JSON.stringify(s))).toEqual(atEmission);
    expect(new Set(atEmission).size).toBeGreaterThan(5);
  });
});
