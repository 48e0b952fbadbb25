import { RxChatError, type ToolCall, type Usage } from '../node';
import type { ChatMode, ChatView } from './chat-views';
import { LiveFrame, REDRAW_MS } from './live-frame';
import { cutLine, errorLine, usageLine } from './status-lines';
import { dim, printable, startSpinner, type Terminal } from './terminal';
import { toolCallText } from './tool-call-text';

/** Exit codes of `rxchat chat`. */
export const EXIT = { ok: 0, failed: 1, interrupted: 130 } as const;

/**
 * The engine of {@link printChat}: writes one run of `rxchat chat` to the terminal and ends it
 * with its exit code. The answer goes to stdout; reasoning (dimmed), messages and the usage line
 * go to stderr. Both may be the same terminal, so it keeps track of where the last line ended,
 * and reasoning, answer and messages never run into each other. After the run has ended it
 * writes nothing more.
 */
export class ChatPrinter {
  /** Whether the last thing written, to either stream, ended a line. */
  private atLineStart = true;
  /** Whether the last thing written was reasoning whose line is still open on stderr. */
  private reasoningOpen = false;
  /** Whether anything went to stdout. */
  private wroteStdout = false;
  private usage: Usage | null = null;
  /** The finish reason of each choice so far (the last non-empty one a choice got). */
  private readonly finishReasons = new Map<number, string>();
  private ended = false;
  private readonly spinner: { stop(): void };
  /** `--json-schema` on a terminal that can redraw: the object's frame; `null` when it cannot. */
  private frame: LiveFrame | null | undefined;
  /** The object's latest snapshot not yet drawn, and when the last one was. */
  private pendingObject: unknown;
  private redrawTimer: ReturnType<typeof setTimeout> | undefined;
  private lastDraw = 0;

  constructor(
    private readonly terminal: Terminal,
    mode: ChatMode,
    /** Called once, when the run ends: the request is to stop and the process to exit. */
    private readonly onEnd: (exitCode: number) => void,
  ) {
    // json and ndjson are read by programs: nothing to watch while waiting.
    this.spinner =
      mode === 'text' || mode === 'object' ? startSpinner(terminal) : { stop: () => undefined };
  }

  /** Shows one view of the stream. */
  show(view: ChatView): void {
    switch (view.type) {
      case 'reasoning':
        return this.writeReasoning(view.text);
      case 'answer':
        return this.writeOut(view.text);
      case 'tool-call':
        return this.writeToolCall(view.call);
      case 'object':
        return view.final ? this.writeObject(view.value) : this.showPartialObject(view.value);
      case 'completion':
        return this.writeOut(`${JSON.stringify(view.completion, null, 2)}\n`);
      case 'failed-completion':
        return this.writeOut(`${JSON.stringify(view.failed, null, 2)}\n`);
      case 'event':
        return this.writeOut(`${JSON.stringify(view.event)}\n`);
      case 'finish':
        this.finishReasons.set(view.index, view.reason);
        return;
      case 'usage':
        this.usage = view.usage;
    }
  }

  /**
   * The stream completed: ends the answer's line, says if the answer was cut short, prints the
   * usage line and exits 0.
   */
  succeed(): void {
    this.endAnswerLine();
    this.sayIfCut();
    this.say(usageLine(this.usage));
    this.end(EXIT.ok);
  }

  /**
   * The stream failed, after its views showed what had arrived: prints the error line, whether
   * the answer had been cut short, and the usage the server reported before failing (it was
   * billed), then exits 1.
   */
  fail(error: unknown): void {
    this.endAnswerLine();
    this.say(errorLine(error));
    this.sayIfCut();
    const billed = RxChatError.isInstance(error) ? error.usage : null;
    if (billed) this.say(usageLine(billed));
    this.end(EXIT.failed);
  }

  /** Ctrl-C: says so and exits 130 (a second one is `main`'s to handle: it exits at once). */
  interrupt(): void {
    if (this.ended) return;
    this.say('rxchat: interrupted');
    this.end(EXIT.interrupted);
  }

  /** The reader of stdout went away (`| head`): end quietly. */
  outputClosed(): void {
    this.end(EXIT.ok);
  }

