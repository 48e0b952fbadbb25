import { Subscription } from 'rxjs';
import { contentOf, reasoningOf } from '../chunks/delta-text';
import { CompletionAccumulator } from '../chunks/accumulator';
import type { ChatCompletion, Usage } from '../chunks/types';
import type { ChatMessage, ChatRequest } from '../client/request';
import { RxChatError } from '../errors';
import { SurrogateHold } from '../operators/content-deltas';
import type { MockServer } from '../mock-server';
import { createChatClient } from '../node';
import { last, numberFlag, parseArgs } from './args';
import { UsageError } from './inspect';
import { dim, startSpinner, type Terminal } from './terminal';

/** Where `rxchat chat` reads and writes, so tests can run it in-process too. */
export interface ChatIo {
  terminal: Terminal;
  env: NodeJS.ProcessEnv;
  /** Reads the prompt from standard input (for `-` or no prompt when stdin is piped). */
  readStdin(): Promise<string>;
  stdinIsTTY: boolean;
  /** Registers the Ctrl-C handler; returns a function that removes it. */
  onInterrupt(handler: () => void): () => void;
  /** Registers what to do when stdout's reader goes away (EPIPE); returns the remover. */
  onOutputClosed(handler: () => void): () => void;
  /** Starts the built-in mock server when no endpoint is configured. */
  startMockServer(): Promise<MockServer>;
}

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

type Format = 'text' | 'json' | 'ndjson';

interface ChatCommand {
  request: ChatRequest;
  format: Format;
  baseURL: string | undefined;
  apiKey: string | undefined;
  headers: Record<string, string>;
  includeUsage: boolean;
  idle: number;
  retries: number;
}

async function parseChat(argv: string[], io: ChatIo): Promise<ChatCommand> {
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
  const format = (last(args, 'format') ?? 'text') as Format;
  if (!['text', 'json', 'ndjson'].includes(format)) {
    throw new UsageError(`--format must be text, json or ndjson, not ${format}`);
  }
  const headers: Record<string, string> = {};
  for (const header of args.flags.get('header') ?? []) {
    const colon = header.indexOf(':');
    const name = header.slice(0, Math.max(colon, 0)).trim();
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UsageError(`--header wants NAME:VALUE with a valid header name, got ${header}`);
    }
    headers[name] = header.slice(colon + 1).trim();
  }
  let prompt = args.positional.join(' ');
  if (prompt === '-' || (prompt === '' && !io.stdinIsTTY)) prompt = (await io.readStdin()).trim();
  if (prompt === '') throw new UsageError('chat: give a prompt (or pipe one in)');

  const messages: ChatMessage[] = [];
  const system = last(args, 'system');
  if (system !== undefined) messages.push({ role: 'system', content: system });
  messages.push({ role: 'user', content: prompt });
  const request: ChatRequest = { model: last(args, 'model') ?? '', messages };
  const maxTokens = numberFlag(args, 'max-tokens');
  if (maxTokens !== undefined) request.max_tokens = maxTokens;
  const temperature = numberFlag(args, 'temperature');
  if (temperature !== undefined) request.temperature = temperature;

  return {
    request,
    format,
    baseURL: last(args, 'base-url') ?? (io.env.OPENAI_BASE_URL || undefined),
    apiKey: io.env.RXCHAT_API_KEY || io.env.OPENAI_API_KEY || undefined,
    headers,
    includeUsage: !args.flags.has('no-usage'),
    idle: timeoutFlag(numberFlag(args, 'timeout')),
    retries: numberFlag(args, 'retries') ?? 2,
  };
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

/** `[usage] prompt=22 completion=41 total=63`, the line the seeds' clients print last. */
export function usageLine(usage: Usage | null): string {
  if (!usage) return '[usage] not reported by the server';
  return `[usage] prompt=${usage.prompt_tokens ?? '?'} completion=${usage.completion_tokens ?? '?'} total=${usage.total_tokens ?? '?'}`;
}

