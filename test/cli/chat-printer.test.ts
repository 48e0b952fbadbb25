import { Subject, throwError } from 'rxjs';
import { printChat } from '../../src/cli/chat';
import { ChatPrinter } from '../../src/cli/chat-printer';
import type { Terminal } from '../../src/cli/terminal';
import { RxChatError, type ChatStreamEvent } from '../../src/node';
import { makeChunk, makeUsage } from '../../src/testing';

// The printer in-process, on a recorded terminal: which stream each piece goes to, and that
// reasoning, answer and messages never run into each other when both streams are one terminal.

function recordedTerminal(tty = false) {
  const writes: string[] = [];
  const terminal: Terminal = {
    fancy: false,
    outputIsTTY: tty,
    errorIsTTY: tty,
    write: (text) => void writes.push(`out:${text}`),
    error: (text) => void writes.push(`err:${text}`),
  };
  return { terminal, writes };
}

function printer(format: 'text' | 'json' | 'ndjson' = 'text', tty = false) {
  const { terminal, writes } = recordedTerminal(tty);
  const exits: number[] = [];
  return { printer: new ChatPrinter(terminal, format, (code) => exits.push(code)), writes, exits };
}

describe('ChatPrinter', () => {
  it('ends open reasoning before the answer, and the answer before the usage line', () => {
    const { printer: p, writes, exits } = printer();
    p.show({ type: 'reasoning', text: 'hmm' });
    p.show({ type: 'answer', text: 'Hi' });
    p.show({ type: 'usage', usage: makeUsage(1, 2) });
    p.succeed();
    expect(writes).toEqual([
      'err:hmm',
      'err:\n',
      'out:Hi',
      'out:\n',
      'err:[usage] prompt=1 completion=2 total=3\n',
    ]);
    expect(exits).toEqual([0]);
  });

  it('prints each tool call on a line of its own', () => {
    const { printer: p, writes } = printer();
    p.show({ type: 'answer', text: 'Let me look' });
    for (const id of ['c1', 'c2']) {
      p.show({
        type: 'tool-call',
        call: { id, type: 'function', function: { name: 'f', arguments: '{}' } },
      });
    }
    p.show({
      type: 'tool-call',
      call: { id: 'c3', type: 'custom', custom: { name: 'g', input: 'x' } },
    });
    expect(writes).toEqual([
      'out:Let me look',
      'out:\n',
      'out:[tool call] f({}) id=c1\n',
      'out:[tool call] f({}) id=c2\n',
      'out:[tool call] g(x) id=c3\n',
    ]);
  });

  it('on failure, prints the error line and the usage billed before it, and exits 1', () => {
    const { printer: p, writes, exits } = printer();
    p.show({ type: 'answer', text: 'part' });
    p.fail(new RxChatError('stream_error', 'boom', { usage: makeUsage(5, 5) }));
    expect(writes).toEqual([
      'out:part',
      'out:\n',
      'err:rxchat: stream_error: boom\n',
      'err:[usage] prompt=5 completion=5 total=10\n',
    ]);
    expect(exits).toEqual([1]);
  });

  it('says when the answer was cut short, before the usage line, and still exits 0', () => {
    const { printer: p, writes, exits } = printer();
    p.show({ type: 'answer', text: 'Once upon a' });
    p.show({ type: 'finish', index: 0, reason: 'length' });
    p.show({ type: 'finish', index: 1, reason: 'content_filter' });
    p.show({ type: 'finish', index: 2, reason: 'length' });
    p.show({ type: 'usage', usage: makeUsage(1, 2) });
    p.succeed();
    expect(writes).toEqual([
      'out:Once upon a',
      'out:\n',
      'err:rxchat: the answer was cut: max tokens reached (finish_reason length)\n',
      "err:rxchat: the answer was cut: the provider's content filter stopped it (finish_reason content_filter)\n",
      'err:[usage] prompt=1 completion=2 total=3\n',
    ]);
    expect(exits).toEqual([0]);
  });

  it("goes by each choice's last finish reason, and says nothing for a finished answer", () => {
    const { printer: p, writes } = printer('json');
    // A proxy that repeats finish reasons: the last one of the choice is its own.
    p.show({ type: 'finish', index: 0, reason: 'length' });
    p.show({ type: 'finish', index: 0, reason: 'stop' });
    p.show({ type: 'finish', index: 1, reason: 'tool_calls' });
    p.fail(new RxChatError('stream_error', 'boom'));
    expect(writes).toEqual(['err:rxchat: stream_error: boom\n']);
  });

  it('writes a failed completion as one JSON document on stdout', () => {
    const { printer: p, writes } = printer('json');
    const failed = {
      ok: false as const,
      completion: null,
      error: { code: 'http_error', message: 'HTTP 401' },
    };
    p.show({ type: 'failed-completion', failed });
    p.fail(new RxChatError('http_error', 'HTTP 401', { status: 401 }));
    expect(JSON.parse(writes[0]!.slice('out:'.length))).toEqual(failed);
    expect(writes[1]).toBe('err:rxchat: http_error: HTTP 401\n');
  });

  it('says it was interrupted once, exits 130, and writes nothing after the end', () => {
    const { printer: p, writes, exits } = printer();
    p.show({ type: 'answer', text: 'Once upon' });
    p.interrupt();
    p.interrupt();
    p.outputClosed();
    expect(writes).toEqual(['out:Once upon', 'err:\nrxchat: interrupted\n']);
    expect(exits).toEqual([130]);
  });

  it('writes json and ndjson as lines, and model text without control codes on a terminal', () => {
    const json = printer('ndjson', true);
    json.printer.show({ type: 'event', event: { type: 'usage', usage: null } });
    json.printer.succeed();
    expect(json.writes).toEqual([
      'out:{"type":"usage","usage":null}\n',
      'err:[usage] not reported by the server\n',
    ]);
    const text = printer('text', true);
    text.printer.show({ type: 'answer', text: 'a\u001b[2Jb' });
    expect(text.writes).toEqual(['out:a[2Jb']);
  });
});

