import { Subscription, type Observable } from 'rxjs';
import type { MockServer } from '../mock-server';
import { createChatClient, type ChatStreamEvent } from '../node';
import { CHAT_USAGE, parseChatCommand, type ChatFormat, type ChatInput } from './chat-command';
import { ChatPrinter } from './chat-printer';
import { chatViews } from './chat-views';
import type { Terminal } from './terminal';

/** Where `rxchat chat` reads and writes, so tests can run it in-process too. */
export interface ChatIo extends ChatInput {
  terminal: Terminal;
  /** Registers the Ctrl-C handler; returns a function that removes it. */
  onInterrupt(handler: () => void): () => void;
  /** Registers what to do when stdout's reader goes away (EPIPE); returns the remover. */
  onOutputClosed(handler: () => void): () => void;
  /** Starts the built-in mock server when no endpoint is configured. */
  startMockServer(): Promise<MockServer>;
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
  const command = await parseChatCommand(argv, io);
  const server = command.baseURL || command.apiKey ? undefined : await io.startMockServer();
  if (server) {
    io.terminal.error(
      `rxchat: no endpoint configured (set OPENAI_BASE_URL and OPENAI_API_KEY); answering from the built-in mock server at ${server.url}\n`,
    );
  }
  try {
    const client = createChatClient({
      baseURL: server?.url ?? command.baseURL,
      apiKey: command.apiKey,
      includeUsage: command.includeUsage,
      retry: { maxRetries: command.retries },
      timeout: { headers: command.idle, idle: command.idle },
    });
    const model =
      command.request.model || io.env.RXCHAT_MODEL || (server ? 'mock-1' : 'gpt-4o-mini');
    const events = client.stream({ ...command.request, model }, { headers: command.headers });
    return await printChat(events, command.format, io);
  } finally {
    await server?.close();
  }
}

/**
 * Subscribes to a chat stream once and prints it in `format` ({@link ChatPrinter} does the
 * writing); resolves with the exit code. Ctrl-C, or stdout's reader going away, unsubscribes,
 * which aborts the request.
 */
export function printChat(
  events: Observable<ChatStreamEvent>,
  format: ChatFormat,
  io: Pick<ChatIo, 'terminal' | 'onInterrupt' | 'onOutputClosed'>,
): Promise<number> {
  return new Promise<number>((resolve) => {
    const subscription = new Subscription();
    const printer = new ChatPrinter(io.terminal, format, (exitCode) => {
      // Unsubscribing aborts the request: the server sees the connection close now.
      subscription.unsubscribe();
      removeInterrupt();
      removeOutputClosed();
      resolve(exitCode);
    });
    const removeInterrupt = io.onInterrupt(() => printer.interrupt());
    const removeOutputClosed = io.onOutputClosed(() => printer.outputClosed());
    subscription.add(
      events.pipe(chatViews(format)).subscribe({
        next: (view) => printer.show(view),
        error: (error: unknown) => printer.fail(error),
        complete: () => printer.succeed(),
      }),
    );
  });
}
