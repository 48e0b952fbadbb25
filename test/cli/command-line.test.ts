import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startMockServer, type MockServer } from '../../src/mock-server';
import { makeChunk, makeUsage, makeUsageChunk, sseWire } from '../../src/testing';
import { rxchat } from '../helpers/cli';
import { sseHead, startLoopback, type Loopback } from '../helpers/loopback';

// The command line of `rxchat` as a user meets it, the CLI a real child process against real
// loopback servers: short flags, per-command help, usage errors before any request, standard
// input with a prompt, and what the CLI says about cut answers, failures and the mock server.

const root = resolve(__dirname, '../..');
const KEY = 'sk-cli-test-SECRET-123456';
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
};

/** The one user message the server received. */
const userContent = (server: MockServer) =>
  (server.requests[0]!.body as { messages: { role: string; content: string }[] }).messages.find(
    (message) => message.role === 'user',
  )?.content;

describe('rxchat: options and usage errors', () => {
  let server: MockServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('takes -m, -s and -H as --model, --system and --header', async () => {
    server = await startMockServer({ apiKey: KEY });
    const run = rxchat(['chat', '-m', 'mock-1', '-s', 'Be terse.', '-H', 'FC-Tag:cli', 'hi'], {
      OPENAI_BASE_URL: server.url,
      OPENAI_API_KEY: KEY,
    });
    expect(await run.exit).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers['fc-tag']).toBe('cli');
    expect(server.requests[0]!.body).toMatchObject({
      model: 'mock-1',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'hi' },
      ],
    });
  }, 20_000);

  it('refuses an unknown dash before sending anything; -- passes a prompt that starts with one', async () => {
    server = await startMockServer();
    const env = { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: KEY };
    const refused = rxchat(['chat', '-x', 'gpt-4o', 'hi'], env);
    expect(await refused.exit).toBe(2);
    expect(refused.stderr()).toBe(
      "rxchat chat: unknown option -x (to pass a word that starts with a dash, put it after --)\nSee 'rxchat chat --help' for more.\n",
    );
    expect(refused.stdout()).toBe('');
    expect(server.requests).toHaveLength(0);

    const dashed = rxchat(['chat', '--', '-5 degrees outside?'], env);
    expect(await dashed.exit).toBe(0);
    expect(userContent(server)).toBe('-5 degrees outside?');
  }, 20_000);

  it('prints each command its own help, and the version, on stdout with exit 0', async () => {
    const cases: [string[], RegExp][] = [
      [['chat', '--help'], /^rxchat chat \[options\]/],
      [['chat', '-h'], /^rxchat chat \[options\]/],
      [['serve', '--help'], /^rxchat serve \[options\]/],
      [['inspect', '--help'], /^rxchat inspect \[--jsonl\]/],
      [['help', 'serve'], /^rxchat serve \[options\]/],
      [['--help'], /^Usage:\n {2}rxchat chat[^]*rxchat serve[^]*rxchat inspect/],
      [['--version'], new RegExp(`^${version.replace(/\./g, '\\.')}\n$`)],
      [['-V'], new RegExp(`^${version.replace(/\./g, '\\.')}\n$`)],
      [['chat', '-V'], new RegExp(`^${version.replace(/\./g, '\\.')}\n$`)],
    ];
    await Promise.all(
      cases.map(async ([args, expected]) => {
        const run = rxchat(args);
        expect([args, await run.exit, run.stderr()]).toEqual([args, 0, '']);
        expect(run.stdout()).toMatch(expected);
      }),
    );
    const chatHelp = rxchat(['chat', '--help']);
    await chatHelp.exit;
    for (const flag of ['-m, --model', '-s, --system', '-H, --header', '--max-completion-tokens']) {
      expect(chatHelp.stdout()).toContain(flag);
    }
    // Help wins over a prompt, and is never mistaken for one.
    const late = rxchat(['chat', 'hi', '--help']);
    expect(await late.exit).toBe(0);
    expect(late.stdout()).toMatch(/^rxchat chat \[options\]/);
  }, 60_000);

  it('checks the whole command line before any request: one line and a hint, exit 2', async () => {
    server = await startMockServer();
    const env = { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: KEY };
    const cases: [string[], Record<string, string>, string][] = [
      [['chat', '--base-url', 'not a url', 'Hi'], {}, '--base-url must be an absolute http'],
      [['chat', '--base-url', 'localhost:8080/v1', 'Hi'], {}, '--base-url must be an absolute'],
      [['chat', 'Hi'], { OPENAI_BASE_URL: 'ftp://example.com/v1' }, 'OPENAI_BASE_URL must be'],
      [['chat', '--max-tokens', '0', 'Hi'], env, '--max-tokens must be a whole number >= 1, not 0'],
      [['chat', '--max-tokens', '2.5', 'Hi'], env, '--max-tokens must be a whole number >= 1'],
      [['chat', '--max-completion-tokens', '-1', 'Hi'], env, '--max-completion-tokens must be'],
      [['chat', '--retries', '1.5', 'Hi'], env, '--retries must be a whole number >= 0'],
      [['chat', '--timeout', '1e20', 'Hi'], env, '--timeout must be a whole number >= 0'],
      [['chat', '--timeout', '99999999999', 'Hi'], env, '--timeout must be at most 2147483647'],
      [['chat', '--temperature', 'hot', 'Hi'], env, '--temperature must be a number >= 0'],
      [['chat', '--format', 'xml', 'Hi'], env, '--format must be text, json or ndjson'],
      [['chat', '--model', '', 'Hi'], env, '--model needs a name'],
      [['chat', '-H', 'Bad Name:x', 'Hi'], env, 'is not a valid header name'],
      [['chat', '-H', 'no-colon', 'Hi'], env, '--header wants NAME:VALUE'],
      [['chat', '-m'], env, '-m (--model) needs a value'],
      [['serve', '--dialect', 'bogus'], {}, '--dialect must be one of'],
      [['serve', '--port', '70000'], {}, '--port must be a whole number 0..65535'],
      [['serve', 'extra'], {}, 'unexpected argument extra'],
      [['inspect', '--nope', 'x.sse'], {}, 'unknown option --nope'],
      [['inspect'], {}, 'give one or more files'],
      [['bogus'], {}, 'unknown command: bogus'],
      [['-x'], {}, 'unknown option -x'],
      [[], {}, 'give a command: chat, serve or inspect'],
    ];
    await Promise.all(
      cases.map(async ([args, caseEnv, message]) => {
        const run = rxchat(args, caseEnv);
        expect([args, await run.exit]).toEqual([args, 2]);
        const command = ['chat', 'serve', 'inspect'].includes(args[0]!) ? ` ${args[0]}` : '';
        const [line, hint, ...more] = run.stderr().split('\n');
        expect([args, line]).toEqual([args, expect.stringContaining(message)]);
        expect(line!.startsWith(`rxchat${command}: `)).toBe(true);
        expect(hint).toBe(`See 'rxchat${command} --help' for more.`);
        expect(more).toEqual(['']);
        expect(run.stdout()).toBe('');
      }),
    );
    expect(server.requests).toHaveLength(0);
  }, 60_000);

  it('sends --max-completion-tokens as max_completion_tokens', async () => {
    server = await startMockServer();
    const run = rxchat(['chat', '--max-completion-tokens', '64', 'Hi'], {
      OPENAI_BASE_URL: server.url,
    });
    expect(await run.exit).toBe(0);
    const body = server.requests[0]!.body as Record<string, unknown>;
    expect(body.max_completion_tokens).toBe(64);
    expect(body).not.toHaveProperty('max_tokens');
  }, 20_000);

  it('loads neither the client nor the mock server for help, version and usage errors', async () => {
    // Node's module cache at exit, as the CLI runs from source: which files it evaluated.
    const dir = mkdtempSync(join(tmpdir(), 'rxchat-loaded-'));
    try {
      const preload = join(dir, 'loaded.cjs');
      writeFileSync(
        preload,
        `process.on('exit', () => process.stderr.write('[loaded] ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n`,
      );
      const loaded = async (args: string[]) => {
        const run = rxchat(args, {}, undefined, { nodeArgs: ['--require', preload] });
        await run.exit;
        const files = JSON.parse(/\[loaded\] (.*)\n/.exec(run.stderr())![1]!) as string[];
        return files
          .filter((file) => file !== preload && !file.includes('/node_modules/tsx/'))
          .map((file) => file.slice(root.length + 1));
      };
      const light = ['src/cli/main.ts', 'package.json', 'src/cli/args.ts', 'src/cli/usage.ts'];
      for (const args of [
        ['--help'],
        ['-V'],
        ['chat', '--help'],
        ['serve', '-h'],
        ['chat', '-x'],
      ]) {
        const files = await loaded(args);
        expect([args, files.filter((file) => !light.includes(file))]).toEqual([
          args,
          ['src/cli/usage-error.ts'],
        ]);
      }
      // A bad value loads what checks it, and still nothing of rxjs, zod, undici or the server.
      const badValue = await loaded(['chat', '--max-tokens', '0', 'Hi']);
      expect(
        badValue.filter((file) => /node_modules|mock-server|src\/node|client\/chat/.test(file)),
      ).toEqual([]);
      // A real run does load them (so the check above can see them).
      const ran = await loaded(['chat', 'Hi']);
      expect(ran).toEqual(expect.arrayContaining([expect.stringMatching(/^node_modules\/rxjs\//)]));
      expect(ran).toEqual(expect.arrayContaining([expect.stringMatching(/^src\/mock-server\//)]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('rxchat chat: standard input', () => {
  let server: MockServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends piped text and the prompt together: the material, a blank line, the instruction', async () => {
    server = await startMockServer();
    const run = rxchat(
      ['chat', 'summarize', 'this'],
      { OPENAI_BASE_URL: server.url },
      '\nline one\n  line two ✓\n\n',
    );
    expect(await run.exit).toBe(0);
    expect(userContent(server)).toBe('line one\n  line two ✓\n\nsummarize this');
  }, 20_000);

  it('with - among the words, reads standard input there too', async () => {
    server = await startMockServer();
    const run = rxchat(['chat', '-', 'translate'], { OPENAI_BASE_URL: server.url }, 'bonjour');
    expect(await run.exit).toBe(0);
    expect(userContent(server)).toBe('bonjour\n\ntranslate');
  }, 20_000);

  it('does not wait on /dev/null: the prompt alone, or a usage error without one', async () => {
    server = await startMockServer();
    const run = rxchat(['chat', 'Hi'], { OPENAI_BASE_URL: server.url }, undefined, {
      stdin: 'dev-null',
    });
    expect(await run.exit).toBe(0);
    expect(userContent(server)).toBe('Hi');
    const none = rxchat(['chat'], { OPENAI_BASE_URL: server.url }, undefined, {
      stdin: 'dev-null',
    });
    expect(await none.exit).toBe(2);
    expect(none.stderr()).toMatch(/^rxchat chat: give a prompt \(or pipe one in\)\n/);
    expect(server.requests).toHaveLength(1);
  }, 20_000);

  it('says what it waits for when a pipe stays silent, and sends what comes', async () => {
    server = await startMockServer();
    const run = rxchat(['chat', 'summarize'], { OPENAI_BASE_URL: server.url }, undefined, {
      stdin: 'open',
    });
    expect(await run.stderrMatch(/waiting for standard input[^\n]*\n/)).toBe(
      'waiting for standard input to end (it is sent with the prompt; add </dev/null to send the prompt alone)\n',
    );
    expect(server.requests).toHaveLength(0);
    run.child.stdin!.end('late material');
    expect(await run.exit).toBe(0);
    expect(userContent(server)).toBe('late material\n\nsummarize');
  }, 20_000);
});

describe('rxchat chat: no endpoint configured', () => {
  it('with only an API key, answers from the mock server, sends the key nowhere, and says how to reach OpenAI', async () => {
    const run = rxchat(['chat', 'Hi'], { OPENAI_API_KEY: KEY });
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toContain('You said: "Hi"');
    const [notice] = run.stderr().split('\n');
    expect(notice).toMatch(
      /^rxchat: OPENAI_API_KEY is set but no endpoint is, so the key is not sent; answering from the built-in mock server at http:\/\/127\.0\.0\.1:\d+\/v1\. To ask OpenAI, set OPENAI_BASE_URL=https:\/\/api\.openai\.com\/v1 \(or pass --base-url\)$/,
    );
    expect(run.stdout() + run.stderr()).not.toContain(KEY);
  }, 20_000);

  it('with nothing set, says where to set the endpoint and the key', async () => {
    const run = rxchat(['chat', 'Hi']);
    expect(await run.exit).toBe(0);
    expect(run.stderr().split('\n')[0]).toMatch(
      /^rxchat: no endpoint configured; answering from the built-in mock server at http:\/\/127\.0\.0\.1:\d+\/v1\. To ask a provider, set OPENAI_BASE_URL \(e\.g\. https:\/\/api\.openai\.com\/v1\) and OPENAI_API_KEY$/,
    );
  }, 20_000);
});

describe('rxchat chat: cut answers and failures', () => {
  let loopback: Loopback | undefined;
  afterEach(async () => {
    await loopback?.close();
    loopback = undefined;
  });

  /** A server that streams `body` to every request. */
  const serving = async (body: string, status = 200) => {
    await loopback?.close();
    loopback = await startLoopback((_req, res) => {
      if (status !== 200) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
        return;
      }
      sseHead(res);
      res.end(body);
    });
    return { OPENAI_BASE_URL: loopback.baseURL, OPENAI_API_KEY: KEY };
  };

  it('says on stderr when the answer was cut, and still exits 0', async () => {
    const env = await serving(
      sseWire([
        makeChunk({ role: 'assistant', content: 'Once upon a' }),
        makeChunk({ finishReason: 'length' }),
        makeUsageChunk(makeUsage(3, 4)),
      ]),
    );
    for (const format of ['text', 'json', 'ndjson']) {
      const run = rxchat(['chat', '--format', format, 'Tell me a story'], env);
      expect([format, await run.exit]).toEqual([format, 0]);
      expect(run.stderr()).toBe(
        'rxchat: the answer was cut: max tokens reached (finish_reason length)\n[usage] prompt=3 completion=4 total=7\n',
      );
    }
    const filtered = await serving(
      sseWire([
        makeChunk({ role: 'assistant', content: 'Well' }),
        makeChunk({ finishReason: 'content_filter' }),
      ]),
    );
    const run = rxchat(['chat', 'Hi'], filtered);
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toContain(
      "rxchat: the answer was cut: the provider's content filter stopped it (finish_reason content_filter)\n",
    );
  }, 30_000);

  it('--format json after an early error prints a failed result, not an empty completion', async () => {
    const env = await serving(JSON.stringify({ error: { message: 'Invalid key' } }), 401);
    const run = rxchat(['chat', '--format', 'json', 'Hi'], env);
    expect(await run.exit).toBe(1);
    expect(JSON.parse(run.stdout())).toEqual({
      ok: false,
      completion: null,
      error: { code: 'http_error', message: expect.stringMatching(/^HTTP 401 Unauthorized/) },
    });
    expect(run.stderr()).toMatch(/^rxchat: http_error: HTTP 401 Unauthorized/);
  }, 20_000);

  it('--format json and rxchat inspect report a failing stream alike, billed usage included', async () => {
    const file = join(root, 'test/fixtures/quirks/openrouter-mid-stream-error.sse');
    const env = await serving(readFileSync(file, 'utf8'));
    const chat = rxchat(['chat', '--format', 'json', '--retries', '0', 'Hi'], env);
    const inspect = rxchat(['inspect', '--jsonl', file]);
    expect(await chat.exit).toBe(1);
    expect(await inspect.exit).toBe(1);
    const { file: _file, ...inspected } = JSON.parse(inspect.stdout()) as Record<string, unknown>;
    const printed = JSON.parse(chat.stdout()) as Record<string, unknown>;
    expect(printed).toEqual(inspected);
    expect(printed).toMatchObject({
      ok: false,
      completion: { usage: { total_tokens: 38 } },
      error: { code: 'stream_error' },
    });
    // The answer had been cut by its length before the provider failed.
    expect(chat.stderr()).toContain('the answer was cut: max tokens reached');
    expect(chat.stderr()).toContain('[usage] prompt=30 completion=8 total=38');
  }, 20_000);
});
