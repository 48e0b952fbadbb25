import { filter, map, NEVER, Observable, of, timer } from 'rxjs';
import { z } from 'zod';
import {
  contentDeltas,
  createChatClient,
  RxChatError,
  usage,
  type ChatClientOptions,
  type ChatRequestOptions,
  type ChatStreamEvent,
  type RunToolsEvent,
  type ToolStepRequestOptions,
} from '../../src';
import { createMockTransport, makeChunk, makeUsage, type MockResponse } from '../../src/testing';
import { testScheduler } from '../helpers/marbles';
import { answerChunks, callChunks, chatStep, Timeline } from './helpers';

// client.runTools() on virtual time with the mock transport: the events of a loop, the requests
// it sends, parallel calls, invalid calls, failing tools, the step limit, abort and retry.

const request = { model: 'm', messages: [{ role: 'user', content: 'Weather in Paris?' }] };
const weather = z.object({ city: z.string() });
const parisCall = { id: 'call_1', name: 'get_weather', args: '{"city":"Paris"}' };

type Transport = ReturnType<typeof createMockTransport>;
type Helpers = Parameters<Parameters<ReturnType<typeof testScheduler>['run']>[0]>[0];

/** Runs `body` on virtual time; returns the loop's timeline, its events and its error. */
function play(
  script: readonly MockResponse[],
  body: (
    client: ReturnType<typeof createChatClient>,
    helpers: Helpers,
  ) => Observable<RunToolsEvent>,
  clientOptions: ChatClientOptions = {},
) {
  const scheduler = testScheduler();
  const timeline = new Timeline(() => scheduler.now());
  const events: RunToolsEvent[] = [];
  let error: unknown;
  let transport!: Transport;
  scheduler.run((helpers) => {
    transport = createMockTransport({ cold: helpers.cold }, script);
    const client = createChatClient({ baseURL: 'http://test/v1', transport, ...clientOptions });
    const observer = timeline.observer(events);
    body(client, helpers).subscribe({
      ...observer,
      error: (e: unknown) => {
        error = e;
        observer.error();
      },
    });
  });
  return { timeline: timeline.toString(), events, error, transport };
}

const bodies = (transport: Transport) =>
  transport.requests.map((r) => r.json as Record<string, unknown>);
const results = (events: RunToolsEvent[]) => events.filter((e) => e.type === 'tool_result');

