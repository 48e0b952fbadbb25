/** What the CLI knows about where it writes: colours and spinners only for a person. */
export interface Terminal {
  /** Whether stderr is an interactive terminal that may get colour, spinners and \r. */
  fancy: boolean;
  /** Whether stdout and stderr are terminals (model text is then stripped of control codes). */
  outputIsTTY: boolean;
  errorIsTTY: boolean;
  write(text: string): void;
  error(text: string): void;
  /**
   * stdout's size when it is a terminal that can redraw text in place (a TTY, `TERM` not
   * `dumb`, `NO_COLOR` unset); `undefined` otherwise, or when left out.
   */
  size?(): { columns: number; rows: number } | undefined;
}

/** ANSI dim, for reasoning text, when the terminal is fancy. */
export function dim(terminal: Terminal, text: string): string {
  return terminal.fancy ? `\x1b[2m${text}\x1b[22m` : text;
}

/**
 * Whether to decorate stderr: a TTY, `NO_COLOR` unset or empty (as the convention says), and
 * `TERM` not `dumb`.
 */
export function isFancy(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A spinner with elapsed time on stderr while waiting for the first token, on fancy terminals
 * only. `stop()` erases it; it is safe to call more than once.
 */
export function startSpinner(terminal: Terminal, label = 'waiting'): { stop(): void } {
  if (!terminal.fancy) return { stop: () => undefined };
  const started = Date.now();
  let frame = 0;
  const draw = () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    terminal.error(`\r${FRAMES[frame++ % FRAMES.length]} ${label} ${seconds}s`);
  };
  draw();
  const timer = setInterval(draw, 80);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      terminal.error('\r\x1b[2K');
    },
  };
}

/**
 * Text from a model, made safe for a terminal: control characters other than newline and tab
 * are dropped, so provider text cannot move the cursor, clear the screen or retitle the window.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}
