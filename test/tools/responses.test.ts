import { Observable } from 'rxjs';
import { z } from 'zod';
import { createChatClient, type RunToolsEvent } from '../../src';
import {
  createMockTransport,
  makeResponseEvents,
  makeResponseUsage,
  responsesValues,
  type MockResponse,
  type ResponseEventsOptions,
} from '../../src/testing';
import { testScheduler } from '../helpers/marbles';
import { Timeline } from './helpers';

// client.runTools() with a Responses request (`input`, no `messages`): function_call items in,
// function_call_output items back, on virtual time.

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** A Responses step: one event a frame, the body ending with the terminal event. */
function responsesStep(options: ResponseEventsOptions): MockResponse {
  const events = makeResponseEvents(options);
  const letters = LETTERS.slice(0, events.length);
  return { body: `${letters}|`, values: responsesValues(letters, events) };
}

const weather = z.object({ city: z.string() });

function play(
  script: MockResponse[],
  loop: (client: ReturnType<typeof createChatClient>) => Observable<RunToolsEvent>,
) {
  const scheduler = testScheduler();
  const timeline = new Timeline(() => scheduler.now());
  const events: RunToolsEvent[] = [];
  let transport!: ReturnType<typeof createMockTransport>;
  scheduler.run(({ cold }) => {
    transport = createMockTransport({ cold }, script);
    loop(createChatClient({ baseURL: 'http://test/v1', transport })).subscribe(
      timeline.observer(events),
    );
  });
  return { timeline: timeline.toString(), events, transport };
}

describe('client.runTools() (Responses)', () => {
  it('sends function tools flat, then function_call and function_call_output items, and totals usage', () => {
    const { timeline, events, transport } = play(
      [
        responsesStep({
          text: [],
          calls: [{ name: 'get_weather', callId: 'call_1', arguments: ['{"city":', '"Paris"}'] }],
          usage: makeResponseUsage(10, 5),
        }),
        responsesStep({ id: 'resp_2', text: ['Sunny'], usage: makeResponseUsage(30, 2) }),
      ],
      (client) =>
        client.runTools(
          { model: 'm', input: 'Weather in Paris?', instructions: 'Be brief.' },
          {
            tools: {
              get_weather: {
                description: 'The weather in a city',
                parameters: weather,
                execute: ({ city }) => `${city}: sunny`,
              },
            },
          },
        ),
    );
    // Step 1: 8 events (created, in_progress, item added, 2 deltas, arguments done, item done,
    // completed), the terminal one ending it at 7; step 2 (8 events) from 7 to 15.
    expect(timeline).toBe(
      '0:Re 1:e 2:e 3:e 4:e 5:e 6:e 7:eFTRe 8:e 9:e 10:e 11:e 12:e 13:e 14:e 15:eFU|',
    );
    const [first, second] = transport.requests.map((r) => r.json as Record<string, unknown>);
    expect(first).toEqual({
      model: 'm',
      input: 'Weather in Paris?',
      instructions: 'Be brief.',
      stream: true,
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: 'The weather in a city',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
            additionalProperties: false,
          },
        },
      ],
    });
    expect(second!.input).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        type: 'function_call',
        call_id: 'call_1',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
      },
      { type: 'function_call_output', call_id: 'call_1', output: 'Paris: sunny' },
    ]);
    expect(second!.instructions).toBe('Be brief.');
    expect(events.filter((e) => e.type === 'tool_result')).toEqual([
      { type: 'tool_result', step: 1, id: 'call_1', name: 'get_weather', result: 'Paris: sunny' },
    ]);
    expect(
      events.filter((e) => e.type === 'step_finish').map((e) => [e.step, e.finishReason]),
    ).toEqual([
      [1, 'tool_calls'],
      [2, 'stop'],
    ]);
    expect(events.at(-1)).toEqual({
      type: 'usage',
      usage: { prompt_tokens: 40, completion_tokens: 7, total_tokens: 47 },
    });
    // Every Responses event is passed on, tagged with its step.
    const tagged = events.filter((e) => e.type === 'responses');
    expect(tagged.length).toBeGreaterThan(10);
    expect(tagged.every((e) => e.step === 1 || e.step === 2)).toBe(true);
  });

  it('keeps input items given as a list, and the step’s text as an assistant message', () => {
    const { transport } = play(
      [
        responsesStep({
          text: ['Checking.'],
          calls: [{ name: 'get_weather', callId: 'c9', arguments: ['{"city":"Oslo"}'] }],
        }),
        responsesStep({ id: 'resp_2', text: ['Cold'] }),
      ],
      (client) =>
        client.runTools(
          { model: 'm', input: [{ role: 'user', content: 'Oslo?' }] },
          { tools: { get_weather: { parameters: weather, execute: () => ({ temperature: -3 }) } } },
        ),
    );
    expect((transport.requests[1]!.json as { input: unknown }).input).toEqual([
      { role: 'user', content: 'Oslo?' },
      { role: 'assistant', content: 'Checking.' },
      { type: 'function_call', call_id: 'c9', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      { type: 'function_call_output', call_id: 'c9', output: '{"temperature":-3}' },
    ]);
  });
});
