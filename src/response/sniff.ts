import { Observable, Subscription, type Subscriber } from 'rxjs';

/** How many characters of a body's start may be looked at to tell what it is. */
const SNIFF_LIMIT = 1024;

/** What a body is, judged from its start. */
export type BodyKind = 'sse' | 'json' | 'other';

const SSE_FIELDS = ['data:', 'event:', 'id:', 'retry:'];

/**
 * What the start of a body says it is: `sse` for an SSE line (`data:`, `event:`, `id:`,
 * `retry:` or a `:` comment), `json` for a `{`, `other` for anything else; `undefined` while it
 * cannot tell yet (only a BOM and whitespace so far, or part of a field name) and the body goes
 * on. A BOM and blank lines or other whitespace before it are allowed.
 */
function sniffBodyKind(start: string, ended: boolean): BodyKind | undefined {
  let i = start.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < start.length && /\s/.test(start[i]!)) i++;
  if (i === start.length) return ended ? 'other' : undefined;
  const first = start[i];
  if (first === ':') return 'sse';
  if (first === '{') return 'json';
  const head = start.slice(i, i + 6);
  let maybe = false;
  for (const field of SSE_FIELDS) {
    if (head.startsWith(field)) return 'sse';
    if (field.startsWith(head)) maybe = true;
  }
  return maybe && !ended ? undefined : 'other';
}

type Piece = Uint8Array | string;

/**
 * Reads a single-use body once and lets `choose` pick its reader by its start: pieces are held
 * until {@link sniffBodyKind} can tell (at most {@link SNIFF_LIMIT} characters, then `other`),
 * and the chosen reader gets the whole body from that one subscription, the held pieces first
 * and the rest as they arrive. When the reader stops (`[DONE]`), the body is released. A body
 * that fails before its start said anything fails with its own error.
 */
export function readSniffed<T>(
  body: Observable<Piece>,
  choose: (kind: BodyKind, body: Observable<Piece>) => Observable<T>,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const source = new Subscription();
    const held: Piece[] = [];
    const decoder = new TextDecoder();
    let start = '';
    let chosen = false;
    let ended: { error: unknown } | 'complete' | undefined;
    let reader: Subscriber<Piece> | undefined;

    const whole = new Observable<Piece>((tail) => {
      // Added first: a reader that stops while the held pieces replay ([DONE]) releases the body.
      tail.add(() => {
        reader = undefined;
        source.unsubscribe();
      });
      for (const piece of held.splice(0)) {
        if (tail.closed) return;
        tail.next(piece);
      }
      if (ended === 'complete') tail.complete();
      else if (ended) tail.error(ended.error);
      else reader = tail;
    });
    // Only the first SNIFF_LIMIT characters count, so the verdict never depends on the cuts.
    const judge = (ended: boolean) =>
      start.length < SNIFF_LIMIT
        ? sniffBodyKind(start, ended)
        : sniffBodyKind(start.slice(0, SNIFF_LIMIT), true);
    const decide = (kind: BodyKind | undefined) => {
      if (kind === undefined) return;
      chosen = true;
      start = '';
      // The chosen reader subscribes to `whole` at once, and to it only.
      choose(kind, whole).subscribe(subscriber);
    };

    source.add(
      body.subscribe({
        next(piece) {
          if (reader) return reader.next(piece);
          // Empty pieces are not held: only what may be looked at counts toward the bound.
          if (source.closed || piece.length === 0) return;
          held.push(piece);
          if (chosen) return;
          start += typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
          decide(judge(false));
        },
        error(error: unknown) {
          if (reader) return reader.error(error);
          ended = { error };
          if (chosen) return;
          // Nothing said what the body was: the break is the story (a retryable one, often).
          if (start.trim() === '') subscriber.error(error);
          else decide(judge(true));
        },
        complete() {
          if (reader) return reader.complete();
          ended = 'complete';
          if (!chosen) decide(judge(true));
        },
      }),
    );
    return source;
  });
}
