import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { contentDeltas, finalCompletion, RxChatError, usage, type ChatTransport } from '../../src';
import { undiciTransport } from '../../src/node';
import { mockAnswerText } from '../../src/mock-server';
import { settlesWithin } from '../helpers/loopback';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { mockClient, serversClosedAfterEach } from '../mock-server/mock-clients';

// client.responses() over real sockets against the built-in mock server: the answer, its usage,
// the real servers' quirks, protocol mix-ups, faults, and background resume and cancel as the
// server sees them.

expectNothingLeftOpen();
const serve = serversClosedAfterEach();
const prompt = 'Tell me about the Responses API';
const expected = mockAnswerText(prompt);

async function failure(promise: Promise<unknown>): Promise<RxChatError> {
  try {
    await promise;
  } catch (error) {
    if (RxChatError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('client.responses() against the mock server', () => {
  it('streams the answer: deltas, final completion and usage agree', async () => {
    const server = await serve();
    const client = mockClient(server);
    const request = { model: 'mock-1', input: prompt };
    const text = (
      await lastValueFrom(client.responses(request).pipe(contentDeltas(), toArray()))
    ).join('');
    expect(text).toBe(expected);
    const completion = await lastValueFrom(client.responses(request).pipe(finalCompletion()));
    expect(completion).toMatchObject({
      id: expect.stringMatching(/^resp_/),
      model: 'mock-1',
      choices: [
        { index: 0, message: { role: 'assistant', content: expected }, finish_reason: 'stop' },
      ],
      usage: {
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
        input_tokens: expect.any(Number),
      },
    });
    const [sent] = server.requests;
    expect(sent!.path).toBe('/v1/responses');
    expect(sent!.body).toEqual({ model: 'mock-1', input: prompt, stream: true });
  });

  it('reads every Responses dialect to the same text', async () => {
    const server = await serve();
    const client = mockClient(server);
    for (const dialect of [
      'openai',
      'vllm-responses',
      'litellm-responses',
      'openrouter-responses',
      'copilot-responses',
    ]) {
      const completion = await lastValueFrom(
        client
          .responses({ model: 'mock-1', input: prompt }, { headers: { 'x-mock-dialect': dialect } })
          .pipe(finalCompletion()),
      );
      expect([dialect, completion.choices[0]!.message.content]).toEqual([dialect, expected]);
      expect(completion.usage?.total_tokens).toEqual(expect.any(Number));
    }
  });

  it('a Chat-only server answering /responses is a parse_error that names the protocol', async () => {
    const server = await serve({ dialect: 'chat-on-responses' });
    const error = await failure(
      lastValueFrom(mockClient(server).responses({ model: 'mock-1', input: prompt })),
    );
    expect(error.code).toBe('parse_error');
    expect(error.message).toMatch(/Chat Completions chunks/);
  });

  it('max_output_tokens: response.incomplete → finish_reason length, usage kept', async () => {
    const server = await serve();
    const completion = await lastValueFrom(
      mockClient(server)
        .responses({ model: 'mock-1', input: prompt, max_output_tokens: 3 })
        .pipe(finalCompletion()),
    );
    expect(completion.choices[0]!.finish_reason).toBe('length');
    expect(expected.startsWith(completion.choices[0]!.message.content!)).toBe(true);
    expect(completion.usage?.completion_tokens).toBe(3);
  });

  it('error-after: stream_error with the provider details and the partial answer', async () => {
    const server = await serve({ fault: 'error-after:3' });
    const error = await failure(
      lastValueFrom(
        mockClient(server).responses({ model: 'mock-1', input: prompt }).pipe(finalCompletion()),
      ),
    );
    expect(error.code).toBe('stream_error');
    expect(error.provider?.message).toEqual(expect.any(String));
    expect(error.partial?.choices[0]?.message.content).toEqual(expect.any(String));
    expect(expected.startsWith(error.partial!.choices[0]!.message.content!)).toBe(true);
  });

  it('usage() gives the mapped usage as the last value', async () => {
    const server = await serve();
    const [used] = await lastValueFrom(
      mockClient(server).responses({ model: 'mock-1', input: prompt }).pipe(usage(), toArray()),
    );
    expect(used).toMatchObject({
      prompt_tokens: expect.any(Number),
      output_tokens: expect.any(Number),
    });
  });

  it('unsubscribing closes the socket (seen by the server)', async () => {
    const server = await serve({ pace: { tokensPerSecond: 50 } });
    await firstValueFrom(
      mockClient(server).responses({ model: 'mock-1', input: prompt }).pipe(contentDeltas()),
    );
    expect(await settlesWithin(server.requests[0]!.closed, 2000)).toBe(true);
    expect(await server.requests[0]!.closed).toEqual({ byClient: true });
  });
});

describe('client.responses() in background mode, against the mock server', () => {
  const request = { model: 'mock-1', input: prompt, background: true };

  it('resumes a cut connection with starting_after: the text whole, nothing twice', async () => {
    const server = await serve({ pace: { tokensPerSecond: 400 } });
    // The real transport; only the first request (the POST) carries the fault that cuts it.
    const transport: ChatTransport = (sent) =>
      undiciTransport()(
        sent.method === 'POST'
          ? { ...sent, headers: { ...sent.headers, 'x-mock-fault': 'disconnect-after:3' } }
          : sent,
      );
    const client = mockClient(server, { transport, retry: { maxRetries: 2, baseDelay: 5 } });
    const text = (
      await lastValueFrom(client.responses(request).pipe(contentDeltas(), toArray()))
    ).join('');
    expect(text).toBe(expected);
    const [first, resumed, ...more] = server.requests;
    expect(first!.method).toBe('POST');
    expect(await first!.closed).toEqual({ byClient: false });
    expect(resumed!.method).toBe('GET');
    expect(resumed!.url).toMatch(/^\/v1\/responses\/resp_[^/?]+\?stream=true&starting_after=\d+$/);
    expect(more).toEqual([]);
  });

  it('cancels the response on the server when the consumer leaves', async () => {
    const server = await serve({ pace: { tokensPerSecond: 50 } });
    await lastValueFrom(mockClient(server).responses(request).pipe(contentDeltas(), take(2)));
    const deadline = Date.now() + 2000;
    while (server.requests.length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const cancel = server.requests[1]!;
    expect(cancel.method).toBe('POST');
    expect(cancel.path).toMatch(/^\/v1\/responses\/resp_[^/]+\/cancel$/);
    expect(await settlesWithin(cancel.closed, 2000)).toBe(true);
  });
});
