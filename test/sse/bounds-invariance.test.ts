import fc from 'fast-check';
import { from, lastValueFrom, materialize, toArray } from 'rxjs';
import { decodeSse, RxChatError } from '../../src';

/*
 * Property: whether a stream fails with event_too_large, and every event decoded before that,
 * depend only on the text, never on where the network cut it. The rule: a line (comment or
 * field, without its line break) longer than maxEventBytes fails, and so does an event whose data
 * grows longer than maxEventBytes; failure comes at that line, after everything before it.
 */
const MAX = 24;
const encoder = new TextEncoder();

/** One line of a generated stream, with lengths around the bound and every line ending. */
const line = fc
  .tuple(
    fc.constantFrom('data: ', 'data:', ': ', 'event: ', 'id: ', 'retry: ', 'x: ', ''),
    fc.oneof(
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: MAX - 8, max: MAX + 2 }),
      fc.integer({ min: 0, max: 2 * MAX }),
    ),
    fc.constantFrom('\n', '\r', '\r\n'),
    fc.constantFrom('a', '7', 'é', '👋'),
  )
  .map(([field, size, eol, letter]) => {
    const value = letter.repeat(Math.ceil(size / letter.length)); // whole characters
    return field + (field === 'retry: ' ? '12'.slice(0, size) : value) + eol;
  });

const stream = fc
  .tuple(fc.boolean(), fc.array(fc.oneof(line, fc.constantFrom('\n', '\r\n')), { maxLength: 14 }))
  .map(([bom, lines]) => (bom ? '\ufeff' : '') + lines.join(''));

type Outcome = { kind: string; value?: unknown; error?: unknown }[];

async function decode(pieces: (string | Uint8Array)[]): Promise<Outcome> {
  const notes = await lastValueFrom(
    from(pieces).pipe(decodeSse({ maxEventBytes: MAX }), materialize(), toArray()),
  );
  return notes.map((n) =>
    n.kind === 'E'
      ? { kind: 'E', error: RxChatError.isInstance(n.error) ? n.error.code : n.error }
      : n.kind === 'N'
        ? { kind: 'N', value: n.value }
        : { kind: 'C' },
  );
}

/** Cuts text (or its UTF-8 bytes) at the given offsets. */
function cut<T extends string | Uint8Array>(whole: T, offsets: number[]): T[] {
  const points = [...new Set(offsets.filter((o) => o > 0 && o < whole.length))].sort(
    (a, b) => a - b,
  );
  let start = 0;
  const pieces = points.map((point) => {
    const piece = whole.slice(start, point) as T;
    start = point;
    return piece;
  });
  pieces.push(whole.slice(start) as T);
  return pieces;
}

/** The rule written out plainly: does this text fail, and after which events? */
function oracleFails(text: string): boolean {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  let dataSize = -1; // -1: no data line in this event yet
  for (const l of body.split(/\r\n|\r|\n/)) {
    if (l.length > MAX) return true;
    if (l === '') dataSize = -1;
    else if (l === 'data' || l.startsWith('data:')) {
      const value = l.slice(l.startsWith('data: ') ? 6 : 5);
      dataSize = dataSize < 0 ? value.length : dataSize + 1 + value.length;
      if (dataSize > MAX) return true;
    }
  }
  return false;
}

describe('event_too_large does not depend on cut points', () => {
  it('gives the same events and verdict for any cut of text or bytes, as the rule says', async () => {
    const offsets = fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(stream, offsets, fc.boolean(), async (text, cuts, asBytes) => {
        const whole = await decode([text]);
        expect(whole.at(-1)!.kind === 'E').toBe(oracleFails(text));
        const pieces = asBytes ? cut(encoder.encode(text), cuts) : cut(text, cuts);
        expect(await decode(pieces)).toEqual(whole);
      }),
      { numRuns: 400 },
    );
  });
});
