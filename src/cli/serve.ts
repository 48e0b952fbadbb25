import type { DialectName, MockServer, MockServerOptions } from '../mock-server';
import { DIALECT_NAMES } from '../mock-server/dialect-names';
import { last, parseArgs } from './args';
import { SERVE_OPTIONS } from './usage';
import { UsageError } from './usage-error';

/** Parses `rxchat serve` flags into mock server options. */
export function serveOptions(argv: string[]): MockServerOptions {
  const args = parseArgs(argv, SERVE_OPTIONS);
  if (args.positional.length > 0) throw new UsageError(`unexpected argument ${args.positional[0]}`);
  const pace = last(args, 'pace') ?? 'realistic';
  if (pace !== 'realistic' && pace !== 'none') {
    throw new UsageError(`--pace must be realistic or none, not ${pace}`);
  }
  // A standalone server runs for long: keep only the latest requests in memory.
  const options: MockServerOptions = { pace, maxRecorded: 100 };
  const port = last(args, 'port');
  if (port !== undefined) {
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
      throw new UsageError(`--port must be a whole number 0..65535, not ${port}`);
    }
    options.port = Number(port);
  }
  const host = last(args, 'host');
  if (host !== undefined) options.host = host;
  const dialect = last(args, 'dialect');
  if (dialect !== undefined) {
    if (!(DIALECT_NAMES as readonly string[]).includes(dialect)) {
      throw new UsageError(`--dialect must be one of ${DIALECT_NAMES.join(', ')}`);
    }
    options.dialect = dialect as DialectName;
  }
  const faults = args.flags.get('fault');
  if (faults) options.fault = faults;
  const apiKey = last(args, 'api-key');
  if (apiKey !== undefined) options.apiKey = apiKey;
  return options;
}

/** `rxchat serve`: starts the server, prints its URL, and runs until `stopped` resolves. */
export async function runServe(
  argv: string[],
  start: (options: MockServerOptions) => Promise<MockServer>,
  out: (line: string) => void,
  stopped: Promise<void>,
): Promise<number> {
  const options = serveOptions(argv);
  let server: MockServer;
  try {
    server = await start(options);
  } catch (error) {
    // The server checks its options (fault specs, …): a bad one is a command-line mistake.
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
  out(server.url);
  await stopped;
  await server.close();
  return 0;
}
