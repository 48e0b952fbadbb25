import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { printable } from '../../src/cli/terminal';
import { startMockServer, type MockServer } from '../../src/mock-server';
import { createChatClient } from '../../src/node';
import { makeChunk, makeUsage, makeUsageChunk, sseWire } from '../../src/testing';
import { rxchat } from '../helpers/cli';
import { settlesWithin, sseHead, startLoopback, type Loopback } from '../helpers/loopback';

// The CLI as a real child process (test/helpers/cli.ts) against a real mock server.
const root = resolve(__dirname, '../..');
const KEY = 'sk-cli-test-SECRET-123456';

/** What the mock server answers to `prompt`, read with the library itself. */
async function expectedAnswer(server: MockServer, prompt: string, system?: string) {
  const messages = [
    ...(system ? [{ role: 'system', content: system }] : []),
    { role: 'user', content: prompt },
  ];
  const completion = await lastValueFrom(
    createChatClient({ baseURL: server.url, apiKey: KEY }).complete({ model: 'mock-1', messages }),
  );
  return completion;
}

describe('rxchat chat', () => {
  let server: MockServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('with no endpoint configured, answers from the built-in mock server, inline', async () => {
    const run = rxchat(['chat', 'What is rxchat?']);
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toMatch(/built-in mock server at http:\/\/127\.0\.0\.1:\d+\/v1/);
    expect(run.stderr()).toMatch(/\[usage\] prompt=\d+ completion=\d+ total=\d+\n$/);
    server = await startMockServer();
    const expected = await expectedAnswer(server, 'What is rxchat?');
    expect(run.stdout()).toBe(`${expected.choices[0]!.message.content}\n`);
    // Realistic pacing: the answer arrived in several writes spread over time, not at once.
    expect(run.stdoutChunks.length).toBeGreaterThan(3);
    expect(run.stdoutChunks.at(-1)!.at - run.stdoutChunks[0]!.at).toBeGreaterThan(100);
    expect((run.stdout() + run.stderr()).includes('\u001b[')).toBe(false); // piped: no colour, no spinner
  }, 20_000);

  it('sends the model, system message, per-request headers and key to the endpoint', async () => {
    server = await startMockServer({ apiKey: KEY });
    const run = rxchat(
      [
        'chat',
        '--model',
        'mock-1',
        '--system',
        'Be terse.',
        '--header',
        'FC-Customer: acme',
        '--header',
        'FC-Tag:cli.stream_chat',
        'Hello',
        'there',
      ],
      { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: KEY },
    );
    expect(await run.exit).toBe(0);
    const [received] = server.requests;
    expect(received!.headers['fc-customer']).toBe('acme');
    expect(received!.headers['fc-tag']).toBe('cli.stream_chat');
    expect(received!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(received!.body).toMatchObject({
      model: 'mock-1',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Hello there' },
      ],
    });
    const expected = await expectedAnswer(server, 'Hello there', 'Be terse.');
    expect(run.stdout()).toBe(`${expected.choices[0]!.message.content}\n`);
    expect(run.stderr()).not.toContain(KEY);
  }, 20_000);

  it('prints the final completion with --format json and every event with --format ndjson', async () => {
    server = await startMockServer();
    const env = { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: KEY };
    const expected = await expectedAnswer(server, 'Hi');

    const json = rxchat(['chat', '--format', 'json', 'Hi'], env);
    expect(await json.exit).toBe(0);
    const completion = JSON.parse(json.stdout());
    expect(completion.choices[0].message.content).toBe(expected.choices[0]!.message.content);
    expect(completion.usage.total_tokens).toBeGreaterThan(0);

    const ndjson = rxchat(['chat', '--format=ndjson', 'Hi'], env);
    expect(await ndjson.exit).toBe(0);
    const events = ndjson
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events[0].type).toBe('response');
    expect(events.at(-1).type).toBe('usage');
    expect(events.filter((e) => e.type === 'chunk').length).toBeGreaterThan(3);
    expect(ndjson.stderr()).toMatch(/\[usage\] prompt=\d+ completion=\d+ total=\d+/);
  }, 20_000);

  it('reads the prompt from stdin', async () => {
    server = await startMockServer();
    const run = rxchat(
      ['chat'],
      { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: KEY },
      'Piped prompt ✓\n',
    );
    expect(await run.exit).toBe(0);
    expect(server.requests[0]!.body).toMatchObject({
      messages: [{ role: 'user', content: 'Piped prompt ✓' }],
    });
  }, 20_000);

  it('Ctrl-C mid-stream closes the connection and exits 130 without a stack trace', async () => {
    server = await startMockServer({ pace: { firstTokenMs: 0, tokensPerSecond: 8 } });
    const run = rxchat(['chat', 'Tell me a long story'], {
      OPENAI_BASE_URL: server.url,
      OPENAI_API_KEY: KEY,
    });
    await new Promise<void>((ready) => run.child.stdout.once('data', () => ready()));
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    const closed = await settlesWithin(server.requests[0]!.closed, 2000);
    expect(closed).toBe(true);
    expect(await server.requests[0]!.closed).toEqual({ byClient: true });
    expect(run.stderr()).toContain('rxchat: interrupted');
    expect(run.stderr()).not.toMatch(/\n\s+at /);
  }, 20_000);

  it('fails with one clear line and a non-zero exit, never printing the key', async () => {
    server = await startMockServer({ apiKey: 'the-right-key' });
    const run = rxchat(['chat', 'Hi'], { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: KEY });
    expect(await run.exit).toBe(1);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rxchat: http_error: HTTP 401 Unauthorized: /);
    expect(run.stderr() + run.stdout()).not.toContain(KEY);
  }, 20_000);

  it('says how many attempts a retried failure took', async () => {
    server = await startMockServer({ fault: 'status:503' });
    const run = rxchat(['chat', '--retries', '1', 'Hi'], {
      OPENAI_BASE_URL: server.url,
      OPENAI_API_KEY: KEY,
    });
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/^rxchat: http_error: HTTP 503 .*\(after 2 attempts\)\n$/);
    expect(server.requests).toHaveLength(2);
  }, 20_000);

  it('sends reasoning to stderr and the answer to stdout', async () => {
    server = await startMockServer({ dialect: 'deepseek' });
    const run = rxchat(['chat', 'Think first'], {
      OPENAI_BASE_URL: server.url,
      OPENAI_API_KEY: KEY,
    });
    expect(await run.exit).toBe(0);
    const expected = await expectedAnswer(server, 'Think first');
    expect(run.stdout()).toBe(`${expected.choices[0]!.message.content}\n`);
    expect(expected.choices[0]!.message.reasoning).toBeTruthy();
    // The reasoning line is ended before the answer starts (they may share one terminal).
    expect(run.stderr()).toContain(`${expected.choices[0]!.message.reasoning}\n`);
  }, 20_000);

  it('a second Ctrl-C exits at once, whatever the first is waiting for', async () => {
    const slow = await startMockServer({ fault: 'slow-headers:5000' });
    server = slow;
    const run = rxchat(['chat', 'Hi'], { OPENAI_BASE_URL: slow.url, OPENAI_API_KEY: KEY });
    await new Promise<void>((ready) => {
      const poll = setInterval(() => {
        if (slow.requests.length > 0) {
          clearInterval(poll);
          ready();
        }
      }, 10);
    });
    run.child.kill('SIGINT');
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
  }, 20_000);

  it('on a terminal, shows a spinner with elapsed time; NO_COLOR turns it off', async () => {
    const onTty = async (noColor: boolean) => {
      // `script` gives the child a pseudo-terminal, as a person's shell would.
      const command = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'chat', 'Hi']
        .map((part) => `'${part}'`)
        .join(' ');
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !/^(OPENAI_|RXCHAT_|NO_COLOR)/.test(k)),
      );
      const child = spawn('script', ['-qefc', command, '/dev/null'], {
        cwd: root,
        env: { ...env, TERM: 'xterm', ...(noColor ? { NO_COLOR: '1' } : {}) },
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
      child.stdin.end();
      const code = await new Promise<number | null>((done) => child.on('close', done));
      return { code, output };
    };
    const fancy = await onTty(false);
    expect(fancy.code).toBe(0);
    expect(fancy.output).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] waiting \d+\.\ds/);
    expect(fancy.output).toContain('\u001b[2K'); // the spinner erased before the answer
    const plain = await onTty(true);
    expect(plain.code).toBe(0);
    expect(plain.output).not.toMatch(/waiting \d/);
    expect(plain.output.includes('\u001b[')).toBe(false);
    expect(plain.output).toContain('You said: "Hi"');
  }, 30_000);

  it('rejects a bad command line with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['chat', '--format', 'xml', 'Hi'], /--format must be text, json or ndjson/],
      [['chat', '--header', 'Bad Name:x', 'Hi'], /valid header name/],
      [['chat', '--timeout', '99999999999', 'Hi'], /--timeout must be at most/],
      [['serve', '--dialect', 'bogus'], /--dialect must be one of/],
      [['serve', '--port', '70000'], /--port must be a whole number/],
      [['serve', '--fault', 'bogus'], /Unknown fault "bogus"/],
    ];
    for (const [args, message] of cases) {
      const run = rxchat(args);
      expect([args, await run.exit]).toEqual([args, 2]);
      expect(run.stderr()).toMatch(message);
    }
    const help = rxchat(['chat', '--help']);
    expect(await help.exit).toBe(0);
    expect(help.stdout()).toMatch(/^rxchat chat \[options\]/);
  }, 60_000);

  it('stops the request and ends quietly when the reader of stdout goes away', async () => {
    server = await startMockServer({ pace: { firstTokenMs: 0, tokensPerSecond: 20 } });
    const run = rxchat(['chat', 'Tell me a long story'], {
      OPENAI_BASE_URL: server.url,
      OPENAI_API_KEY: KEY,
    });
    await new Promise<void>((ready) => run.child.stdout.once('data', () => ready()));
    run.child.stdout.destroy(); // like `| head -c 10` exiting
    expect(await run.exit).toBe(0);
    expect(await settlesWithin(server.requests[0]!.closed, 2000)).toBe(true);
    expect(run.stderr()).not.toMatch(/EPIPE|\n\s+at /);
  }, 20_000);

  it('keeps what arrived when the stream fails, in every format', async () => {
    server = await startMockServer({ fault: 'error-after:3' });
    const env = { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: KEY };
    const json = rxchat(['chat', '--format', 'json', 'Hi'], env);
    expect(await json.exit).toBe(1);
    const failed = JSON.parse(json.stdout());
    expect(failed).toMatchObject({ ok: false, error: { code: 'stream_error' } });
    expect(failed.completion.choices[0].message.content.length).toBeGreaterThan(0);
    expect(json.stderr()).toMatch(/^rxchat: stream_error: /m);

    const ndjson = rxchat(['chat', '--format', 'ndjson', 'Hi'], env);
    expect(await ndjson.exit).toBe(1);
    const last = JSON.parse(ndjson.stdout().trim().split('\n').at(-1)!);
    expect(last).toMatchObject({ type: 'error', error: { code: 'stream_error' } });

    const text = rxchat(['chat', 'Hi'], env);
    expect(await text.exit).toBe(1);
    expect(text.stdout().length).toBeGreaterThan(0);
    expect(text.stdout().endsWith('\n')).toBe(true);
  }, 30_000);
});

