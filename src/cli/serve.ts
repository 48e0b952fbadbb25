import type { DialectName, MockServer, MockServerOptions } from '../mock-server';
import { DIALECT_NAMES } from '../mock-server/dialect-names';
import { last, parseArgs, type ParsedArgs } from './args';
import { RELAY_PREFIX, startServeRelay, type ServeRelay } from './serve-relay';
import { SERVE_OPTIONS } from './usage';
import { UsageError } from './usage-error';

/** What `rxchat serve` flags ask for: the mock server, and maybe a relay beside it. */
export interface ServeSettings {
  /** The mock server's options. */
  mock: MockServerOptions;
  /** `--relay` (or `--relay-redis URL`): a relay under `/relay`, its runs in Redis when given. */
  relay?: { redisUrl?: string };
}

/** Parses `rxchat serve` flags. */
export function serveSettings(argv: string[]): ServeSettings {
  const args = parseArgs(argv, SERVE_OPTIONS);
  const mock = serveOptions(args);
  const redisUrl = last(args, 'relay-redis');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new UsageError(`--relay-redis must be a redis:// or rediss:// URL, not ${redisUrl}`);
  }
  if (redisUrl !== undefined) return { mock, relay: { redisUrl } };
  return args.flags.has('relay') ? { mock, relay: {} } : { mock };
}

/** The mock server options of parsed `rxchat serve` flags. */
function serveOptions(args: ParsedArgs): MockServerOptions {
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

/**
 * `rxchat serve`: starts the server (with `--relay`, a relay on its origin), prints its URL (and
 * the relay's), and runs until `stopped` resolves.
 */
export async function runServe(
  argv: string[],
  start: (options: MockServerOptions) => Promise<MockServer>,
  out: (line: string) => void,
  stopped: Promise<void>,
): Promise<number> {
  const settings = serveSettings(argv);
  let relay: ServeRelay | undefined;
  if (settings.relay) {
    relay = await startServeRelay({ ...settings.relay, apiKey: settings.mock.apiKey });
    settings.mock.routes = relay.routes;
  }
  let server: MockServer;
  try {
    server = await start(settings.mock);
  } catch (error) {
    await relay?.close();
    // The server checks its options (fault specs, …): a bad one is a command-line mistake.
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
  out(server.url);
  if (relay) {
    relay.attach(server.url);
    out(`relay: ${new URL(server.url).origin}${RELAY_PREFIX}`);
  }
  await stopped;
  // The relay first: its runs end as truncated while their upstream can still be closed.
  await relay?.close();
  await server.close();
  return 0;
}
