import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspectFile, runInspect } from '../../src/cli/inspect';
import { protocolOfEvent, protocolOfValue } from '../../src/cli/inspect-protocol';
import { UsageError } from '../../src/cli/usage-error';
import { makeResponseEvents, makeResponseUsage, responsesWire } from '../../src/testing';

// `rxchat inspect` on Responses API recordings: the protocol is told per file, and chat files
// are reported exactly as before.
const root = resolve(__dirname, '../..');
const fixture = (dir: string, name: string) => join('test/fixtures', dir, name);
const ANSWER = 'Streams are cold: nothing happens until you subscribe.';

/** Runs the CLI from source as a user would, with optional standard input. */
async function cli(args: string[], stdin?: string) {
  const child = execFile(
    process.execPath,
    [join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/cli/main.ts', ...args],
    { cwd: root },
  );
  if (stdin !== undefined) child.stdin!.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: string) => (stdout += d));
  child.stderr!.on('data', (d: string) => (stderr += d));
  const code = await new Promise<number>((done) => child.on('close', (c) => done(c ?? -1)));
  return { code, stdout, stderr };
}

async function jsonl(args: string[]) {
  const lines: string[] = [];
  const code = await runInspect(['--jsonl', ...args], (line) => lines.push(line));
  return { code, records: lines.map((line) => JSON.parse(line)) };
}

describe('rxchat inspect: Responses API recordings', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxchat-inspect-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes a recording made from the event contract and returns its path. */
  const recording = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, body);
    return path;
  };

  it('reads a Responses stream built from the event contract with parseResponseEvents()', async () => {
    const file = recording(
      'answer.sse',
      responsesWire(
        makeResponseEvents({
          id: 'resp_t1',
          model: 'm-1',
          createdAt: 1700000123,
          reasoning: [['Let me ', 'see.']],
          text: ['Hel', 'lo'],
          calls: [{ name: 'f', callId: 'call_9', arguments: ['{"a"', ':1}'] }],
          usage: makeResponseUsage(8, 6),
        }),
        { done: true },
      ),
    );
    const { code, records } = await jsonl([file]);
    expect(code).toBe(0);
    const [record] = records;
    expect(Object.keys(record)).toEqual(['file', 'ok', 'completion', 'error', 'protocol']);
    expect(record).toMatchObject({ file, ok: true, error: null, protocol: 'responses' });
    expect(record.completion).toMatchObject({
      id: 'resp_t1',
      model: 'm-1',
      created: 1700000123,
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: {
            content: 'Hello',
            reasoning: 'Let me see.',
            tool_calls: [
              { id: 'call_9', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
            ],
          },
        },
      ],
      usage: { prompt_tokens: 8, completion_tokens: 6, total_tokens: 14 },
    });
  });

  it('reports a cut Responses stream as truncated, with what had arrived', async () => {
    const { code, records } = await jsonl([fixture('responses', 'truncated.sse')]);
    expect(code).toBe(1);
    expect(records[0]).toMatchObject({
      ok: false,
      protocol: 'responses',
      error: { code: 'truncated' },
      completion: { choices: [{ message: { content: 'Streams are co' }, finish_reason: null }] },
    });
    expect(records[0].error.message).toMatch(/terminal Responses event/);
  });

  it('tells each file of a mixed set apart, chat lines unchanged', async () => {
    const files = [
      fixture('demo', 'hello.sse'),
      fixture('responses', 'hello.sse'),
      fixture('quirks', 'truncated-mid-json.sse'),
      fixture('responses', 'tool-call.sse'),
      fixture('responses', 'incomplete.sse'),
      fixture('responses', 'failed.sse'),
      fixture('responses', 'hello.json'),
    ];
    const run = await cli(['inspect', '--jsonl', ...files]);
    expect(run.code).toBe(1);
    const records = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.map((r) => [r.file, r.protocol ?? 'chat', r.ok, r.error?.code ?? null])).toEqual(
      [
        [files[0], 'chat', true, null],
        [files[1], 'responses', true, null],
        [files[2], 'chat', false, 'truncated'],
        [files[3], 'responses', true, null],
        [files[4], 'responses', true, null],
        [files[5], 'responses', false, 'stream_error'],
        [files[6], 'responses', true, null],
      ],
    );
    // A chat line is what it always was: the four keys, no protocol.
    expect(Object.keys(records[0])).toEqual(['file', 'ok', 'completion', 'error']);
    // The same answer, whichever API carried it.
    expect(records[1].completion.choices[0].message.content).toBe(ANSWER);
    expect(records[0].completion.choices[0].message.content).toBe(ANSWER);
    expect(records[3].completion.choices[0].message.tool_calls).toEqual(
      (await inspectFile(fixture('demo', 'tool-call.sse'))).completion!.choices[0]!.message
        .tool_calls,
    );
    expect(records[4].completion.choices[0].finish_reason).toBe('length');
    expect(records[5].error.message).toContain('The model failed');
  }, 20_000);

  it('names the protocol in the readable report of a Responses file only', async () => {
    const run = await cli([
      'inspect',
      fixture('responses', 'hello.sse'),
      fixture('demo', 'hello.sse'),
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      [
        'test/fixtures/responses/hello.sse [responses]: ok',
        '  id resp_demo1  model demo-model  created 1763700000',
        '  choice 0: finish_reason stop',
        '    reasoning (13 chars): "Cold streams."',
        `    content (54 chars): "${ANSWER}"`,
        '  usage: prompt 12, completion 10, total 22',
        'test/fixtures/demo/hello.sse: ok',
      ].join('\n'),
    );
  }, 20_000);

  it('reads a Responses body on standard input', async () => {
    const body = responsesWire(makeResponseEvents({ text: ['hi'] }));
    const run = await cli(['inspect', '--jsonl', '-'], body);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      file: '-',
      ok: true,
      protocol: 'responses',
      completion: { choices: [{ message: { content: 'hi' } }] },
    });
  }, 20_000);

  it('--protocol forces a parser: the wrong one is a parse_error naming the protocol', async () => {
    const asChat = await jsonl(['--protocol', 'chat', fixture('responses', 'hello.sse')]);
    expect(asChat.records[0]).toMatchObject({ ok: false, error: { code: 'parse_error' } });
    expect(asChat.records[0].protocol).toBeUndefined();
    const asResponses = await jsonl(['--protocol=responses', fixture('demo', 'hello.sse')]);
    expect(asResponses.records[0]).toMatchObject({
      ok: false,
      protocol: 'responses',
      error: { code: 'parse_error' },
    });
    expect(asResponses.records[0].error.message).toMatch(/Chat Completions/);
    const right = await jsonl(['--protocol', 'responses', fixture('responses', 'hello.sse')]);
    expect(right.records[0]).toMatchObject({ ok: true, protocol: 'responses' });
    await expect(runInspect(['--protocol', 'soap', 'x'], () => undefined)).rejects.toThrow(
      new UsageError('--protocol must be chat or responses, not soap'),
    );
  });

  it('reads a file that never says which API it is as chat, as before', async () => {
    const file = recording('silent.sse', ': ping\n\nretry: 100\n\ndata: [DONE]\n\n');
    const result = await inspectFile(file);
    expect(result.protocol).toBeUndefined();
    expect(result).toEqual(await inspectFile(file, 'chat'));
  });

  it('reads a whole JSON body (a server that did not stream) of either API', async () => {
    const chat = recording(
      'chat.json',
      JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    );
    const { code, records } = await jsonl([chat, fixture('responses', 'hello.json')]);
    expect(code).toBe(0);
    expect(records[0]).toMatchObject({ ok: true, completion: { id: 'chatcmpl-1' } });
    expect(records[0].protocol).toBeUndefined();
    expect(records[0].completion.choices[0].message.content).toBe('hi');
    expect(records[1]).toMatchObject({ ok: true, protocol: 'responses' });
    expect(records[1].completion.choices[0].message.content).toBe('Streams are cold.');
  });

  it('reads every chat quirk fixture as chat', async () => {
    const quirks = readdirSync(join(root, 'test/fixtures/quirks')).filter((f) =>
      f.endsWith('.sse'),
    );
    expect(quirks.length).toBeGreaterThan(10);
    for (const name of quirks) {
      const result = await inspectFile(join(root, 'test/fixtures/quirks', name));
      expect([name, result.protocol]).toEqual([name, undefined]);
    }
  });
});

