import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir, corpusFiles, corpusPresent, readGolden } from '../helpers/corpus';
import { goldenForm } from '../helpers/golden';
import { runPieces } from '../helpers/pipeline';
import { readEvents, writeEvents, type Rewrite, type WireEvent } from '../helpers/rewrite';

/*
 * The recorded streams keep their results when rewritten in ways the SSE specification allows,
 * and fail the right way when broken the ways servers break them. Expectations come from the
 * golden files (an independent reading) and from reading the events' JSON directly, never from
 * running the pipeline on the unbroken stream.
 */
const present = corpusPresent;
const files = corpusFiles;

const rewrites: [string, Rewrite][] = [
  ['CRLF line endings', { eol: '\r\n' }],
  ['CR line endings', { eol: '\r' }],
  ['a BOM', { bom: true }],
  ['comments everywhere', { comments: true }],
  ['data split over several data: lines', { splitData: true }],
  ['event: message and id: fields', { eventMessage: true, ids: true }],
  ['no space after the colons', { noSpace: true }],
  [
    'everything at once, with CRLF',
    {
      eol: '\r\n',
      bom: true,
      comments: true,
      splitData: true,
      eventMessage: true,
      ids: true,
      noSpace: true,
    },
  ],
];

const isEvent = (e: WireEvent | { comment: string }): e is WireEvent => 'data' in e;
const parse = (data: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};
/** Choice 0's answer text in one event's data: string content, or the text parts of an array. */
const contentOf = (data: string): string =>
  ((parse(data)?.choices as { index?: number; delta?: { content?: unknown } }[] | undefined) ?? [])
    .filter((c) => (c.index ?? 0) === 0)
    .map((c) => {
      const content = c.delta?.content;
      if (typeof content === 'string') return content;
      if (!Array.isArray(content)) return '';
      return content
        .filter(
          (p: { type?: unknown; text?: unknown }) =>
            p.type === 'text' && typeof p.text === 'string',
        )
        .map((p: { text: string }) => p.text)
        .join('');
    })
    .join('');
const hasFinish = (data: string) =>
  ((parse(data)?.choices as { finish_reason?: unknown }[] | undefined) ?? []).some(
    (c) => c.finish_reason != null,
  );

if (!present) {
  describe('recorded streams, rewritten and broken', () => {
    it.todo(`runs when ${corpusDir} is present`);
  });
} else
  describe('recorded streams, rewritten and broken', () => {
    describe.each(files)('%s', (file) => {
      const text = readFileSync(join(corpusDir, file), 'utf8');
      const golden = readGolden(file);
      const events = readEvents(text);

      it.each(rewrites)('keeps its result with %s', async (_name, options) => {
        const outcome = await runPieces([writeEvents(events, options)]);
        expect(outcome.error?.code ?? null).toBe(golden.error?.code ?? null);
        expect(goldenForm(outcome.completion)).toEqual(golden.completion);
      });

      // Only streams that succeed can be broken meaningfully; failing ones already are.
      if (!golden.ok) return;
      const dataEvents = events.filter(isEvent);
      const doneAt = dataEvents.findIndex((e) => e.data === '[DONE]');
      const lastData = doneAt === -1 ? dataEvents.length : doneAt;

      it('fails as truncated, or succeeds only after a finish_reason, when cut anywhere', async () => {
        const plain = writeEvents(dataEvents);
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 0, max: plain.length - 1 }), async (cut) => {
            const outcome = await runPieces([plain.slice(0, cut)]);
            // Which events had their whole data line before the cut (so they are readable)?
            let offset = 0;
            let finished = false;
            let done = false;
            for (const e of dataEvents) {
              const line = `data: ${e.data}`;
              if (offset + line.length > cut) break;
              if (e.data === '[DONE]') done = true;
              else if (hasFinish(e.data)) finished = true;
              offset += line.length + 2;
              if (done) break;
            }
            if (done || finished) {
              expect(outcome.error).toBeNull();
            } else {
              expect(outcome.error?.code).toBe('truncated');
            }
          }),
          { numRuns: 15 },
        );
      });

      it('fails with stream_error, keeping the text so far, when an error object is injected', async () => {
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 0, max: lastData }), async (at) => {
            const injected = {
              data: JSON.stringify({
                error: { message: 'Injected overload', type: 'server_error', code: 529 },
              }),
            };
            const broken = [...dataEvents.slice(0, at), injected, ...dataEvents.slice(at)];
            const outcome = await runPieces([writeEvents(broken)]);
            expect(outcome.error?.code).toBe('stream_error');
            expect(outcome.error?.provider).toEqual({
              message: 'Injected overload',
              type: 'server_error',
              code: 529,
              param: null,
            });
            // The partial completion holds exactly the text of the events before the error.
            const text = dataEvents
              .slice(0, at)
              .map((e) => contentOf(e.data))
              .join('');
            const partial =
              outcome.completion?.choices.find((c) => c.index === 0)?.message.content ?? '';
            expect(partial).toBe(text);
          }),
          { numRuns: 10 },
        );
      });

      it('fails with parse_error when one event carries malformed JSON', async () => {
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 0, max: lastData - 1 }), async (at) => {
            const target = dataEvents[at]!;
            const broken = dataEvents.map((e, i) =>
              i === at
                ? { ...e, data: target.data.slice(0, Math.max(1, target.data.length >> 1)) }
                : e,
            );
            const outcome = await runPieces([writeEvents(broken)]);
            expect(outcome.error?.code).toBe('parse_error');
            expect(outcome.error?.message).toContain(`Chunk ${at + 1}`);
          }),
          { numRuns: 8 },
        );
      });
    });
  });
