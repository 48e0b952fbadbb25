import { Observable } from 'rxjs';

/** Text read from a body, with whether the bound cut it short. */
export interface BoundedText {
  text: string;
  /** True when the body was longer than the bound (or stopped early) and the rest was not read. */
  cut: boolean;
}

/** Options of {@link readText}. */
export interface ReadTextOptions {
  /** When it emits, stop reading and emit what arrived so far (marked `cut`). */
  until?: Observable<unknown>;
  /** Emit what arrived so far instead of failing when the body breaks off. */
  keepOnError?: boolean;
}

/**
 * Reads a whole body as UTF-8 text, up to `maxChars` characters. A longer body is cut there and
 * unsubscribed from (the transport closes the connection), so a huge error page costs nothing.
 */
export function readText(
  body: Observable<Uint8Array | string>,
  maxChars: number,
  options: ReadTextOptions = {},
): Observable<BoundedText> {
  return new Observable<BoundedText>((subscriber) => {
    const decoder = new TextDecoder();
    const parts: string[] = [];
    let length = 0;
    const done = (cut: boolean) => {
      if (subscriber.closed) return;
      if (!cut) {
        const tail = decoder.decode();
        if (tail) parts.push(tail);
      }
      const text = parts.join('');
      subscriber.next({ text: text.length > maxChars ? text.slice(0, maxChars) : text, cut });
      subscriber.complete();
    };
    const stop = options.until?.subscribe(() => done(true));
    const subscription = body.subscribe({
      next(piece) {
        const text = typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
        parts.push(text);
        length += text.length;
        if (length > maxChars) done(true);
      },
      error: (error: unknown) => (options.keepOnError ? done(true) : subscriber.error(error)),
      complete: () => done(false),
    });
    if (stop) subscription.add(stop);
    return subscription;
  });
}