describe('printChat', () => {
  const io = (terminal: Terminal) => {
    const handlers: { interrupt?: () => void; closed?: () => void } = {};
    return {
      handlers,
      io: {
        terminal,
        onInterrupt: (handler: () => void) => {
          handlers.interrupt = handler;
          return () => delete handlers.interrupt;
        },
        onOutputClosed: (handler: () => void) => {
          handlers.closed = handler;
          return () => delete handlers.closed;
        },
      },
    };
  };

  it('Ctrl-C unsubscribes (aborting the request) and resolves 130', async () => {
    const { terminal, writes } = recordedTerminal();
    const { io: chatIo, handlers } = io(terminal);
    const events = new Subject<ChatStreamEvent>();
    const exit = printChat(events, 'text', chatIo);
    events.next({ type: 'chunk', chunk: makeChunk({ content: 'Once' }) });
    expect(events.observed).toBe(true);
    handlers.interrupt!();
    expect(await exit).toBe(130);
    expect(events.observed).toBe(false);
    expect(handlers).toEqual({});
    expect(writes).toEqual(['out:Once', 'err:\nrxchat: interrupted\n']);
  });

  it('a stream that fails during subscribe resolves 1, leaving no handler behind', async () => {
    const { terminal, writes } = recordedTerminal();
    const { io: chatIo, handlers } = io(terminal);
    const failure = new RxChatError('validation_error', 'bad header');
    expect(
      await printChat(
        throwError(() => failure),
        'json',
        chatIo,
      ),
    ).toBe(1);
    expect(handlers).toEqual({});
    expect(writes.at(-1)).toBe('err:rxchat: validation_error: bad header\n');
  });

  it('stdout closing unsubscribes and resolves 0, quietly', async () => {
    const { terminal, writes } = recordedTerminal();
    const { io: chatIo, handlers } = io(terminal);
    const events = new Subject<ChatStreamEvent>();
    const exit = printChat(events, 'text', chatIo);
    handlers.closed!();
    expect(await exit).toBe(0);
    expect(events.observed).toBe(false);
    expect(writes).toEqual([]);
  });
});
