import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatResult, inspectFile, runInspect } from '../../src/cli/inspect';
import { UsageError } from '../../src/cli/usage-error';
import { RX_CHAT_ERROR_CODES } from '../../src/errors';

const root = resolve(__dirname, '../..');
const demo = (name: string) => join('test/fixtures/demo', name);
const quirk = (name: string) => join(root, 'test/fixtures/quirks', name);

/** Runs the CLI from source, as a user would run the bin, with optional standard input. */
async function cli(
  args: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = execFile(
    process.execPath,
    [join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/cli/main.ts', ...args],
    {
      cwd: root,
    },
  );
  if (stdin !== undefined) child.stdin!.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: string) => (stdout += d));
  child.stderr!.on('data', (d: string) => (stderr += d));
  const code = await new Promise<number>((done) => child.on('close', (c) => done(c ?? -1)));
  return { code, stdout, stderr };
}

describe('rxchat inspect', () => {
  it('prints one JSON line per file with the file argument exactly as given', async () => {
    const lines: string[] = [];
    const code = await runInspect(['--jsonl', demo('hello.sse'), demo('tool-call.sse')], (l) =>
      lines.push(l),
    );
    expect(code).toBe(0);
    const [hello, tool] = lines.map((l) => JSON.parse(l));
    expect(Object.keys(hello)).toEqual(['file', 'ok', 'completion', 'error']);
    expect(hello).toMatchObject({ file: demo('hello.sse'), ok: true, error: null });
    expect(hello.completion.choices[0].message.content).toBe(
      'Streams are cold: nothing happens until you subscribe.',
    );
    expect(hello.completion.usage).toEqual({
      prompt_tokens: 12,
      completion_tokens: 10,
      total_tokens: 22,
    });
    expect(tool.completion.choices[0].message.tool_calls).toEqual([
      {
        id: 'call_demo_1',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      },
    ]);
  });

  it('reports a failure with its code and the partial completion, and exits 1', async () => {
    const lines: string[] = [];
    const code = await runInspect(
      ['--jsonl', demo('hello.sse'), quirk('truncated-mid-json.sse')],
      (l) => lines.push(l),
    );
    expect(code).toBe(1);
    const failed = JSON.parse(lines[1]!);
    expect(failed.ok).toBe(false);
    expect(failed.error.code).toBe('truncated');
    expect(typeof failed.error.message).toBe('string');
    expect(failed.completion).not.toBeNull();
  });

  it('reports a missing file as an io_error without stopping the others', async () => {
    const result = await inspectFile('does-not-exist.sse');
    expect(result).toMatchObject({ ok: false, completion: null, error: { code: 'io_error' } });
  });

  it('documents every code it can report, io_error included', async () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## `rxchat inspect`'));
    const documented = new Set([...readme.matchAll(/`([a-z_]+)`/g)].map((match) => match[1]));
    for (const code of [...RX_CHAT_ERROR_CODES, 'io_error']) expect(documented).toContain(code);
    expect(section.slice(0, section.indexOf('\n## '))).toMatch(/`io_error` when a file could/);
    const directory = await inspectFile(__dirname);
    expect(directory).toMatchObject({ ok: false, completion: null, error: { code: 'io_error' } });
  });

  it('rejects unknown options and a missing file list', async () => {
    await expect(runInspect(['--nope', 'x'], () => undefined)).rejects.toBeInstanceOf(UsageError);
    await expect(runInspect([], () => undefined)).rejects.toBeInstanceOf(UsageError);
  });

  it('prints a readable report without --jsonl', async () => {
    const result = await inspectFile(demo('tool-call.sse'));
    expect(formatResult(result)).toBe(
      [
        'test/fixtures/demo/tool-call.sse: ok',
        '  id chatcmpl-demo1  model demo-model  created 1763700000',
        '  choice 0: finish_reason tool_calls',
        '    tool call call_demo_1: get_weather("{\\"city\\":\\"Paris\\"}")',
        '  usage: prompt 40, completion 9, total 49',
      ].join('\n'),
    );
  });

  it('reads standard input for - and exits with the right codes', async () => {
    const ok = await cli(
      ['inspect', '--jsonl', '-'],
      'data: {"choices":[{"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n',
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ file: '-', ok: true });
    const bad = await cli(['inspect', '-'], 'data: {"choices":[{"delta":{"content":"h');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('-: FAILED truncated');
    const usage = await cli(['bogus']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('unknown command: bogus');
  });
});
