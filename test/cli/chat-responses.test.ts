import { lastValueFrom } from 'rxjs';
import { startMockServer, type MockServer } from '../../src/mock-server';
import { createChatClient, finalCompletion } from '../../src/node';
import { makeResponseEvents, makeResponseUsage, responsesWire } from '../../src/testing';
import { rxchat } from '../helpers/cli';
import { sseHead, startLoopback, type Loopback } from '../helpers/loopback';

// `rxchat chat --api responses` as a real child process (test/helpers/cli.ts) against the
// built-in mock server, a mock server of the test's own, or a loopback server replaying events.
const KEY = 'sk-cli-responses-SECRET-123456';

/** What the mock server answers to `prompt` on /v1/responses, read with the library itself. */
async function expectedAnswer(server: MockServer, prompt: string, instructions?: string) {
  return lastValueFrom(
    createChatClient({ baseURL: server.url, apiKey: KEY })
      .responses({
        model: 'mock-1',
        input: [{ role: 'user', content: prompt }],
        ...(instructions ? { instructions } : {}),
      })
      .pipe(finalCompletion()),
  );
}

const USAGE_LINE = /\[usage\] prompt=\d+ completion=\d+ total=\d+\n$/;

describe('rxchat chat --api responses', () => {
  let server: MockServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('with no endpoint, asks the built-in mock server on /v1/responses and prints the answer', async () => {
    const run = rxchat(['chat', '--api', 'responses', 'What is rxchat?']);
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toMatch(/built-in mock server at http:\/\/127\.0\.0\.1:\d+\/v1/);
    expect(run.stderr()).toMatch(USAGE_LINE);
    server = await startMockServer();
    const expected = await expectedAnswer(server, 'What is rxchat?');
    expect(expected.choices[0]!.message.content).toBeTruthy();
    expect(run.stdout()).toBe(`${expected.choices[0]!.message.content}\n`);
    // It streamed: several writes, not one.
    expect(run.stdoutChunks.length).toBeGreaterThan(3);
  }, 20_000);

  it('sends the prompt as an input item, -s as instructions, the token limit, headers and key', async () => {
    server = await startMockServer({ apiKey: KEY, pace: 'none' });
    const run = rxchat(
      [
        'chat',
        '--api=responses',
        '-m',
        'mock-1',
        '-s',
        'Be terse.',
        '--max-completion-tokens',
        '500',
        '--temperature',
        '0.5',
        '-H',
        'FC-Tag:cli.responses',
        'Hello',
      ],
      { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: KEY },
      'Piped material',
    );
    expect(await run.exit).toBe(0);
    const [received] = server.requests;
    expect(received!.path).toBe('/v1/responses');
    expect(received!.headers['fc-tag']).toBe('cli.responses');
    expect(received!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(received!.body).toEqual({
      model: 'mock-1',
      stream: true,
      instructions: 'Be terse.',
      input: [{ role: 'user', content: 'Piped material\n\nHello' }],
      max_output_tokens: 500,
      temperature: 0.5,
    });
    const expected = await expectedAnswer(server, 'Piped material\n\nHello', 'Be terse.');
    expect(run.stdout()).toBe(`${expected.choices[0]!.message.content}\n`);
    expect(run.stderr() + run.stdout()).not.toContain(KEY);
  }, 20_000);

  it('prints the normalised completion with --format json, as for chat', async () => {
    server = await startMockServer({ pace: 'none' });
    const env = { OPENAI_BASE_URL: server.url };
    const expected = await expectedAnswer(server, 'Hi');
    const json = rxchat(['chat', '--api', 'responses', '--format', 'json', 'Hi'], env);
    expect(await json.exit).toBe(0);
    const completion = JSON.parse(json.stdout());
    // With an endpoint, the default model is gpt-4o-mini (the mock answers to any); ids differ.
    expect(completion).toEqual({
      ...expected,
      id: expect.stringMatching(/^resp_/),
      model: 'gpt-4o-mini',
    });
    expect(completion.choices[0]).toMatchObject({ index: 0, finish_reason: 'stop' });
    expect(completion.usage.total_tokens).toBeGreaterThan(0);
    expect(json.stderr()).toMatch(USAGE_LINE);

    const ndjson = rxchat(['chat', '--api', 'responses', '--format', 'ndjson', 'Hi'], env);
    expect(await ndjson.exit).toBe(0);
    const events = ndjson
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; event?: { type: string } });
    expect(events[0]!.type).toBe('response');
    expect(events.at(-1)!.type).toBe('usage');
    expect(events.at(-2)!.event!.type).toBe('response.completed');
  }, 20_000);

  it('says the answer was cut when max_output_tokens ran out', async () => {
    const run = rxchat(['chat', '--api', 'responses', '--max-tokens', '3', 'Tell me a story']);
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toContain(
      'rxchat: the answer was cut: max tokens reached (finish_reason length)\n[usage] ',
    );
  }, 20_000);

  it('keeps what arrived when the stream fails (a fault through -H x-mock-fault)', async () => {
    const fault = ['-H', 'x-mock-fault:error-after:3'];
    const text = rxchat(['chat', '--api', 'responses', ...fault, 'Hi']);
    expect(await text.exit).toBe(1);
    expect(text.stdout().length).toBeGreaterThan(1);
    expect(text.stdout().endsWith('\n')).toBe(true);
    expect(text.stderr()).toMatch(/^rxchat: stream_error: /m);

    const json = rxchat(['chat', '--api', 'responses', '--format', 'json', ...fault, 'Hi']);
    expect(await json.exit).toBe(1);
    const failed = JSON.parse(json.stdout());
    expect(failed).toMatchObject({ ok: false, error: { code: 'stream_error' } });
    expect(failed.completion.choices[0].message.content.length).toBeGreaterThan(0);
  }, 30_000);

  it('fails with a clear parse_error when the server speaks Chat Completions on /responses', async () => {
    const run = rxchat([
      'chat',
      '--api',
      'responses',
      '-H',
      'x-mock-dialect:chat-on-responses',
      'Hi',
    ]);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/^rxchat: parse_error: .*Chat Completions/m);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    expect(run.stdout()).toBe('');
  }, 20_000);

  it('rejects an unknown --api with exit code 2, a one-line message and the hint', async () => {
    const run = rxchat(['chat', '--api', 'completions', 'Hi']);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toBe(
      "rxchat chat: --api must be chat or responses, not completions\nSee 'rxchat chat --help' for more.\n",
    );
    const help = rxchat(['chat', '--help']);
    expect(await help.exit).toBe(0);
    expect(help.stdout()).toMatch(/--api API +chat \(default/);
  }, 20_000);
});

describe('rxchat chat --api responses: reasoning and a cut answer, replayed', () => {
  let loopback: Loopback | undefined;
  afterEach(async () => {
    await loopback?.close();
    loopback = undefined;
  });

  it('shows reasoning on stderr, the answer on stdout, the cut line and the usage', async () => {
    loopback = await startLoopback((_req, res) => {
      sseHead(res);
      res.end(
        responsesWire(
          makeResponseEvents({
            reasoning: [['Think ', 'first.']],
            text: ['Streams ', 'are co'],
            end: 'incomplete',
            usage: makeResponseUsage(7, 4),
          }),
        ),
      );
    });
    const run = rxchat(['chat', '--api', 'responses', 'Hi'], {
      OPENAI_BASE_URL: loopback.baseURL,
      OPENAI_API_KEY: KEY,
    });
    expect(await run.exit).toBe(0);
    expect(loopback.requests[0]!.url).toBe('/v1/responses');
    expect(run.stdout()).toBe('Streams are co\n');
    expect(run.stderr()).toBe(
      [
        'Think first.',
        'rxchat: the answer was cut: max tokens reached (finish_reason length)',
        '[usage] prompt=7 completion=4 total=11',
        '',
      ].join('\n'),
    );
  }, 20_000);
});
