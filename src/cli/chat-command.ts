import { checkHeader } from '../client/check-options';
import { RxChatError } from '../errors';
import type { ChatMessage, ChatRequest } from '../node';
import { decimalFlag, integerFlag, last, parseArgs } from './args';
import { jsonSchemaFormat, readTools, toolChoiceOf } from './request-files';
import { CHAT_OPTIONS } from './usage';
import { UsageError } from './usage-error';

/** `--format`: the answer as it streams, the final completion, or one stream event per line. */
export type ChatFormat = 'text' | 'json' | 'ndjson';

const FORMATS: readonly string[] = ['text', 'json', 'ndjson'] satisfies ChatFormat[];

/** `--api`: Chat Completions (`POST /chat/completions`) or the Responses API (`POST /responses`). */
export type ChatApi = 'chat' | 'responses';

const APIS: readonly string[] = ['chat', 'responses'] satisfies ChatApi[];

/**
 * What standard input is: a terminal (read only for an explicit `-`), piped (a pipe, a socket
 * or a file: read, it may hold the prompt or the material), or nothing to read (`/dev/null` or
 * another device, a closed descriptor: never read, so nothing can hang on it).
 */
export type StdinKind = 'tty' | 'piped' | 'none';

/** Where `rxchat chat` finds what the command line leaves out: the environment and stdin. */
export interface ChatInput {
  env: NodeJS.ProcessEnv;
  stdin: StdinKind;
  /**
   * Reads all of standard input. When `waiting` is given and nothing has arrived after a
   * moment, it is said on stderr (a pipe nobody writes to or closes would otherwise hang
   * silently).
   */
  readStdin(waiting?: string): Promise<string>;
}

/** What `rxchat chat` was asked to do. An empty `request.model` means "the default". */
export interface ChatCommand {
  /**
   * The request as Chat Completions takes it. With `api: 'responses'` it is sent as its
   * Responses counterpart (`toResponsesRequest`): one command line, two wire formats.
   */
  request: ChatRequest;
  api: ChatApi;
  format: ChatFormat;
  /** The endpoint: `--base-url`, else `$OPENAI_BASE_URL`; none means the mock server. */
  baseURL: string | undefined;
  apiKey: string | undefined;
  /** The variable the key came from (for messages; never the key itself). */
  apiKeyVariable: 'RXCHAT_API_KEY' | 'OPENAI_API_KEY' | undefined;
  headers: Record<string, string>;
  includeUsage: boolean;
  /** The idle (and headers) timeout in ms; `Infinity` for none. */
  idle: number;
  retries: number;
  /**
   * `--json-schema`: the request asks for JSON (`request.response_format`), and with
   * `--format text` the answer is printed as that JSON object rather than as text.
   */
  jsonSchema: boolean;
}

/** Timers cannot wait longer than this (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Parses and checks all of `rxchat chat`'s command line (a mistake is a {@link UsageError}),
 * then reads standard input when it is to be read. Nothing is sent before this returns.
 */
