#!/usr/bin/env node
import { version } from '../../package.json';
import { parseArgs } from './args';
import { COMMAND_NAMES, HELP, helpHint, MAIN_HELP, OPTIONS, type CommandName } from './usage';
import { UsageError } from './usage-error';

// Only the argument parser and the help texts load up front, so `--help`, `--version` and
// usage errors answer at once. Each command loads what it needs (rxjs, zod, undici, the mock
// server) with a dynamic import when it runs; the CLI bundle keeps those modules unevaluated
// until then.

const out = (line: string) => void process.stdout.write(`${line}\n`);

// A reader that goes away (`rxchat chat … | head`) is not a crash: the running command hears
// of it (and stops its request); later writes are dropped.
const outputClosedHandlers = new Set<() => void>();
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.stdout.destroy();
  for (const handler of outputClosedHandlers) handler();
  outputClosedHandlers.clear();
});
function onOutputClosed(handler: () => void): () => void {
  outputClosedHandlers.add(handler);
  return () => outputClosedHandlers.delete(handler);
}

/**
 * Ctrl-C: the first one goes to the running command (which closes its connection and exits
 * 130); any further one exits at once, so nothing can leave a hung process.
 */
function onInterrupt(handler: () => void): () => void {
  let count = 0;
  const listener = () => {
    if (++count === 1) handler();
    else process.exit(130);
  };
  process.on('SIGINT', listener);
  return () => {
    // Stay armed for a second Ctrl-C while the command winds down.
    if (count === 0) process.off('SIGINT', listener);
  };
}

const isCommand = (word: string): word is CommandName =>
  (COMMAND_NAMES as readonly string[]).includes(word);

/**
 * `rxchat COMMAND [options]`: exit code 0 when done, 1 when the command failed, 2 for a bad
 * command line (one line saying what is wrong, and where to read more, on stderr).
 */
async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  let command: CommandName | undefined;
  try {
    if (first === undefined) throw new UsageError('give a command: chat, serve or inspect');
    if (first === '-h' || first === '--help' || first === 'help') {
      // `rxchat help chat` is `rxchat chat --help`.
      const topic = first === 'help' ? rest[0] : undefined;
      if (topic !== undefined && !isCommand(topic)) {
        throw new UsageError(`unknown command: ${topic}`);
      }
      out(topic === undefined ? MAIN_HELP : HELP[topic]);
      return 0;
    }
    if (first === '-V' || first === '--version') {
      out(version);
      return 0;
    }
    if (!isCommand(first)) {
      throw new UsageError(
        first.startsWith('-') ? `unknown option ${first}` : `unknown command: ${first}`,
      );
    }
    command = first;
    // The command line's shape is checked here, its values by the command.
    const args = parseArgs(rest, OPTIONS[command]);
    if (args.flags.has('help')) {
      out(HELP[command]);
      return 0;
    }
    if (args.flags.has('version')) {
      out(version);
      return 0;
    }
    return await run(command, rest);
  } catch (error) {
    if (error instanceof UsageError) {
      const where = command ? `rxchat ${command}` : 'rxchat';
      process.stderr.write(`${where}: ${error.message}\n${helpHint(command)}\n`);
      return 2;
    }
    throw error;
  }
}

async function run(command: CommandName, argv: string[]): Promise<number> {
  switch (command) {
    case 'chat':
      return chat(argv);
    case 'serve': {
      const { runServe } = await import('./serve');
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      const start: Parameters<typeof runServe>[1] = async (options) =>
        (await import('../mock-server')).startMockServer(options);
      return runServe(argv, start, out, stopped);
    }
    case 'inspect': {
      const { runInspect } = await import('./inspect');
      return runInspect(argv, out);
    }
  }
}

async function chat(argv: string[]): Promise<number> {
  const [{ parseChatCommand }, { readStdin, stdinKind }, { isFancy }] = await Promise.all([
    import('./chat-command'),
    import('./stdin'),
    import('./terminal'),
  ]);
  const error = (text: string) => void process.stderr.write(text);
  // The whole command line is checked (and stdin read) before anything loads the client.
  const command = await parseChatCommand(argv, {
    env: process.env,
    stdin: stdinKind(),
    readStdin: (waiting) => readStdin(waiting, (line) => error(`${line}\n`)),
  });
  const { runChat } = await import('./chat');
  return runChat(command, {
    terminal: {
      fancy: isFancy(process.stderr, process.env),
      outputIsTTY: process.stdout.isTTY === true,
      errorIsTTY: process.stderr.isTTY === true,
      write: (text) => {
        if (!process.stdout.destroyed) process.stdout.write(text);
      },
      error,
      size: () =>
        isFancy(process.stdout, process.env) && !process.stdout.destroyed
          ? { columns: process.stdout.columns, rows: process.stdout.rows }
          : undefined,
    },
    env: process.env,
    onInterrupt,
    onOutputClosed,
    startMockServer: async () =>
      (await import('../mock-server')).startMockServer({ pace: 'realistic' }),
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    process.exitCode = 1;
    const { errorLine } = await import('./status-lines');
    process.stderr.write(`${errorLine(error)}\n`);
  },
);
