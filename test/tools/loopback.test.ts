import { lastValueFrom, take, toArray, filter } from 'rxjs';
import { z } from 'zod';
import type { SchemaResult } from '../../src';
import { mockToolAnswerText } from '../../src/mock-server/answers';
import { settlesWithin } from '../helpers/loopback';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { mockClient, serversClosedAfterEach } from '../mock-server/mock-clients';

// client.runTools() over real sockets against the mock server: a prompt that names a tool gets
// its call, then (with the result in the conversation) a text answer that quotes it.

expectNothingLeftOpen();
const serve = serversClosedAfterEach();
const prompt = 'What is the weather in Paris? Use get_weather';

const tools = {
  get_weather: {
    description: 'The weather in a city',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }: { city: string }) => ({ city, sky: 'sunny' }),
  },
};

describe('client.runTools() against the mock server', () => {
  it('completes a two-step chat loop with text', async () => {
    const server = await serve();
    const events = await lastValueFrom(
      mockClient(server)
        .runTools({ model: 'mock-1', messages: [{ role: 'user', content: prompt }] }, { tools })
        .pipe(toArray()),
    );
    const finishes = events.filter((e) => e.type === 'step_finish');
    expect(finishes.map((e) => [e.step, e.finishReason])).toEqual([
      [1, 'tool_calls'],
      [2, 'stop'],
    ]);
    // The mock server fills a string property with the prompt.
    const result = { city: prompt, sky: 'sunny' };
    expect(events.filter((e) => e.type === 'tool_result')).toEqual([
      expect.objectContaining({ step: 1, name: 'get_weather', result }),
    ]);
    expect(finishes[1]!.completion.choices[0]!.message.content).toBe(
      mockToolAnswerText(prompt, [JSON.stringify(result)]),
    );
    const total = events.at(-1)!;
    expect(total.type).toBe('usage');
    const sum = (finishes[0]!.usage!.total_tokens ?? 0) + (finishes[1]!.usage!.total_tokens ?? 0);
    expect(total.type === 'usage' && total.usage?.total_tokens).toBe(sum);
    expect(server.requests).toHaveLength(2);
  });

  it('completes a two-step Responses loop with text', async () => {
    const server = await serve();
    const events = await lastValueFrom(
      mockClient(server).runTools({ model: 'mock-1', input: prompt }, { tools }).pipe(toArray()),
    );
    const finishes = events.filter((e) => e.type === 'step_finish');
    expect(finishes.map((e) => e.finishReason)).toEqual(['tool_calls', 'stop']);
    expect(finishes[1]!.completion.choices[0]!.message.content).toBe(
      mockToolAnswerText(prompt, [JSON.stringify({ city: prompt, sky: 'sunny' })]),
    );
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/responses', '/v1/responses']);
  });

  it('takes any Standard Schema: async validation, JSON Schema from ~standard.jsonSchema', async () => {
    const server = await serve();
    const jsonSchema = { type: 'object', properties: { city: { type: 'string' } } };
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'hand-made',
        validate: async (value: unknown): Promise<SchemaResult<{ city: string }>> => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          const city = (value as { city?: unknown }).city;
          return typeof city === 'string'
            ? { value: { city: city.toUpperCase() } }
            : { issues: [{ message: 'city: expected a string', path: ['city'] }] };
        },
        jsonSchema: { input: () => ({ $schema: 'x', ...jsonSchema }) },
      },
    };
    const seen: string[] = [];
    const events = await lastValueFrom(
      mockClient(server)
        .runTools(
          { model: 'mock-1', messages: [{ role: 'user', content: prompt }] },
          {
            tools: { get_weather: { parameters: schema, execute: ({ city }) => seen.push(city) } },
          },
        )
        .pipe(toArray()),
    );
    expect(seen).toEqual([prompt.toUpperCase()]);
    expect((server.requests[0]!.body as { tools: unknown }).tools).toEqual([
      { type: 'function', function: { name: 'get_weather', parameters: jsonSchema } },
    ]);
    expect(events.at(-1)!.type).toBe('usage');
  });

  it('fails with validation_error for a schema with no JSON Schema, before sending', async () => {
    const server = await serve();
    const schema = { '~standard': { validate: (value: unknown) => ({ value }) } };
    await expect(
      lastValueFrom(
        mockClient(server).runTools(
          { model: 'mock-1', messages: [{ role: 'user', content: prompt }] },
          { tools: { get_weather: { parameters: schema, execute: () => 1 } } },
        ),
      ),
    ).rejects.toMatchObject({
      code: 'validation_error',
      message: expect.stringContaining('tool "get_weather" have no toJSONSchema()'),
    });
    expect(server.requests).toHaveLength(0);
  });

  it('unsubscribing mid-step closes the socket (seen by the server)', async () => {
    const server = await serve({ pace: { tokensPerSecond: 50 } });
    await lastValueFrom(
      mockClient(server)
        .runTools({ model: 'mock-1', messages: [{ role: 'user', content: prompt }] }, { tools })
        .pipe(
          filter((e) => e.type === 'chunk'),
          take(2),
        ),
    );
    expect(await settlesWithin(server.requests[0]!.closed, 2000)).toBe(true);
    expect(await server.requests[0]!.closed).toEqual({ byClient: true });
  });
});
