import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChatPrinter } from '../../src/cli/chat-printer';
import { displayWidth } from '../../src/cli/live-frame';
import type { Terminal } from '../../src/cli/terminal';
import { startMockServer, type MockServer } from '../../src/mock-server';
import {
  makeChunk,
  makeResponseEvents,
  makeResponseUsage,
  makeUsage,
  makeUsageChunk,
  responsesWire,
  sseWire,
} from '../../src/testing';
import { rxchat } from '../helpers/cli';
import { delay, sseHead, startLoopback, type Loopback } from '../helpers/loopback';

// `rxchat chat --json-schema FILE` and `--tools FILE` as a real child process, against loopback
// servers answering JSON text (the mock server answers text to a json_schema request) and the
// built-in mock server (which calls the tools a prompt names); the live redraw in-process.

const root = resolve(__dirname, '../..');
const fixtures = resolve(__dirname, '../fixtures/cli');
const SCHEMA = join(fixtures, 'recipe.schema.json');
const TOOLS = join(fixtures, 'weather.tools.json');
const CHAT_TOOLS = join(fixtures, 'weather.chat-tools.json');
const KEY = 'sk-cli-structured-SECRET-123456';
const RECIPE = { title: 'Tea', steps: ['Boil water', 'Steep 3 min'] };
const RECIPE_SCHEMA = {
  type: 'object',
  properties: {
    title: { type: 'string' },
    steps: { type: 'array', items: { type: 'string' } },
  },
  required: ['title', 'steps'],
  additionalProperties: false,
};
const WEATHER_PARAMETERS = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
};

/** A JSON text cut into small deltas, as a model streams it. */
const deltasOf = (text: string) => text.match(/.{1,5}/gs) ?? [];