  private end(exitCode: number): void {
    if (this.ended) return;
    this.ended = true;
    this.spinner.stop();
    clearTimeout(this.redrawTimer);
    this.onEnd(exitCode);
  }

  /** Text for stdout; model text is stripped of control codes on a terminal. */
  private writeOut(text: string): void {
    if (text === '') return;
    this.spinner.stop();
    this.frame?.forget();
    if (this.reasoningOpen) {
      this.terminal.error('\n');
      this.reasoningOpen = false;
    }
    this.terminal.write(this.terminal.outputIsTTY ? printable(text) : text);
    this.wroteStdout = true;
    this.atLineStart = text.endsWith('\n');
  }

  private writeReasoning(text: string): void {
    this.spinner.stop();
    this.frame?.forget();
    const { terminal } = this;
    terminal.error(dim(terminal, terminal.errorIsTTY ? printable(text) : text));
    this.reasoningOpen = !text.endsWith('\n');
    this.atLineStart = !this.reasoningOpen;
  }

  /** `[tool call] get_weather({"city":"Paris"}) id=call_1`, on a line of its own. */
  private writeToolCall(call: ToolCall): void {
    const { name, input } = toolCallText(call);
    if (!this.atLineStart) this.writeOut('\n');
    this.writeOut(`[tool call] ${name}(${input}) id=${call.id}\n`);
  }

  /** One line per reason a choice's answer was cut short (a length limit, a content filter). */
  private sayIfCut(): void {
    for (const reason of new Set(this.finishReasons.values())) {
      const line = cutLine(reason);
      if (line) this.say(line);
    }
  }

  /** The answer's last line ends with a newline, so the shell prompt starts on its own line. */
  private endAnswerLine(): void {
    if (this.wroteStdout && !this.atLineStart) this.writeOut('\n');
  }

  /**
   * `--json-schema`: the whole object, pretty-printed, once; on a terminal, in place of the
   * growing one drawn so far.
   */
  private writeObject(value: unknown): void {
    clearTimeout(this.redrawTimer);
    this.redrawTimer = undefined;
    if (this.frame) {
      this.frame.clear();
      this.atLineStart = true;
    }
    if (!this.atLineStart) this.writeOut('\n');
    this.writeOut(`${JSON.stringify(value, null, 2)}\n`);
  }

  /**
   * `--json-schema`, while the answer streams: on a terminal that can redraw, the object so far
   * in place, at most once per {@link REDRAW_MS}; elsewhere nothing (the object comes once, whole).
   */
  private showPartialObject(value: unknown): void {
    if (this.frame === undefined) {
      const size = this.terminal.outputIsTTY ? this.terminal.size?.() : undefined;
      const usable = size && size.columns >= 10 && size.rows >= 3;
      this.frame = usable ? new LiveFrame(this.terminal, size) : null;
    }
    if (!this.frame) return;
    this.pendingObject = value;
    if (this.redrawTimer !== undefined) return;
    const wait = this.lastDraw + REDRAW_MS - Date.now();
    if (wait <= 0) return this.drawObject();
    this.redrawTimer = setTimeout(() => {
      this.redrawTimer = undefined;
      this.drawObject();
    }, wait);
  }

  private drawObject(): void {
    const frame = this.frame;
    if (this.ended || !frame) return;
    const text = printable(JSON.stringify(this.pendingObject, null, 2));
    if (!frame.fits(text)) {
      // Taller than the screen: it could not be redrawn. The whole object comes at the end.
      frame.clear();
      this.frame = null;
      this.atLineStart = true;
      return;
    }
    this.spinner.stop();
    if (this.reasoningOpen) {
      this.terminal.error('\n');
      this.reasoningOpen = false;
      this.atLineStart = true;
    }
    if (!frame.drawn && !this.atLineStart) this.terminal.write('\n');
    frame.draw(text);
    this.lastDraw = Date.now();
    this.wroteStdout = true;
    this.atLineStart = false;
  }

  /** A message on stderr, on a line of its own. */
  private say(line: string): void {
    this.spinner.stop();
    this.frame?.forget();
    this.terminal.error(`${this.atLineStart ? '' : '\n'}${line}\n`);
    this.atLineStart = true;
    this.reasoningOpen = false;
  }
}
