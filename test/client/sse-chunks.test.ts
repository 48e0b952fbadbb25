import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  from,
  lastValueFrom,
  materialize,
  Observable,
  take,
  toArray,
  type Notification,
} from 'rxjs';
import { sseChunks } from '../../src/client/sse-chunks';
import { decodeSse, parseChunks, RxChatError } from '../../src';
import { corpusDir, corpusFiles } from '../helpers/corpus';
import { cutAt } from '../helpers/pipeline';

// The client's fused body reader must behave exactly like the public pipeline it replaces,
// decodeSse() + parseChunks(): same events, same error, for every recorded stream and fixture,
// however the bytes are cut, with and without requireDone and a small maxEventBytes.

const fixtures = join(__dirname, '../fixtures/quirks');
const files = [
  ...readdirSync(fixtures)
    .filter((f) => f.endsWith('.sse'))
    .map((f) => join(fixtures, f)),
  ...corpusFiles.map((f) => join(corpusDir, f)),
];

/** Notifications with errors reduced to what matters (class, code, message, usage). */
async function outcome(source: ReturnType<typeof sseChunks>): Promise<unknown[]> {
  const notes = await lastValueFrom(source.pipe(materialize(), toArray()));
  return notes.map((note: Notification<unknown> & { error?: unknown }) => {
    if (note.kind !== 'E') return note;
    const error = note.error;
    return RxChatError.isInstance(error)
      ? { kind: 'E', code: error.code, message: error.message, usage: error.usage }
      : { kind: 'E', error };
  });
}

describe('sseChunks (the client body reader) and decodeSse() + parseChunks()', () => {
  it.each(files.map((file) => [file.split('/').pop()!, file]))(
    'agree on %s under random cuts and options',
    async (_name, file) => {
      const bytes = new Uint8Array(readFileSync(file));
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) }), {
            maxLength: 8,
          }),
          fc.boolean(),
          fc.constantFrom(4 * 1024 * 1024, 64),
          async (offsets, requireDone, maxEventBytes) => {
            const pieces = cutAt(bytes, offsets);
            const fused = await outcome(sseChunks(from(pieces), { maxEventBytes, requireDone }));
            const piped = await outcome(
              from(pieces).pipe(decodeSse({ maxEventBytes }), parseChunks({ requireDone })),
            );
            expect(fused).toEqual(piped);
          },
        ),
        { numRuns: 10 },
      );
    },
  );

  it('keeps a complete last event when the body errors, like the pipeline', async () => {
    const cut = new RxChatError('connection_error', 'cut');
    // A last event without its blank line, then the connection breaks.
    const failing = () =>
      new Observable<string>((subscriber) => {
        subscriber.next(
          'data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}',
        );
        subscriber.error(cut);
      });
    const fused = await outcome(sseChunks(failing(), { maxEventBytes: 1024, requireDone: false }));
    const piped = await outcome(failing().pipe(decodeSse(), parseChunks()));
    expect(fused).toEqual(piped);
    expect(fused.map((note) => (note as { kind: string }).kind)).toEqual(['N', 'E']);
  });
});

describe('sseChunks when the consumer leaves mid-piece', () => {
  it('parses nothing more of the piece', () => {
    const chunk = (n: number) =>
      `data: {"choices":[{"index":0,"delta":{"content":"${n}"},"finish_reason":null}]}\n\n`;
    const piece = [1, 2, 3, 4, 5].map(chunk).join('');
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const seen: unknown[] = [];
      sseChunks(from([piece]), { maxEventBytes: 1024, requireDone: false })
        .pipe(take(1))
        .subscribe((event) => seen.push(event));
      expect(seen).toHaveLength(1);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });
});