describe('client.runTools() (chat)', () => {
  it('runs a two-step loop: tagged events, step_finish, tool_result, total usage', () => {
    const executed: unknown[] = [];
    const { timeline, events, transport } = play(
      [
        chatStep(callChunks([parisCall]), makeUsage(10, 5)),
        chatStep(answerChunks(['Sunny', ', 21°C']), makeUsage(30, 4)),
      ],
      (client) =>
        client.runTools(request, {
          tools: {
            get_weather: {
              description: 'The weather in a city',
              parameters: weather,
              execute: ({ city }, context) => {
                executed.push({ city, toolCallId: context.toolCallId, step: context.step });
                return { city, temperature: 21 };
              },
            },
          },
        }),
    );
    // Step 1: response and 5 chunks (the usage chunk last), its end at 5: step_finish, the
    // tool's result, and step 2 at once (3 chunks), its end at 8: step_finish, total usage.
    expect(timeline).toBe('0:Rc 1:c 2:c 3:c 4:c 5:FTRc 6:c 7:c 8:FU|');
    expect(executed).toEqual([{ city: 'Paris', toolCallId: 'call_1', step: 1 }]);

    // Every stream event is tagged with its step; the steps' usage events are not passed on.
    const steps = events.filter((e) => e.type === 'response' || e.type === 'chunk');
    expect(steps.map((e) => (e as { step: number }).step)).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(events.filter((e) => e.type === 'usage')).toEqual([
      { type: 'usage', usage: { prompt_tokens: 40, completion_tokens: 9, total_tokens: 49 } },
    ]);
    const finishes = events.filter((e) => e.type === 'step_finish');
    expect(finishes).toEqual([
      {
        type: 'step_finish',
        step: 1,
        usage: makeUsage(10, 5),
        finishReason: 'tool_calls',
        completion: expect.objectContaining({
          choices: [
            expect.objectContaining({
              message: expect.objectContaining({
                tool_calls: [
                  {
                    id: 'call_1',
                    type: 'function',
                    function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
                  },
                ],
              }),
            }),
          ],
        }),
      },
      {
        type: 'step_finish',
        step: 2,
        usage: makeUsage(30, 4),
        finishReason: 'stop',
        completion: expect.objectContaining({
          choices: [
            expect.objectContaining({
              message: expect.objectContaining({ content: 'Sunny, 21°C', tool_calls: [] }),
            }),
          ],
        }),
      },
    ]);
    expect(results(events)).toEqual([
      {
        type: 'tool_result',
        step: 1,
        id: 'call_1',
        name: 'get_weather',
        result: { city: 'Paris', temperature: 21 },
      },
    ]);

    // The first request carries the tool as JSON Schema; the second the whole conversation.
    const [first, second] = bodies(transport);
    expect(first!.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'The weather in a city',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
            additionalProperties: false,
          },
        },
      },
    ]);
    expect(second!.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"city":"Paris","temperature":21}' },
    ]);
    expect(second!.tools).toEqual(first!.tools);
  });

  it('contentDeltas() gives every step’s text and usage() the total', () => {
    const texts: string[] = [];
    const totals: unknown[] = [];
    const script = [
      chatStep([makeChunk({ content: 'Let me look. ' }), ...callChunks([parisCall])]),
      chatStep(answerChunks(['Sunny.'])),
    ];
    const tools = { get_weather: { parameters: weather, execute: () => 'sunny' } };
    play(script, (client) => {
      // The operators read ChatStreamEvent; the loop's own kinds pass them by.
      const loop = client.runTools(request, {
        tools,
      }) as Observable<unknown> as Observable<ChatStreamEvent>;
      loop.pipe(contentDeltas()).subscribe((t) => texts.push(t));
      return NEVER;
    });
    play(script, (client) => {
      const loop = client.runTools(request, {
        tools,
      }) as Observable<unknown> as Observable<ChatStreamEvent>;
      loop.pipe(usage()).subscribe((u) => totals.push(u));
      return NEVER;
    });
    expect(texts.join('')).toBe('Let me look. Sunny.');
    expect(totals).toEqual([{ prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 }]);
  });

  it('merges its tools with the request’s (its own win on a name) and sends each step’s request options', () => {
    const { transport } = play([chatStep(answerChunks(['Hi']))], (client) =>
      client.runTools(
        {
          ...request,
          tools: [
            { type: 'function', function: { name: 'other', parameters: {} } },
            { type: 'function', function: { name: 'get_weather', parameters: {} } },
          ],
        },
        {
          tools: { get_weather: { parameters: weather, strict: true, execute: () => 1 } },
          headers: { 'x-step': 'yes' },
        },
      ),
    );
    const [first] = bodies(transport);
    expect(
      (first!.tools as { function: { name: string; strict?: boolean } }[]).map((t) => [
        t.function.name,
        t.function.strict,
      ]),
    ).toEqual([
      ['other', undefined],
      ['get_weather', true],
    ]);
    expect(transport.requests[0]!.request.headers['x-step']).toBe('yes');
  });

  it('runs parallel calls concurrently by default, one at a time with concurrency 1, results in call order', () => {
    const calls = [
      { id: 'call_a', name: 'slow', args: '{"ms":3}' },
      { id: 'call_b', name: 'slow', args: '{"ms":1}' },
    ];
    const script = [chatStep(callChunks(calls), null), chatStep(answerChunks(['Done']), null)];
    const tools = {
      slow: {
        parameters: z.object({ ms: z.number() }),
        execute: ({ ms }: { ms: number }) => timer(ms).pipe(map(() => `waited ${ms}`)),
      },
    };
    // Step 1 ends at 6 (two calls: header + arguments each, finish): b is done at 7 but waits
    // for a, done at 9; then step 2.
    const parallel = play(script, (client) => client.runTools(request, { tools }));
    expect(parallel.timeline).toBe('0:Rc 1:c 2:c 3:c 4:c 5:c 6:F 9:TTRc 10:FU|');
    // One at a time: a from 6 to 9, b from 9 to 10.
    const serial = play(script, (client) => client.runTools(request, { tools, concurrency: 1 }));
    expect(serial.timeline).toBe('0:Rc 1:c 2:c 3:c 4:c 5:c 6:F 9:T 10:TRc 11:FU|');
    for (const { events, transport } of [parallel, serial]) {
      expect(results(events).map((e) => [e.id, 'result' in e ? e.result : e.error])).toEqual([
        ['call_a', 'waited 3'],
        ['call_b', 'waited 1'],
      ]);
      expect((bodies(transport)[1]!.messages as { role: string }[]).map((m) => m.role)).toEqual([
        'user',
        'assistant',
        'tool',
        'tool',
      ]);
    }
  });

  it('answers invalid calls with what is wrong, then fails with validation_error past maxInvalidCalls', () => {
    const tools = { get_weather: { parameters: weather, execute: () => 'sunny' } };
    const bad = [
      { id: 'c1', name: 'get_wether', args: '{"city":"Paris"}' },
      { id: 'c2', name: 'get_weather', args: '{"city":' },
      { id: 'c3', name: 'get_weather', args: '{"town":"Paris"}' },
    ];
    const answered = play(
      [chatStep(callChunks(bad)), chatStep(answerChunks(['Sorry']))],
      (client) => client.runTools(request, { tools }),
    );
    expect(answered.error).toBeUndefined();
    const errors = results(answered.events).map((e) => ('error' in e ? e.error : e.result));
    expect(errors).toEqual([
      'Unknown tool "get_wether". The tools are: get_weather.',
      expect.stringMatching(/^Invalid arguments for tool "get_weather": not JSON \(/),
      expect.stringMatching(/^Invalid arguments for tool "get_weather": city: /),
    ]);
    const toolMessages = (
      bodies(answered.transport)[1]!.messages as { role: string; content: string }[]
    )
      .filter((m) => m.role === 'tool')
      .map((m) => m.content);
    expect(toolMessages).toEqual(errors);

    // The limit counts over the whole loop: 2 answered in step 1, the third fails in step 2.
    const limited = play(
      [
        chatStep(callChunks(bad.slice(0, 2))),
        chatStep(callChunks(bad.slice(2))),
        chatStep(answerChunks(['x'])),
      ],
      (client) => client.runTools(request, { tools, maxInvalidCalls: 2 }),
    );
    expect(limited.error).toEqual(
      expect.objectContaining({
        code: 'validation_error',
        message: expect.stringMatching(
          /^runTools step 2: more than 2 invalid tool calls; the last: Invalid arguments/,
        ),
      }),
    );
    expect(RxChatError.isInstance(limited.error)).toBe(true);
    expect(limited.transport.requests).toHaveLength(2);
  });

  it('a tool that throws is answered as an error, or fails the loop with toolErrors: throw', async () => {
    const boom = new Error('no weather today');
    const tools = {
      get_weather: {
        parameters: weather,
        execute: (): unknown => {
          throw boom;
        },
      },
    };
    const script = [chatStep(callChunks([parisCall])), chatStep(answerChunks(['Sorry']))];
    const answered = play(script, (client) => client.runTools(request, { tools }));
    expect(answered.error).toBeUndefined();
    expect(results(answered.events)).toEqual([
      {
        type: 'tool_result',
        step: 1,
        id: 'call_1',
        name: 'get_weather',
        error: 'no weather today',
      },
    ]);
    expect((bodies(answered.transport)[1]!.messages as { content: unknown }[])[2]).toEqual({
      role: 'tool',
      tool_call_id: 'call_1',
      content: 'Error: no weather today',
    });

    const thrown = play(script, (client) =>
      client.runTools(request, { tools, toolErrors: 'throw' }),
    );
    expect(thrown.error).toBe(boom);
    expect(thrown.timeline).toBe('0:Rc 1:c 2:c 3:c 4:c 5:F#');
    expect(thrown.transport.requests).toHaveLength(1);
  });

  it('an Observable tool gives its last value; one that completes empty is answered as an error', () => {
    const script = [
      chatStep(callChunks([parisCall, { ...parisCall, id: 'call_2', name: 'empty' }])),
      chatStep(answerChunks(['ok'])),
    ];
    const { events } = play(script, (client) =>
      client.runTools(request, {
        tools: {
          get_weather: { parameters: weather, execute: () => of('cloudy', 'sunny') },
          empty: { parameters: weather, execute: () => of() },
        },
      }),
    );
    expect(results(events)).toEqual([
      { type: 'tool_result', step: 1, id: 'call_1', name: 'get_weather', result: 'sunny' },
      {
        type: 'tool_result',
        step: 1,
        id: 'call_2',
        name: 'empty',
        error: 'The tool "empty" gave no result',
      },
    ]);
  });

  it('stops at maxSteps without running the last step’s calls', () => {
    const executed: string[] = [];
    const { timeline, events, transport } = play(
      [chatStep(callChunks([parisCall])), chatStep(callChunks([{ ...parisCall, id: 'call_2' }]))],
      (client) =>
        client.runTools(request, {
          maxSteps: 2,
          tools: {
            get_weather: {
              parameters: weather,
              execute: (_args, { toolCallId }) => executed.push(toolCallId),
            },
          },
        }),
    );
    expect(executed).toEqual(['call_1']);
    expect(transport.requests).toHaveLength(2);
    expect(timeline).toBe('0:Rc 1:c 2:c 3:c 4:c 5:FTRc 6:c 7:c 8:c 9:c 10:FU|');
    expect(events.at(-2)).toEqual(
      expect.objectContaining({ type: 'step_finish', step: 2, finishReason: 'tool_calls' }),
    );
  });

  it('unsubscribing mid-tool aborts its signal and unsubscribes an Observable tool', () => {
    const signals: AbortSignal[] = [];
    const scheduler = testScheduler();
    let transport!: Transport;
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      transport = createMockTransport({ cold }, [
        chatStep(callChunks([parisCall, { ...parisCall, id: 'call_2', name: 'lookup' }])),
      ]);
      const slow = cold('------a|', { a: 'sunny' });
      const client = createChatClient({ baseURL: 'http://test/v1', transport });
      const loop = client.runTools(request, {
        tools: {
          get_weather: { parameters: weather, execute: () => slow },
          lookup: {
            parameters: weather,
            execute: (_args, { signal }) => {
              signals.push(signal);
              return new Promise(() => undefined);
            },
          },
        },
      });
      // Step 1 ends at 7; the tools start then, and the consumer leaves at 9.
      expectObservable(
        loop.pipe(filter((e) => e.type === 'step_finish' || e.type === 'tool_result')),
        '^--------!',
      ).toBe('-------s', { s: expect.objectContaining({ type: 'step_finish', step: 1 }) });
      expectSubscriptions(slow.subscriptions).toBe('-------^-!');
    });
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
  });

  it('unsubscribing mid-step closes the step’s request', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const transport = createMockTransport({ cold }, [chatStep(callChunks([parisCall]))]);
      const client = createChatClient({ baseURL: 'http://test/v1', transport });
      const loop = client.runTools(request, {
        tools: { get_weather: { parameters: weather, execute: () => 1 } },
      });
      expectObservable(loop.pipe(filter((e) => e.type === 'step_finish')), '^--!').toBe('');
      expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^--!');
    });
  });

  it('the caller’s signal aborts the loop while a tool runs, and the tool’s signal with it', () => {
    const signals: AbortSignal[] = [];
    const controller = new AbortController();
    const { error, timeline } = play([chatStep(callChunks([parisCall]))], (client, { cold }) => {
      cold('-------a').subscribe(() => controller.abort());
      return client.runTools(request, {
        signal: controller.signal,
        tools: {
          get_weather: {
            parameters: weather,
            execute: (_args, { signal }) => {
              signals.push(signal);
              return NEVER;
            },
          },
        },
      });
    });
    expect(timeline).toBe('0:Rc 1:c 2:c 3:c 4:c 5:F 7:#');
    expect(error).toEqual(expect.objectContaining({ code: 'aborted' }));
    expect(signals[0]!.aborted).toBe(true);
  });

  it('the client’s signal aborts a running tool too, not only the next request', () => {
    const signals: AbortSignal[] = [];
    const controller = new AbortController();
    const { error, timeline } = play(
      [chatStep(callChunks([parisCall]))],
      (client, { cold }) => {
        cold('-------a').subscribe(() => controller.abort());
        return client.runTools(request, {
          tools: {
            get_weather: {
              parameters: weather,
              execute: (_args, { signal }) => {
                signals.push(signal);
                return NEVER;
              },
            },
          },
        });
      },
      { signal: controller.signal },
    );
    expect(timeline).toBe('0:Rc 1:c 2:c 3:c 4:c 5:F 7:#');
    expect(error).toEqual(expect.objectContaining({ code: 'aborted' }));
    expect(signals[0]!.aborted).toBe(true);
  });

  it('retries a step before its output (a 503, then success) and never runs a tool twice', () => {
    const executed: string[] = [];
    const { timeline, events, transport } = play(
      [
        chatStep(callChunks([parisCall])),
        {
          status: 503,
          responseHeaders: { 'content-type': 'application/json' },
          body: '(e|)',
          values: { e: '{"error":{"message":"busy"}}' },
        },
        chatStep(answerChunks(['Sunny'])),
      ],
      (client) =>
        client.runTools(request, {
          retry: { baseDelay: 3, jitter: 0 },
          tools: {
            get_weather: { parameters: weather, execute: (_a, c) => executed.push(c.toolCallId) },
          },
        }),
    );
    expect(executed).toEqual(['call_1']);
    expect(transport.requests).toHaveLength(3);
    expect(bodies(transport)[2]).toEqual(bodies(transport)[1]);
    // Step 2's first attempt (a 503 response event) at 5, its retry 3 frames later.
    expect(timeline).toBe('0:Rc 1:c 2:c 3:c 4:c 5:FTR 8:Rc 9:c 10:FU|');
    expect(
      events
        .filter((e) => e.type === 'response')
        .map((e) => [(e as { step: number }).step, (e as { status: number }).status]),
    ).toEqual([
      [1, 200],
      [2, 503],
      [2, 200],
    ]);
  });

  it('a failing step fails the loop with its RxChatError, the step in its message and field', () => {
    const { error, events } = play(
      [
        chatStep(callChunks([parisCall])),
        {
          status: 400,
          responseHeaders: { 'content-type': 'application/json' },
          body: '(e|)',
          values: { e: '{"error":{"message":"bad tools"}}' },
        },
      ],
      (client) =>
        client.runTools(request, {
          tools: { get_weather: { parameters: weather, execute: () => 1 } },
        }),
    );
    expect(RxChatError.isInstance(error)).toBe(true);
    expect(error).toEqual(
      expect.objectContaining({
        code: 'http_error',
        status: 400,
        step: 2,
        message: expect.stringMatching(/^runTools step 2: /),
      }),
    );
    expect(events.at(-1)).toEqual(
      expect.objectContaining({ type: 'response', step: 2, status: 400 }),
    );
  });

  it('fails with validation_error on bad options, before sending anything', () => {
    for (const [options, message] of [
      [{ maxSteps: 0 }, /maxSteps must be an integer ≥ 1, got 0/],
      [{ concurrency: 0.5 }, /concurrency must be/],
      [{ maxInvalidCalls: -1 }, /maxInvalidCalls/],
      [{ toolErrors: 'ignore' }, /toolErrors/],
      [
        { tools: { f: { parameters: {}, execute: () => 1 } } },
        /parameters of tool "f" must be a zod 4 schema/,
      ],
    ] as const) {
      const { error, transport } = play([], (client) =>
        client.runTools(request, {
          tools: { get_weather: { parameters: weather, execute: () => 1 } },
          ...(options as object),
        }),
      );
      expect(error).toEqual(
        expect.objectContaining({
          code: 'validation_error',
          message: expect.stringMatching(message),
        }),
      );
      expect(transport.requests).toHaveLength(0);
    }
  });

  it('takes the same request options as stream()', () => {
    // Both ways assignable: the loop's copy of ChatRequestOptions cannot drift from it.
    const a: ToolStepRequestOptions = {} as Required<ChatRequestOptions>;
    const b: ChatRequestOptions = {} as Required<ToolStepRequestOptions>;
    type Same<X, Y> = [X] extends [Y] ? ([Y] extends [X] ? true : false) : false;
    const same: Same<keyof ToolStepRequestOptions, keyof ChatRequestOptions> = true;
    expect([a, b, same]).toEqual([{}, {}, true]);
  });
});
