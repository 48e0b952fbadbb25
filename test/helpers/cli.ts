import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';

const root = resolve(__dirname, '../..');

/** A run of the CLI as a real child process. */
export interface CliRun {
  /** `child.stdin` is `null` with `{ stdin: 'dev-null' }`. */
  child: ChildProcessByStdio<Writable | null, Readable, Readable>;
  stdoutChunks: { at: number; text: string }[];
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first stderr text (so far) that `pattern` matches. */
  stderrMatch: (pattern: RegExp) => Promise<string>;
  exit: Promise<number | null>;
}

/** How to start the child, beyond its arguments and environment. */
export interface CliOptions {
  /**
   * Standard input when no text is given: `'open'` is a pipe left open (write to
   * `child.stdin` and end it yourself), `'dev-null'` is `/dev/null` (no pipe at all). The
   * default is a pipe ended at once.
   */
  stdin?: 'open' | 'dev-null';
  /** Flags for node itself, before `--import tsx` (e.g. `--require` a preload). */
  nodeArgs?: string[];
}

/**
 * Runs `rxchat ...args` from source (tsx in-process, so signals reach it directly) with a clean
 * environment: no OPENAI_* or RXCHAT_* variables but those in `env`.
 */
export function rxchat(
  args: string[],
  env: Record<string, string> = {},
  stdin?: string,
  options: CliOptions = {},
): CliRun {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(OPENAI_|RXCHAT_)/.test(k)),
  );
  const devNull = stdin === undefined && options.stdin === 'dev-null';
  const nullFd = devNull ? openSync('/dev/null', 'r') : undefined;
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', join(root, 'src/cli/main.ts'), ...args],
    {
      cwd: root,
      env: { ...clean, NO_COLOR: '', ...env },
      stdio: [nullFd ?? 'pipe', 'pipe', 'pipe'],
    },
  ) as ChildProcessByStdio<Writable | null, Readable, Readable>;
  if (nullFd !== undefined) closeSync(nullFd); // the child has its own copy
  const stdoutChunks: { at: number; text: string }[] = [];
  let stderr = '';
  const watchers: { pattern: RegExp; found: (text: string) => void }[] = [];
  const check = () => {
    for (const watcher of [...watchers]) {
      const match = watcher.pattern.exec(stderr);
      if (match) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.found(match[0]);
      }
    }
  };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (text: string) => stdoutChunks.push({ at: Date.now(), text }));
  child.stderr.on('data', (text: string) => {
    stderr += text;
    check();
  });
  if (stdin !== undefined) child.stdin!.end(stdin);
  else if (!devNull && options.stdin !== 'open') child.stdin!.end();
  const exit = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return {
    child,
    stdoutChunks,
    stdout: () => stdoutChunks.map((c) => c.text).join(''),
    stderr: () => stderr,
    stderrMatch: (pattern) =>
      new Promise<string>((found, failed) => {
        watchers.push({ pattern, found });
        check();
        // A child that ends without saying it fails the wait, rather than hanging the test.
        void exit.then(() =>
          failed(new Error(`exited without ${pattern} on stderr; stderr was: ${stderr}`)),
        );
      }),
    exit,
  };
}
