import { lastValueFrom } from 'rxjs';
import { finalCompletion } from '../../src';
import { mockAnswerText } from '../../src/mock-server';
import {
  mockToolAnswerText,
  planAnswer,
  toolResultsAfterLastUser,
} from '../../src/mock-server/answers';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { mockClient, serversClosedAfterEach } from './mock-clients';

// The mock server ends tool loops: once tool results follow the last user message, a prompt that
// would call tools again gets a text answer that quotes the results (chat and Responses alike).

expectNothingLeftOpen();
const serve = serversClosedAfterEach();

const prompt = 'What is the weather in Paris? Use get_weather';
const chatTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
};
const call = {
  id: 'call_1',
  type: 'function' as const,
  function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
};

describe('the mock server’s tool rounds', () => {
  it('plans tool calls for the prompt, then text once the results are in', () => {
    const first = planAnswer({
      model: 'mock-1',
      messages: [{ role: 'user', content: prompt }],
      tools: [chatTool],
    });
    expect(first.choices[0]!.toolCalls.map((c) => c.name)).toEqual(['get_weather']);
    const messages = [
      { role: 'user', content: prompt },
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temperature":21}' },
    ];
    const second = planAnswer({ model: 'mock-1', messages, tools: [chatTool] });
    expect(second.choices[0]!.toolCalls).toEqual([]);
    expect(second.choices[0]!.finishReason).toBe('stop');
    expect(second.choices[0]!.content.join('')).toBe(
      mockToolAnswerText(prompt, ['{"temperature":21}']),
    );
    expect(mockToolAnswerText(prompt, ['{"temperature":21}', 'b'])).toBe(
      `Hello! You asked: "${prompt}". The tools answered: "{"temperature":21}"; "b". Voilà: café, 世界 and 🚀.`,
    );
    // A new user message starts a new round: its tools are called again.
    const third = planAnswer({
      model: 'mock-1',
      messages: [...messages, { role: 'user', content: prompt }],
      tools: [chatTool],
    });
    expect(third.choices[0]!.toolCalls).toHaveLength(1);
  });

  it('reads only the tool results after the last user message', () => {
    expect(
      toolResultsAfterLastUser([
        { role: 'tool', content: 'old' },
        { role: 'user', content: 'Hi' },
      ]),
    ).toEqual([]);
    expect(
      toolResultsAfterLastUser([
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: null },
        { role: 'tool', content: 'a' },
        { role: 'tool', content: [{ type: 'text', text: 'b' }] },
      ]),
    ).toEqual(['a', 'b']);
    expect(toolResultsAfterLastUser([{ role: 'tool', content: 'no user' }])).toEqual([]);
  });

  it('answers a chat conversation with tool results in text, over the wire', async () => {
    const server = await serve();
    const completion = await lastValueFrom(
      mockClient(server).complete({
        model: 'mock-1',
        tools: [chatTool as never],
        messages: [
          { role: 'user', content: prompt },
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        ],
      }),
    );
    expect(completion.choices[0]!.message).toMatchObject({
      content: mockToolAnswerText(prompt, ['sunny']),
      tool_calls: [],
    });
  });

  it('answers Responses input with function_call_output items in text, over the wire', async () => {
    const server = await serve();
    const completion = await lastValueFrom(
      mockClient(server)
        .responses({
          model: 'mock-1',
          tools: [
            { type: 'function', name: 'get_weather', parameters: chatTool.function.parameters },
          ],
          input: [
            { role: 'user', content: prompt },
            {
              type: 'function_call',
              call_id: 'call_1',
              name: 'get_weather',
              arguments: '{"city":"Paris"}',
            },
            { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
          ],
        })
        .pipe(finalCompletion()),
    );
    expect(completion.choices[0]!.message.content).toBe(mockToolAnswerText(prompt, ['sunny']));
    expect(completion.choices[0]!.finish_reason).toBe('stop');
  });

  it('still answers plainly when the prompt calls no tool', () => {
    const answer = planAnswer({
      model: 'mock-1',
      tools: [chatTool],
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
    });
    expect(answer.choices[0]!.content.join('')).toBe(mockAnswerText('Hi'));
  });
});