describe('rxchat chat: an emoji split across two chunks', () => {
  // A server that escapes non-ASCII can cut a surrogate pair between chunks ("\ud83d" then
  // "\ude00"). Writing each half on its own puts two U+FFFD on the terminal.
  const smile = '\u{1F600}';
  const [high, low] = [smile[0]!, smile[1]!];
  let loopback: Loopback | undefined;
  afterEach(async () => {
    await loopback?.close();
    loopback = undefined;
  });

  const serve = async () => {
    loopback = await startLoopback((_req, res) => {
      sseHead(res);
      res.end(
        sseWire([
          makeChunk({ role: 'assistant', reasoning: `think ${high}` }),
          makeChunk({ reasoning: `${low} ok` }),
          makeChunk({ content: `Hi ${high}` }),
          makeChunk({ content: `${low}!${high}` }),
          makeChunk({ content: low, finishReason: 'stop' }),
          makeUsageChunk(makeUsage(3, 4)),
        ]),
      );
    });
    return { OPENAI_BASE_URL: loopback.baseURL, OPENAI_API_KEY: KEY };
  };

  it('prints it whole, in the answer and in the reasoning', async () => {
    const run = rxchat(['chat', 'Hi'], await serve());
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toBe(`Hi ${smile}!${smile}\n`);
    expect(run.stderr()).toContain(`think ${smile} ok\n`);
    expect(run.stdout() + run.stderr()).not.toContain('\ufffd');
  }, 20_000);

  it('keeps it whole with --format json and ndjson', async () => {
    const env = await serve();
    const json = rxchat(['chat', '--format', 'json', 'Hi'], env);
    expect(await json.exit).toBe(0);
    expect(JSON.parse(json.stdout()).choices[0].message.content).toBe(`Hi ${smile}!${smile}`);
    const ndjson = rxchat(['chat', '--format', 'ndjson', 'Hi'], env);
    expect(await ndjson.exit).toBe(0);
    expect(ndjson.stdout()).not.toContain('\ufffd');
    const content = ndjson
      .stdout()
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            type: string;
            chunk?: { choices: { delta: { content?: string } }[] };
          },
      )
      .map((event) => event.chunk?.choices[0]?.delta.content ?? '')
      .join('');
    expect(content).toBe(`Hi ${smile}!${smile}`);
  }, 20_000);
});

describe('rxchat serve', () => {
  it('prints its URL, serves the API, and stops on Ctrl-C', async () => {
    const run = rxchat(['serve', '--pace', 'none', '--dialect', 'groq']);
    const url = await new Promise<string>((ready) =>
      run.child.stdout.once('data', (line: string) => ready(line.trim())),
    );
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const completion = await lastValueFrom(
      createChatClient({ baseURL: url }).complete({
        model: 'mock-1',
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    );
    expect(completion.choices[0]!.message.content).toBeTruthy();
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(0);
  }, 20_000);
});

describe('printable', () => {
  it('drops control characters that could drive a terminal, keeping newlines and tabs', () => {
    expect(printable('a\u001b[2Jb\u001b]0;title\u0007c\td\ne\u009bf')).toBe(
      'a[2Jb]0;titlec\td\nef',
    );
    expect(printable('plain 世界 👋')).toBe('plain 世界 👋');
  });
});