/** One line for a failure: code, status, the provider's words and the attempts; never a key. */
export function errorLine(error: unknown): string {
  if (RxChatError.isInstance(error)) return `rxchat: ${error.code}: ${error.message}`;
  return `rxchat: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * `rxchat chat`: streams the answer to stdout as it arrives (reasoning dimmed on stderr, tool
 * calls printed when complete), then the usage line on stderr. Ctrl-C closes the connection at
 * once and exits 130; a second Ctrl-C exits without waiting for anything.
 */
export async function runChat(argv: string[], io: ChatIo): Promise<number> {
  if (argv[0] === '-h' || argv[0] === '--help') {
    io.terminal.write(`${CHAT_USAGE}\n`);
    return 0;
  }
  const command = await parseChat(argv, io);
  const { terminal } = io;
  let server: MockServer | undefined;
  let baseURL = command.baseURL;
  if (!baseURL && !command.apiKey) {
    server = await io.startMockServer();
    baseURL = server.url;
    terminal.error(
      `rxchat: no endpoint configured (set OPENAI_BASE_URL and OPENAI_API_KEY); answering from the built-in mock server at ${baseURL}\n`,
    );
  }
  if (!command.request.model) {
    command.request.model = io.env.RXCHAT_MODEL || (server ? 'mock-1' : 'gpt-4o-mini');
  }

  const client = createChatClient({
    baseURL,
    apiKey: command.apiKey,
    includeUsage: command.includeUsage,
    retry: { maxRetries: command.retries },
    timeout: { headers: command.idle, idle: command.idle },
  });

  try {
    return await new Promise<number>((resolve) => {
      const spinner =
        command.format === 'text' ? startSpinner(terminal) : { stop: () => undefined };
      const accumulator = new CompletionAccumulator();
      let interrupted = 0;
      let wroteText = false;
      // Whether the last thing written (to either stream, which may share one terminal) ended a
      // line, so that reasoning, answer and messages never run into each other.
      let atLineStart = true;
      let reasoningOpen = false;
      const subscription = new Subscription();

      const finish = (code: number) => {
        spinner.stop();
        removeInterrupt();
        removeOutputClosed();
        resolve(code);
      };
      /** A message on stderr, on a line of its own. */
      const say = (line: string) => {
        spinner.stop();
        terminal.error(`${atLineStart ? '' : '\n'}${line}\n`);
        atLineStart = true;
        reasoningOpen = false;
      };
      const removeInterrupt = io.onInterrupt(() => {
        interrupted++;
        // Unsubscribing aborts the request: the server sees the connection close now.
        subscription.unsubscribe();
        if (interrupted === 1) say('rxchat: interrupted');
        finish(130);
      });
      // `rxchat chat … | head`: the reader is gone, so stop the request and end quietly.
      const removeOutputClosed = io.onOutputClosed(() => {
        subscription.unsubscribe();
        finish(0);
      });

      const writeOut = (text: string) => {
        if (text === '') return;
        spinner.stop();
        if (reasoningOpen) {
          terminal.error('\n');
          reasoningOpen = false;
        }
        terminal.write(terminal.outputIsTTY ? printable(text) : text);
        wroteText = true;
        atLineStart = text.endsWith('\n');
      };
      const writeReasoning = (text: string) => {
        spinner.stop();
        terminal.error(dim(terminal, terminal.errorIsTTY ? printable(text) : text));
        reasoningOpen = !text.endsWith('\n');
        atLineStart = !reasoningOpen;
      };
      // An emoji cut between two chunks is written whole, not as two U+FFFD (see contentDeltas).
      const answerHold = new SurrogateHold();
      const reasoningHold = new SurrogateHold();
      const releaseHeld = () => {
        const reasoning = reasoningHold.release();
        if (reasoning) writeReasoning(reasoning);
        writeOut(answerHold.release());
      };

      subscription.add(
        client.stream(command.request, { headers: command.headers }).subscribe({
          next(event) {
            if (event.type === 'chunk') accumulator.add(event.chunk);
            else if (event.type === 'usage') accumulator.setUsage(event.usage);
            if (command.format === 'ndjson') return writeOut(`${JSON.stringify(event)}\n`);
            if (command.format !== 'text' || event.type !== 'chunk') return;
            for (const choice of event.chunk.choices ?? []) {
              if ((choice.index ?? 0) !== 0 || !choice.delta) continue;
              const reasoning = reasoningOf(choice.delta);
              const whole = reasoning ? reasoningHold.take(reasoning) : '';
              if (whole) writeReasoning(whole);
              const content = contentOf(choice.delta);
              if (content) writeOut(answerHold.take(content));
            }
          },
          error(error: unknown) {
            // What arrived is not lost: json prints the partial completion, ndjson ends with
            // the error as an event, text has already shown it.
            if (command.format === 'json') {
              writeOut(`${JSON.stringify(accumulator.snapshot(), null, 2)}\n`);
            } else if (command.format === 'ndjson') {
              const json = RxChatError.isInstance(error)
                ? error.toJSON()
                : { message: String(error) };
              writeOut(`${JSON.stringify({ type: 'error', error: json })}\n`);
            } else {
              releaseHeld();
              if (wroteText && !atLineStart) writeOut('\n');
            }
            say(errorLine(error));
            const usage = RxChatError.isInstance(error) ? error.usage : null;
            if (usage) say(usageLine(usage));
            finish(1);
          },
          complete() {
            const completion = accumulator.snapshot();
            if (command.format === 'json') {
              writeOut(`${JSON.stringify(completion, null, 2)}\n`);
            } else if (command.format === 'text') {
              releaseHeld();
              writeToolCalls(completion, writeOut, atLineStart);
              if (wroteText && !atLineStart) writeOut('\n');
            }
            say(usageLine(completion.usage));
            finish(0);
          },
        }),
      );
    });
  } finally {
    await server?.close();
  }
}

/**
 * Text from a model, made safe for a terminal: control characters other than newline and tab
 * are dropped, so provider text cannot move the cursor, clear the screen or retitle the window.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

function writeToolCalls(
  completion: ChatCompletion,
  write: (text: string) => void,
  atLineStart: boolean,
): void {
  const calls = completion.choices[0]?.message.tool_calls ?? [];
  if (calls.length === 0) return;
  if (!atLineStart) write('\n');
  for (const call of calls) {
    const [name, input] =
      call.type === 'function'
        ? [call.function.name, call.function.arguments]
        : [call.custom.name, call.custom.input];
    write(`[tool call] ${name}(${input}) id=${call.id}\n`);
  }
}