describe('rxchat chat --json-schema', () => {
  let loopback: Loopback | undefined;
  afterEach(async () => {
    await loopback?.close();
    loopback = undefined;
  });

  /** A chat endpoint answering `content` in small deltas. */
  const serveChat = async (content: string) => {
    loopback = await startLoopback((_req, res) => {
      sseHead(res);
      res.end(
        sseWire([
          makeChunk({ role: 'assistant', content: '' }),
          ...deltasOf(content).map((text) => makeChunk({ content: text })),
          makeChunk({ finishReason: 'stop' }),
          makeUsageChunk(makeUsage(9, 12)),
        ]),
      );
    });
    return { OPENAI_BASE_URL: loopback.baseURL, OPENAI_API_KEY: KEY };
  };

  it('sends the schema as response_format and, piped, prints the object once at the end', async () => {
    const env = await serveChat(JSON.stringify(RECIPE));
    const run = rxchat(['chat', '--json-schema', SCHEMA, '--schema-name', 'recipe', 'Tea?'], env);
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toBe(`${JSON.stringify(RECIPE, null, 2)}\n`);
    expect(run.stderr()).toBe('[usage] prompt=9 completion=12 total=21\n');
    const body = JSON.parse(loopback!.requests[0]!.body) as Record<string, unknown>;
    // `$schema` is left out; every object is closed and fully required: strict.
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'recipe', schema: RECIPE_SCHEMA, strict: true },
    });
  }, 20_000);

  it('takes a fenced answer, names the schema "answer" by default, and is not strict when it cannot be', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxchat-schema-'));
    try {
      const open = { type: 'object', properties: { n: { type: 'number' } } };
      writeFileSync(join(dir, 'open.json'), JSON.stringify(open));
      const env = await serveChat('```json\n{"n": 42}\n```');
      const run = rxchat(['chat', '--json-schema', join(dir, 'open.json'), 'n?'], env);
      expect(await run.exit).toBe(0);
      expect(run.stdout()).toBe('{\n  "n": 42\n}\n');
      const body = JSON.parse(loopback!.requests[0]!.body) as Record<string, unknown>;
      expect(body.response_format).toEqual({
        type: 'json_schema',
        json_schema: { name: 'answer', schema: open, strict: false },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it('with --format json, prints the completion, its content the JSON text', async () => {
    const env = await serveChat(JSON.stringify(RECIPE));
    const run = rxchat(['chat', '--json-schema', SCHEMA, '--format', 'json', 'Tea?'], env);
    expect(await run.exit).toBe(0);
    const completion = JSON.parse(run.stdout());
    expect(JSON.parse(completion.choices[0].message.content)).toEqual(RECIPE);
  }, 20_000);

  it('fails with parse_error, exit 1 and nothing on stdout when the answer is not JSON', async () => {
    const env = await serveChat('Sure! Here is a recipe: {"title": "Tea"}');
    const run = rxchat(['chat', '--json-schema', SCHEMA, 'Tea?'], env);
    expect(await run.exit).toBe(1);
    expect(run.stdout()).toBe('');
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rxchat: parse_error: /);

    // The --format json failure shape is unchanged (the answer is not parsed there).
    const json = rxchat(['chat', '--json-schema', SCHEMA, '--format', 'json', 'Tea?'], env);
    expect(await json.exit).toBe(0);
    expect(JSON.parse(json.stdout()).choices[0].message.content).toMatch(/^Sure!/);
  }, 20_000);

  it('fails with truncated when the answer was cut at its token limit', async () => {
    loopback = await startLoopback((_req, res) => {
      sseHead(res);
      res.end(
        sseWire([
          makeChunk({ role: 'assistant', content: '{"title": "Te' }),
          makeChunk({ finishReason: 'length' }),
        ]),
      );
    });
    const run = rxchat(['chat', '--json-schema', SCHEMA, 'Tea?'], {
      OPENAI_BASE_URL: loopback.baseURL,
    });
    expect(await run.exit).toBe(1);
    expect(run.stdout()).toBe('');
    expect(run.stderr()).toMatch(/^rxchat: truncated: /m);
    expect(run.stderr()).toContain('rxchat: the answer was cut: max tokens reached');
  }, 20_000);

  it('sends text.format with --api responses and prints the object', async () => {
    loopback = await startLoopback((_req, res) => {
      sseHead(res);
      res.end(
        responsesWire(
          makeResponseEvents({
            text: deltasOf(JSON.stringify(RECIPE)),
            usage: makeResponseUsage(5, 6),
          }),
        ),
      );
    });
    const run = rxchat(
      ['chat', '--api', 'responses', '--json-schema', SCHEMA, '--schema-name', 'recipe', 'Tea?'],
      { OPENAI_BASE_URL: loopback.baseURL, OPENAI_API_KEY: KEY },
    );
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toBe(`${JSON.stringify(RECIPE, null, 2)}\n`);
    expect(loopback.requests[0]!.url).toBe('/v1/responses');
    const body = JSON.parse(loopback.requests[0]!.body) as Record<string, unknown>;
    expect(body.text).toEqual({
      format: { type: 'json_schema', name: 'recipe', schema: RECIPE_SCHEMA, strict: true },
    });
    expect(body.response_format).toBeUndefined();
  }, 20_000);

  it('on a terminal, redraws the object as it grows, then leaves it whole', async () => {
    loopback = await startLoopback((_req, res) => {
      sseHead(res);
      void (async () => {
        for (const text of deltasOf(JSON.stringify(RECIPE))) {
          res.write(sseWire([makeChunk({ content: text })]).replace(/data: \[DONE\]\n\n$/, ''));
          await delay(60);
        }
        res.end(sseWire([makeChunk({ finishReason: 'stop' })]));
      })();
    });
    // `script` gives the child a pseudo-terminal (of a known size), as a person's shell would.
    const command = [
      'stty rows 24 cols 80;',
      ...[process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'chat']
        .concat(['--json-schema', SCHEMA, 'Tea?'])
        .map((part) => `'${part}'`),
    ].join(' ');
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(OPENAI_|RXCHAT_|NO_COLOR)/.test(k)),
    );
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd: root,
      env: { ...env, TERM: 'xterm', OPENAI_BASE_URL: loopback.baseURL },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stdin.end();
    expect(await new Promise<number | null>((done) => child.on('close', done))).toBe(0);
    // Redrawn in place: back up over the frame's rows, cleared, drawn again.
    // eslint-disable-next-line no-control-regex
    expect(output).toMatch(/\r\x1b\[\dA\x1b\[J\{/);
    const whole = JSON.stringify(RECIPE, null, 2).replace(/\n/g, '\r\n');
    expect(output).toContain(`\x1b[J${whole}\r\n[usage] not reported by the server`);
  }, 30_000);

  it('refuses a bad schema file or name with exit 2 before any request', async () => {
    loopback = await startLoopback(() => undefined);
    const dir = mkdtempSync(join(tmpdir(), 'rxchat-schema-'));
    try {
      writeFileSync(join(dir, 'broken.json'), '{"type": ');
      writeFileSync(join(dir, 'array.json'), '[]');
      const missing = join(dir, 'missing.json');
      const cases: [string[], string][] = [
        [['--json-schema', missing], `--json-schema: cannot read ${missing} (no such file)`],
        [['--json-schema', dir], `--json-schema: cannot read ${dir} (a directory)`],
        [
          ['--json-schema', join(dir, 'broken.json')],
          `--json-schema: ${join(dir, 'broken.json')} is not JSON (`,
        ],
        [
          ['--json-schema', join(dir, 'array.json')],
          `--json-schema: ${join(dir, 'array.json')} must hold a JSON Schema object, not an array`,
        ],
        [['--json-schema', SCHEMA, '--schema-name', 'a b'], '--schema-name must be 1-64 letters'],
        [['--schema-name', 'recipe'], '--schema-name goes with --json-schema FILE'],
      ];
      await Promise.all(
        cases.map(async ([flags, message]) => {
          const run = rxchat(['chat', ...flags, 'Hi'], { OPENAI_BASE_URL: loopback!.baseURL });
          expect([flags, await run.exit]).toEqual([flags, 2]);
          expect(run.stderr()).toContain(`rxchat chat: ${message}`);
          expect(run.stderr()).toMatch(/\nSee 'rxchat chat --help' for more\.\n$/);
          expect(run.stderr().split('\n')).toHaveLength(3);
        }),
      );
      expect(loopback.requests).toHaveLength(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('rxchat chat --tools', () => {
  let server: MockServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends the tools (plain form converted) and prints the call the model makes, without running it', async () => {
    server = await startMockServer({ pace: 'none' });
    const run = rxchat(['chat', '--tools', TOOLS, 'get_weather for Paris'], {
      OPENAI_BASE_URL: server.url,
    });
    expect(await run.exit).toBe(0);
    expect(server.requests[0]!.body).toMatchObject({
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'The weather in a city',
            parameters: WEATHER_PARAMETERS,
          },
        },
      ],
    });
    expect((server.requests[0]!.body as Record<string, unknown>).tool_choice).toBeUndefined();
    expect(run.stdout()).toMatch(/^\[tool call\] get_weather\(\{"city":".*"\}\) id=\S+\n$/);
    // One request: the call is printed, not run and answered.
    expect(server.requests).toHaveLength(1);
  }, 20_000);

  it('takes chat tool definitions and --tool-choice NAME', async () => {
    server = await startMockServer({ pace: 'none' });
    const run = rxchat(['chat', '--tools', CHAT_TOOLS, '--tool-choice', 'get_time', 'Hi'], {
      OPENAI_BASE_URL: server.url,
    });
    expect(await run.exit).toBe(0);
    const body = server.requests[0]!.body as Record<string, unknown>;
    expect(body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'The weather in a city',
          parameters: WEATHER_PARAMETERS,
        },
      },
      { type: 'function', function: { name: 'get_time' } },
    ]);
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'get_time' } });
    expect(run.stdout()).toMatch(/^\[tool call\] get_time\(.*\) id=\S+\n$/);
  }, 20_000);

  it('sends flat tools and tool_choice with --api responses and prints the call', async () => {
    server = await startMockServer({ pace: 'none' });
    const run = rxchat(
      ['chat', '--api', 'responses', '--tools', TOOLS, '--tool-choice', 'required', 'Hi'],
      { OPENAI_BASE_URL: server.url },
    );
    expect(await run.exit).toBe(0);
    const body = server.requests[0]!.body as Record<string, unknown>;
    expect(server.requests[0]!.path).toBe('/v1/responses');
    expect(body.tools).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'The weather in a city',
        parameters: WEATHER_PARAMETERS,
      },
    ]);
    expect(body.tool_choice).toBe('required');
    expect(run.stdout()).toMatch(/^\[tool call\] get_weather\(\{"city":".*"\}\) id=\S+\n$/);

    const named = rxchat(
      ['chat', '--api', 'responses', '--tools', CHAT_TOOLS, '--tool-choice', 'get_time', 'Hi'],
      { OPENAI_BASE_URL: server.url },
    );
    expect(await named.exit).toBe(0);
    const namedBody = server.requests[1]!.body as Record<string, unknown>;
    expect(namedBody.tool_choice).toEqual({ type: 'function', name: 'get_time' });
    expect(namedBody.tools).toEqual([
      expect.objectContaining({ type: 'function', name: 'get_weather' }),
      { type: 'function', name: 'get_time' },
    ]);
    expect(named.stdout()).toMatch(/^\[tool call\] get_time\(/);
  }, 20_000);

  it('refuses a bad tools file or --tool-choice with exit 2 before any request', async () => {
    server = await startMockServer({ pace: 'none' });
    const dir = mkdtempSync(join(tmpdir(), 'rxchat-tools-'));
    const file = (name: string, value: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
      return path;
    };
    try {
      const cases: [string[], string][] = [
        [['--tools', join(dir, 'missing.json')], 'cannot read'],
        [['--tools', file('broken.json', '[{')], 'is not JSON'],
        [
          ['--tools', file('object.json', { name: 'f' })],
          'must hold a non-empty array of tools, not an object',
        ],
        [
          ['--tools', file('empty.json', [])],
          'must hold a non-empty array of tools, not an empty one',
        ],
        [['--tools', file('nameless.json', [{ description: 'x' }])], '[0] needs a name'],
        [['--tools', file('badname.json', [{ name: 'get weather' }])], '[0] needs a name'],
        [
          ['--tools', file('custom.json', [{ type: 'custom', custom: { name: 'x' } }])],
          'only function tools',
        ],
        [['--tools', file('nofn.json', [{ type: 'function' }])], '[0].function must be an object'],
        [
          ['--tools', file('params.json', [{ name: 'f', parameters: [] }])],
          'parameters must be a JSON Schema object',
        ],
        [['--tools', file('extra.json', [{ name: 'f', args: {} }])], 'unknown field "args"'],
        [
          ['--tools', file('twice.json', [{ name: 'f' }, { name: 'f' }])],
          '[1]: the name f is used twice',
        ],
        [
          ['--tools', TOOLS, '--tool-choice', 'nope'],
          '--tool-choice must be auto, required, none or the name',
        ],
        [['--tool-choice', 'auto'], '--tool-choice goes with --tools FILE'],
      ];
      await Promise.all(
        cases.map(async ([flags, message]) => {
          const run = rxchat(['chat', ...flags, 'Hi'], { OPENAI_BASE_URL: server!.url });
          expect([flags, await run.exit]).toEqual([flags, 2]);
          expect([flags, run.stderr()]).toEqual([flags, expect.stringContaining(message)]);
          expect(run.stderr()).toMatch(
            /^rxchat chat: --tool.*\nSee 'rxchat chat --help' for more\.\n$/,
          );
        }),
      );
      expect(server.requests).toHaveLength(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('with --json-schema too, an answer that only calls tools prints the calls and exits 0', async () => {
    server = await startMockServer({ pace: 'none' });
    const run = rxchat(
      ['chat', '--json-schema', SCHEMA, '--tools', TOOLS, 'get_weather for Paris'],
      { OPENAI_BASE_URL: server.url },
    );
    expect(await run.exit).toBe(0);
    expect(server.requests[0]!.body).toMatchObject({
      response_format: { type: 'json_schema' },
      tools: [{ type: 'function' }],
    });
    expect(run.stdout()).toMatch(/^\[tool call\] get_weather\(/);
    expect(run.stderr()).not.toContain('parse_error');
  }, 20_000);

  it('documents both flags in rxchat chat --help', async () => {
    const help = rxchat(['chat', '--help']);
    expect(await help.exit).toBe(0);
    expect(help.stdout()).toMatch(/--json-schema FILE +ask for JSON/);
    expect(help.stdout()).toContain('no JSON');
    expect(help.stdout()).toMatch(/--tools FILE +tools the model may call/);
    expect(help.stdout()).toContain('not run: the CLI has no way to run your code');
    expect(help.stdout()).toMatch(/--tool-choice C +auto, required, none/);
  }, 20_000);
});

describe('ChatPrinter: the object of --json-schema', () => {
  function terminal(size?: { columns: number; rows: number }) {
    const writes: string[] = [];
    const term: Terminal = {
      fancy: false,
      outputIsTTY: size !== undefined,
      errorIsTTY: size !== undefined,
      write: (text) => void writes.push(text),
      error: (text) => void writes.push(`err:${text}`),
      size: () => size,
    };
    const exits: number[] = [];
    return { printer: new ChatPrinter(term, 'object', (code) => exits.push(code)), writes, exits };
  }

  it('piped, prints the whole object once, nothing of the partial ones', () => {
    const { printer, writes, exits } = terminal();
    printer.show({ type: 'object', value: { title: 'T' }, final: false });
    printer.show({ type: 'object', value: RECIPE, final: false });
    printer.show({ type: 'object', value: RECIPE, final: true });
    printer.succeed();
    expect(writes).toEqual([
      `${JSON.stringify(RECIPE, null, 2)}\n`,
      'err:[usage] not reported by the server\n',
    ]);
    expect(exits).toEqual([0]);
  });

  it('on a terminal, redraws the object in place (throttled), then prints it whole', () => {
    jest.useFakeTimers();
    try {
      const { printer, writes } = terminal({ columns: 80, rows: 24 });
      printer.show({ type: 'object', value: { title: 'T' }, final: false });
      expect(writes).toEqual(['{\n  "title": "T"\n}']);
      // Within 50 ms: held, then drawn once with the latest value only.
      printer.show({ type: 'object', value: { title: 'Te' }, final: false });
      printer.show({ type: 'object', value: { title: 'Tea' }, final: false });
      expect(writes).toHaveLength(1);
      jest.advanceTimersByTime(50);
      // Back to the frame's first row (3 rows: up 2), cleared, redrawn.
      expect(writes).toEqual(['{\n  "title": "T"\n}', '\r\x1b[2A\x1b[J{\n  "title": "Tea"\n}']);
      printer.show({ type: 'object', value: RECIPE, final: false });
      printer.show({ type: 'object', value: RECIPE, final: true });
      printer.succeed();
      expect(writes.slice(2)).toEqual([
        '\r\x1b[2A\x1b[J',
        `${JSON.stringify(RECIPE, null, 2)}\n`,
        'err:[usage] not reported by the server\n',
      ]);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('stops redrawing an object taller than the screen, and prints it whole at the end', () => {
    const { printer, writes } = terminal({ columns: 80, rows: 4 });
    printer.show({ type: 'object', value: { a: 1 }, final: false });
    expect(writes).toEqual(['{\n  "a": 1\n}']);
    const tall = { a: 1, b: 2, c: 3 };
    jest.useFakeTimers();
    try {
      printer.show({ type: 'object', value: tall, final: false });
      jest.advanceTimersByTime(50);
    } finally {
      jest.useRealTimers();
    }
    expect(writes).toEqual(['{\n  "a": 1\n}', '\r\x1b[2A\x1b[J']);
    printer.show({ type: 'object', value: tall, final: false });
    printer.show({ type: 'object', value: tall, final: true });
    expect(writes.slice(2)).toEqual([`${JSON.stringify(tall, null, 2)}\n`]);
  });

  it('keeps the partial object on screen when the stream fails, its line ended', () => {
    const { printer, writes, exits } = terminal({ columns: 80, rows: 24 });
    printer.show({ type: 'object', value: { title: 'T' }, final: false });
    printer.fail(new Error('boom'));
    expect(writes).toEqual(['{\n  "title": "T"\n}', '\n', 'err:rxchat: boom\n']);
    expect(exits).toEqual([1]);
  });

  it('counts wide characters twice and combining marks not at all', () => {
    expect(displayWidth('ab')).toBe(2);
    expect(displayWidth('世界')).toBe(4);
    expect(displayWidth('🚀')).toBe(2);
    expect(displayWidth('e\u0301')).toBe(1);
  });
});