describe('protocol detection', () => {
  it('reads the first data line that says which API it is', () => {
    const cases: [unknown, 'chat' | 'responses' | undefined][] = [
      [{ object: 'chat.completion.chunk', choices: [] }, 'chat'],
      [{ choices: [{ delta: { content: 'x' } }] }, 'chat'],
      [{ object: 'chat.completion', choices: [] }, 'chat'],
      [{ type: 'response.created', response: {} }, 'responses'],
      [{ type: 'error', code: 'server_error', message: 'x' }, 'responses'],
      [{ type: 'keepalive' }, 'responses'],
      [{ object: 'response', status: 'completed' }, 'responses'],
      // A chat error frame, and frames that say nothing: undecided (chat in the end).
      [{ error: { message: 'x' } }, undefined],
      [{ type: 'error', error: { message: 'x' } }, undefined],
      [{ usage: { prompt_tokens: 1 } }, undefined],
      ['text', undefined],
    ];
    for (const [value, protocol] of cases)
      expect([value, protocolOfValue(value)]).toEqual([value, protocol]);
    const message = (data: string, event?: string) =>
      ({ type: 'message', data, event, id: undefined }) as const;
    expect(protocolOfEvent(message('not json', 'response.output_text.delta'))).toBe('responses');
    expect(protocolOfEvent(message('[DONE]'))).toBeUndefined();
  });
});
