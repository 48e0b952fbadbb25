#!/usr/bin/env node
import { runInspect, UsageError } from './inspect';

const USAGE = `Usage:
  rxchat inspect [--jsonl] FILE...   run recorded SSE transcripts through the pipeline (- reads stdin)
  rxchat --help                      show this help`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    switch (command) {
      case 'inspect':
        return await runInspect(rest, out);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        out(USAGE);
        return command === undefined ? 2 : 0;
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
    process.stderr.write(`rxchat: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