export async function parseChatCommand(argv: string[], input: ChatInput): Promise<ChatCommand> {
  const args = parseArgs(argv, CHAT_OPTIONS);
  // Checked in this order, so the same mistake always gets the same message.
  const format = last(args, 'format') ?? 'text';
  if (!FORMATS.includes(format)) {
    throw new UsageError(`--format must be text, json or ndjson, not ${format}`);
  }
  const api = last(args, 'api') ?? 'chat';
  if (!APIS.includes(api)) throw new UsageError(`--api must be chat or responses, not ${api}`);
  const model = last(args, 'model');
  if (model !== undefined && model.trim() === '') throw new UsageError('--model needs a name');
  const headers = headersOf(args.flags.get('header') ?? []);
  const baseURL = baseURLOf(last(args, 'base-url'), input.env.OPENAI_BASE_URL);
  const request: ChatRequest = { model: model ?? '', messages: [] };
  const maxTokens = integerFlag(args, 'max-tokens', 1);
  if (maxTokens !== undefined) request.max_tokens = maxTokens;
  const maxCompletionTokens = integerFlag(args, 'max-completion-tokens', 1);
  if (maxCompletionTokens !== undefined) request.max_completion_tokens = maxCompletionTokens;
  const temperature = decimalFlag(args, 'temperature');
  if (temperature !== undefined) request.temperature = temperature;
  const timeout = integerFlag(args, 'timeout', 0, MAX_TIMER_MS);
  const retries = integerFlag(args, 'retries', 0, 100) ?? 2;
  const schemaFile = last(args, 'json-schema');
  const schemaName = last(args, 'schema-name');
  if (schemaName !== undefined && schemaFile === undefined) {
    throw new UsageError('--schema-name goes with --json-schema FILE');
  }
  if (schemaFile !== undefined) {
    request.response_format = await jsonSchemaFormat(schemaFile, schemaName);
  }
  const toolsFile = last(args, 'tools');
  const toolChoice = last(args, 'tool-choice');
  if (toolChoice !== undefined && toolsFile === undefined) {
    throw new UsageError('--tool-choice goes with --tools FILE');
  }
  if (toolsFile !== undefined) {
    request.tools = await readTools(toolsFile);
    if (toolChoice !== undefined) request.tool_choice = toolChoiceOf(toolChoice, request.tools);
  }

  const messages: ChatMessage[] = [];
  const system = last(args, 'system');
  if (system !== undefined) messages.push({ role: 'system', content: system });
  messages.push({ role: 'user', content: await promptOf(args.positional, input) });
  request.messages = messages;

  const apiKeyVariable = input.env.RXCHAT_API_KEY
    ? 'RXCHAT_API_KEY'
    : input.env.OPENAI_API_KEY
      ? 'OPENAI_API_KEY'
      : undefined;
  return {
    request,
    api: api as ChatApi,
    format: format as ChatFormat,
    baseURL,
    apiKey: apiKeyVariable && input.env[apiKeyVariable],
    apiKeyVariable,
    headers,
    includeUsage: !args.flags.has('no-usage'),
    idle: timeout === undefined ? 600_000 : timeout === 0 ? Infinity : timeout,
    retries,
    jsonSchema: schemaFile !== undefined,
  };
}

/**
 * The user message: the words of the command line, standard input, or both. With both, the
 * piped text comes first (the material), then a blank line, then the words (the instruction),
 * as one text message every provider takes. `-` asks for standard input even on a terminal;
 * otherwise a terminal, `/dev/null` or a closed stdin is never read.
 */
async function promptOf(positional: string[], input: ChatInput): Promise<string> {
  const words = positional.filter((word) => word !== '-');
  const instruction = words.join(' ').trim();
  const dash = words.length < positional.length;
  const readsStdin = dash || input.stdin === 'piped';
  if (!readsStdin) {
    if (instruction === '') {
      throw new UsageError(
        input.stdin === 'tty'
          ? 'give a prompt (or pipe one in, or use - to type it and end with Ctrl-D)'
          : 'give a prompt (or pipe one in)',
      );
    }
    return instruction;
  }
  const waiting =
    instruction !== '' && !dash
      ? 'rxchat: waiting for standard input to end (it is sent with the prompt; add </dev/null to send the prompt alone)'
      : undefined;
  const material = trimLines(await input.readStdin(waiting));
  if (material === '' && instruction === '') {
    throw new UsageError('give a prompt (or pipe one in): standard input was empty');
  }
  if (material === '') return instruction;
  if (instruction === '') return material;
  return `${material}\n\n${instruction}`;
}

/** Text without blank lines around it (and trailing spaces), its indentation kept. */
function trimLines(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, '').trimEnd();
}

/**
 * The endpoint, checked like the client checks it (an absolute http or https URL), so a bad
 * one is a command-line mistake. The value is not repeated: it may carry a key.
 */
function baseURLOf(flag: string | undefined, env: string | undefined): string | undefined {
  const [where, value] =
    flag !== undefined ? ['--base-url', flag] : ['OPENAI_BASE_URL', env || undefined];
  if (value === undefined) return undefined;
  let protocol = '';
  try {
    protocol = new URL(value).protocol;
  } catch {
    // not a URL at all
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new UsageError(
      `${where} must be an absolute http or https URL, such as https://api.openai.com/v1`,
    );
  }
  return value;
}

/**
 * `--header K:V` flags, checked as the client checks headers (a token for a name; no line
 * break or other control character in the value, which is never repeated: it may be a key).
 */
function headersOf(flags: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const header of flags) {
    const colon = header.indexOf(':');
    if (colon <= 0) {
      throw new UsageError(`--header wants NAME:VALUE with a valid header name`);
    }
    const name = header.slice(0, colon).trim();
    const value = header.slice(colon + 1).trim();
    try {
      checkHeader(name, value, '--header');
    } catch (error) {
      if (RxChatError.isInstance(error)) throw new UsageError(error.message);
      throw error;
    }
    headers[name] = value;
  }
  return headers;
}
