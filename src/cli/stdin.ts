import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { StdinKind } from './chat-command';

/**
 * What standard input is. A pipe, a socket (what Node's `spawn` gives a child) or a redirected
 * file is piped; a terminal is a terminal; anything else (`/dev/null` and other devices, a
 * closed descriptor) has nothing to read, and is not read.
 */
export function stdinKind(fd = 0): StdinKind {
  if (isatty(fd)) return 'tty';
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket() || stat.isFile() ? 'piped' : 'none';
  } catch {
    return 'none';
  }
}

/** After this long with nothing from standard input, `readStdin` says what it waits for. */
export const STDIN_WAITING_NOTICE_MS = 2000;

/**
 * Reads all of standard input as UTF-8 (one streaming decoder, so a character split between two
 * reads stays whole). If `waiting` is given and nothing has arrived after
 * {@link STDIN_WAITING_NOTICE_MS}, it is passed to `say` once.
 */
export function readStdin(waiting?: string, say?: (line: string) => void): Promise<string> {
  const stdin = process.stdin;
  return new Promise<string>((resolve, reject) => {
    const decoder = new TextDecoder();
    let text = '';
    const timer =
      waiting && say ? setTimeout(() => say(waiting), STDIN_WAITING_NOTICE_MS) : undefined;
    const done = () => {
      clearTimeout(timer);
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
    };
    const onData = (piece: Buffer | string) => {
      clearTimeout(timer);
      text += typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
    };
    const onEnd = () => {
      done();
      resolve(text + decoder.decode());
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('error', onError);
  });
}
