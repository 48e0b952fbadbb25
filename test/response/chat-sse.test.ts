import { readFileSync } from 'node:fs';
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
import { sseChunks } from '../../src/response/chat-sse';
import { decodeSse, parseChunks, RxChatError } from '../../src';
import { everyStream } from '../helpers/corpus';
import { chunk, testScheduler } from '../helpers/marbles';
import { cutAt } from '../helpers/pipeline';

// The client's fused body reader must behave exactly like the public pipeline it replaces,
// decodeSse() + parseChunks(): same events, same error, for every recorded stream and fixture,
// however the bytes are cut, with and without requireDone and a small maxEventBytes.

const files = everyStream().map((stream) => stream.path);

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

/** One notification of {@link outcome} in a word: chunk content, `usage`, `done`, or the error. */
function summary(note: unknown): string {
  const n = note as {
    kind: string;
    value?: { type: string; chunk?: { choices: { delta: { content?: string } }[] } };
    code?: string;
    message?: string;
  };
  if (n.kind === 'C') return 'done';
  if (n.kind === 'E') return `${n.code}: ${n.message}`;
  return n.value!.type === 'chunk'
    ? (n.value!.chunk!.choices[0]!.delta.content ?? '')
    : n.value!.type;
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

describe('sseChunks on wire-format edge cases', () => {
  const hi = JSON.stringify(chunk({ content: 'Hi' }));
  const stop = JSON.stringify(chunk({}, { finish_reason: 'stop' }));
  const encoder = new TextEncoder();

  it('completes on a CR-framed [DONE] at once, while the connection stays open', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // The body never completes: the server keeps the connection open after [DONE].
      const body = cold('-a--b--', {
        a: `data: ${hi}\r\r`,
        b: `data: ${stop}\r\rdata: [DONE]\r\r`,
      });
      expectObservable(sseChunks(body, { maxEventBytes: 1024, requireDone: false })).toBe(
        '-a--(bu|)',
        {
          a: { type: 'chunk', chunk: JSON.parse(hi) as unknown },
          b: { type: 'chunk', chunk: JSON.parse(stop) as unknown },
          u: { type: 'usage', usage: null },
        },
      );
    });
  });

  // Each case: the wire text, then what the stream gives (chunk contents, `usage`, `done`, or
  // the error's code and message).
  it.each([
    ['CR framing', `data: ${hi}\r\rdata: ${stop}\r\rdata: [DONE]\r\r`, ['Hi', '', 'usage', 'done']],
    [
      'empty data and ping events',
      `data:\n\nevent: ping\n\ndata: ${hi}\n\nevent: ping\ndata:\n\ndata: ${stop}\n\n`,
      ['Hi', '', 'usage', 'done'],
    ],
    [
      'two BOMs (the second makes the first line an unknown field)',
      `\ufeff\ufeffdata: ${hi}\n\ndata: ${stop}\n\ndata: [DONE]\n\n`,
      ['', 'usage', 'done'],
    ],
    [
      'an error frame with a JSON string',
      `data: ${hi}\n\nevent: error\ndata: "Rate limit exceeded"\n\n`,
      ['Hi', 'stream_error: The provider reported an error: Rate limit exceeded'],
    ],
    [
      'a comment over the bound',
      `data: ${hi}\n\n: ${'k'.repeat(300)}\n\ndata: [DONE]\n\n`,
      ['Hi', 'event_too_large: A line of a server-sent event exceeded maxEventBytes (256)'],
    ],
    [
      'data over the bound in short lines',
      `data: ${hi}\n\n${'data: 0123456789\n'.repeat(30)}\n`,
      ['Hi', 'event_too_large: The data of a server-sent event exceeded maxEventBytes (256)'],
    ],
  ])('reads %s as the pipeline does, under random cuts', async (_name, text, expected) => {
    const bytes = encoder.encode(text);
    const run = async (pieces: Uint8Array[]) => ({
      fused: await outcome(sseChunks(from(pieces), { maxEventBytes: 256, requireDone: false })),
      piped: await outcome(from(pieces).pipe(decodeSse({ maxEventBytes: 256 }), parseChunks())),
    });
    const whole = await run([bytes]);
    expect(whole.fused.map(summary)).toEqual(expected);
    expect(whole.fused).toEqual(whole.piped);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }),
        async (offsets) => expect(await run(cutAt(bytes, offsets))).toEqual(whole),
      ),
      { numRuns: 30 },
    );
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
