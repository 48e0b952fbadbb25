// Who ended a response, for `MockRequest.closed`: tests assert that the client hung up.
import type { ServerResponse } from 'node:http';

/**
 * How one response ends: by the server (it finished, or the server cut it on purpose as a fault,
 * or the whole server is closing) or by the client going away first.
 *
 * @example
 * ```ts
 * const closing = new ResponseClosing(res, () => serverClosing, () => lifetime.end());
 * closing.cut(); // a disconnect fault: `closed` resolves with { byClient: false }
 * ```
 */
export class ResponseClosing {
  /** Resolves once the response has closed, telling whether the client went away first. */
  readonly closed: Promise<{ byClient: boolean }>;
  // Whether the response ended, or the server cut it on purpose: a later 'close' is then not the
  // client going away.
  private endedByServer = false;

  /**
   * `serverClosing` tells whether the whole server is closing (that is the server's doing too);
   * `onClose` runs when the response has closed, before `closed` resolves.
   */
  constructor(
    private readonly res: ServerResponse,
    serverClosing: () => boolean,
    onClose: () => void,
  ) {
    this.closed = new Promise((resolve) => {
      res.once('finish', () => {
        this.endedByServer = true;
        resolve({ byClient: false });
      });
      res.once('close', () => {
        onClose();
        resolve({ byClient: !this.endedByServer && !serverClosing() });
      });
    });
  }

  /** Destroys the socket as a fault (so `closed` reports `byClient: false`). */
  cut(): void {
    this.endedByServer = true;
    this.res.socket?.destroy();
  }
}
