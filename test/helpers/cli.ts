import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/** A run of the CLI as a real child process. */
export interface CliRun {
  child: ChildProcessWithoutNullStreams;
  stdoutChunks: { at: number; text: string }[];
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/**
 * Runs `rxchat ...args` from source (tsx in-process, so signals reach it directly) with a clean
 * environment: no OPENAI_* or RXCHAT_* variables but those in `env`.
 */
export function rxchat(args: string[], env: Record<string, string> = {}, stdin?: string): CliRun {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(OPENAI_|RXCHAT_)/.test(k)),
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args],
    { cwd: root, env: { ...clean, NO_COLOR: '', ...env } },
  );
  const stdoutChunks: { at: number; text: string }[] = [];
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (text: string) => stdoutChunks.push({ at: Date.now(), text }));
  child.stderr.on('data', (text: string) => (stderr += text));
  if (stdin !== undefined) child.stdin.end(stdin);
  else child.stdin.end();
  const exit = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return {
    child,
    stdoutChunks,
    stdout: () => stdoutChunks.map((c) => c.text).join(''),
    stderr: () => stderr,
    exit,
  };
}
