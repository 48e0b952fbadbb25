import { Subscription, type Observable } from 'rxjs';
import type { MockServer } from '../mock-server';
import { createChatClient, type ChatStreamEvent } from '../node';
import type { ChatCommand } from './chat-command';
import { ChatPrinter } from './chat-printer';
import { chatViews, type ChatMode } from './chat-views';
import { toResponsesRequest } from './responses-request';
import type { Terminal } from './terminal';

/** Where `rxchat chat` writes and what it hooks into, so tests can run it in-process too. */
export interface ChatIo {
  terminal: Terminal;
  env: NodeJS.ProcessEnv;
  /** Registers the Ctrl-C handler; returns a function that removes it. */
  onInterrupt(handler: () => void): () => void;
  /** Registers what to do when stdout's reader goes away (EPIPE); returns the remover. */
  onOutputClosed(handler: () => void): () => void;
  /** Starts the built-in mock server when no endpoint is configured. */
  startMockServer(): Promise<MockServer>;
}

/**
 * `rxchat chat`, once its command line is parsed and checked ({@link parseChatCommand}): streams
 * the answer to stdout as it arrives (reasoning dimmed on stderr, tool calls printed when
 * complete), then the usage line on stderr. Ctrl-C closes the connection at once and exits
 * 130; a second Ctrl-C exits without waiting for anything. With no endpoint configured, the
 * built-in mock server answers, and the API key (if any) is sent nowhere. `--api responses`
 * sends the same request to the Responses API and prints its answer the same way.
 */
export async function runChat(command: ChatCommand, io: ChatIo): Promise<number> {
  const server = command.baseURL ? undefined : await io.startMockServer();
  if (server) io.terminal.error(`${mockServerNotice(command, server.url)}\n`);
  try {
    const client = createChatClient({
      baseURL: server?.url ?? command.baseURL,
      apiKey: server ? undefined : command.apiKey,
      includeUsage: command.includeUsage,
      retry: { maxRetries: command.retries },
      timeout: { headers: command.idle, idle: command.idle },
    });
    const model =
      command.request.model || io.env.RXCHAT_MODEL || (server ? 'mock-1' : 'gpt-4o-mini');
    const request = { ...command.request, model };
    const options = { headers: command.headers };
    // Both APIs give the same events to the same operators: only the request differs.
    const events =
      command.api === 'responses'
        ? client.responses(toResponsesRequest(request), options)
        : client.stream(request, options);
    // `--json-schema` prints the answer's object; `--format json`/`ndjson` print as ever.
    const mode = command.jsonSchema && command.format === 'text' ? 'object' : command.format;
    return await printChat(events, mode, io);
  } finally {
    await server?.close();
  }
}

/** Why the mock server answers, and how to reach a real provider instead. */
function mockServerNotice(command: ChatCommand, url: string): string {
  const answering = `answering from the built-in mock server at ${url}`;
  if (command.apiKeyVariable) {
    return `rxchat: ${command.apiKeyVariable} is set but no endpoint is, so the key is not sent; ${answering}. To ask OpenAI, set OPENAI_BASE_URL=https://api.openai.com/v1 (or pass --base-url)`;
  }
  return `rxchat: no endpoint configured; ${answering}. To ask a provider, set OPENAI_BASE_URL (e.g. https://api.openai.com/v1) and OPENAI_API_KEY`;
}

/**
 * Subscribes to a chat stream once and prints it in `mode` (a `--format`, or the object of
 * `--json-schema`; {@link ChatPrinter} does the writing); resolves with the exit code. Ctrl-C,
 * or stdout's reader going away, unsubscribes, which aborts the request.
 */
export function printChat(
  events: Observable<ChatStreamEvent>,
  mode: ChatMode,
  io: Pick<ChatIo, 'terminal' | 'onInterrupt' | 'onOutputClosed'>,
): Promise<number> {
  return new Promise<number>((resolve) => {
    const subscription = new Subscription();
    const printer = new ChatPrinter(io.terminal, mode, (exitCode) => {
      // Unsubscribing aborts the request: the server sees the connection close now.
      subscription.unsubscribe();
      removeInterrupt();
      removeOutputClosed();
      resolve(exitCode);
    });
    const removeInterrupt = io.onInterrupt(() => printer.interrupt());
    const removeOutputClosed = io.onOutputClosed(() => printer.outputClosed());
    subscription.add(
      events.pipe(chatViews(mode)).subscribe({
        next: (view) => printer.show(view),
        error: (error: unknown) => printer.fail(error),
        complete: () => printer.succeed(),
      }),
    );
  });
}
