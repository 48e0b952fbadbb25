#!/usr/bin/env node
import { startMockServer } from '../mock-server';
import { runChat, type ChatIo } from './chat';
import { CHAT_USAGE } from './chat-command';
import { readBytes } from './read-stream';
import { runInspect } from './inspect';
import { runServe, SERVE_USAGE } from './serve';
import { errorLine } from './status-lines';
import { isFancy, type Terminal } from './terminal';
import { UsageError } from './usage-error';
import { lastValueFrom, reduce } from 'rxjs';

const USAGE = `Usage:
  ${CHAT_USAGE}
  ${SERVE_USAGE}
  rxchat inspect [--jsonl] FILE...   run recorded SSE transcripts through the pipeline (- reads stdin)
  rxchat --help                      show this help`;

const terminal: Terminal = {
  fancy: isFancy(process.stderr, process.env),
  outputIsTTY: process.stdout.isTTY === true,
  errorIsTTY: process.stderr.isTTY === true,
  write: (text) => {
    if (!process.stdout.destroyed) process.stdout.write(text);
  },
  error: (text) => void process.stderr.write(text),
};

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

const chatIo: ChatIo = {
  terminal,
  env: process.env,
  stdinIsTTY: process.stdin.isTTY === true,
  readStdin: () => {
    // One streaming decoder, so a character split between two reads stays whole.
    const decoder = new TextDecoder();
    return lastValueFrom(
      readBytes('-').pipe(
        reduce((text, bytes) => text + decoder.decode(bytes, { stream: true }), ''),
      ),
    ).then((text) => text + decoder.decode());
  },
  onInterrupt,
  onOutputClosed,
  startMockServer: () => startMockServer({ pace: 'realistic' }),
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    switch (command) {
      case 'chat':
        return await runChat(rest, chatIo);
      case 'serve': {
        const stopped = new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        return await runServe(rest, startMockServer, out, stopped);
      }
      case 'inspect':
        return await runInspect(rest, out);
      case undefined:
        process.stderr.write(`${USAGE}\n`);
        return 2;
      case '-h':
      case '--help':
      case 'help':
        out(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`rxchat: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${errorLine(error)}\n`);
    process.exitCode = 1;
  },
);
