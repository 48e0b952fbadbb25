import type { ChatMessage, ChatRequest } from '../node';
import { last, numberFlag, parseArgs } from './args';
import { UsageError } from './usage-error';

export const CHAT_USAGE = `rxchat chat [options] [PROMPT...]   stream a chat completion (- or no PROMPT reads stdin)
    --model NAME         model (default $RXCHAT_MODEL, or gpt-4o-mini; mock-1 on the mock server)
    --base-url URL       API root (default $OPENAI_BASE_URL)
    --system TEXT        a system message first
    --header K:V         an extra request header (repeatable), e.g. --header FC-Tag:cli
    --format FMT         text (default: stream the answer), json (the final completion),
                         ndjson (one stream event per line)
    --max-tokens N       max_tokens
    --temperature T      temperature
    --timeout MS         idle timeout between data events (default 600000)
    --retries N          retries before any output (default 2)
    --no-usage           do not send stream_options.include_usage
  The API key comes from $RXCHAT_API_KEY or $OPENAI_API_KEY. With neither a base URL nor a key,
  the built-in mock server answers (and rxchat says so on stderr).`;

/** `--format`: the answer as it streams, the final completion, or one stream event per line. */
export type ChatFormat = 'text' | 'json' | 'ndjson';

const FORMATS: readonly string[] = ['text', 'json', 'ndjson'] satisfies ChatFormat[];

/** Where `rxchat chat` finds what the command line leaves out: the environment and stdin. */
export interface ChatInput {
  env: NodeJS.ProcessEnv;
  /** Reads the prompt from standard input (for `-` or no prompt when stdin is piped). */
  readStdin(): Promise<string>;
  stdinIsTTY: boolean;
}

/** What `rxchat chat` was asked to do. An empty `request.model` means "the default". */
export interface ChatCommand {
  request: ChatRequest;
  format: ChatFormat;
  baseURL: string | undefined;
  apiKey: string | undefined;
  headers: Record<string, string>;
  includeUsage: boolean;
  /** The idle (and headers) timeout in ms; `Infinity` for none. */
  idle: number;
  retries: number;
}

/** Parses `rxchat chat`'s arguments; a mistake is a {@link UsageError}. */
export async function parseChatCommand(argv: string[], input: ChatInput): Promise<ChatCommand> {
  const args = parseArgs(
    argv,
    [
      'model',
      'base-url',
      'system',
      'header',
      'format',
      'max-tokens',
      'temperature',
      'timeout',
      'retries',
    ],
    ['no-usage'],
  );
  const format = last(args, 'format') ?? 'text';
  if (!FORMATS.includes(format)) {
    throw new UsageError(`--format must be text, json or ndjson, not ${format}`);
  }
  // Checked in this order, so the same mistake always gets the same message.
  const headers = headersOf(args.flags.get('header') ?? []);
  const messages: ChatMessage[] = [];
  const system = last(args, 'system');
  if (system !== undefined) messages.push({ role: 'system', content: system });
  messages.push({ role: 'user', content: await promptOf(args.positional, input) });
  const request: ChatRequest = { model: last(args, 'model') ?? '', messages };
  const maxTokens = numberFlag(args, 'max-tokens');
  if (maxTokens !== undefined) request.max_tokens = maxTokens;
  const temperature = numberFlag(args, 'temperature');
  if (temperature !== undefined) request.temperature = temperature;

  return {
    request,
    format: format as ChatFormat,
    baseURL: last(args, 'base-url') ?? (input.env.OPENAI_BASE_URL || undefined),
    apiKey: input.env.RXCHAT_API_KEY || input.env.OPENAI_API_KEY || undefined,
    headers,
    includeUsage: !args.flags.has('no-usage'),
    idle: timeoutFlag(numberFlag(args, 'timeout')),
    retries: numberFlag(args, 'retries') ?? 2,
  };
}

/** The words of the command line, or standard input for `-` (or nothing, when it is piped). */
async function promptOf(words: string[], input: ChatInput): Promise<string> {
  let prompt = words.join(' ');
  if (prompt === '-' || (prompt === '' && !input.stdinIsTTY))
    prompt = (await input.readStdin()).trim();
  if (prompt === '') throw new UsageError('chat: give a prompt (or pipe one in)');
  return prompt;
}

/** `--header K:V` flags; the name is checked here, the value by the client (line breaks). */
function headersOf(flags: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const header of flags) {
    const colon = header.indexOf(':');
    const name = header.slice(0, Math.max(colon, 0)).trim();
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UsageError(`--header wants NAME:VALUE with a valid header name, got ${header}`);
    }
    headers[name] = header.slice(colon + 1).trim();
  }
  return headers;
}

/** Timers cannot wait longer than this (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `--timeout MS`: default 10 minutes; 0 means none; above what a timer can wait is a mistake. */
function timeoutFlag(ms: number | undefined): number {
  if (ms === undefined) return 600_000;
  if (ms === 0) return Infinity;
  if (ms > MAX_TIMER_MS) throw new UsageError(`--timeout must be at most ${MAX_TIMER_MS} ms`);
  return ms;
}
