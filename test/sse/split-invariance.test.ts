import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir, corpusFiles } from '../helpers/corpus';
import { cutAt, fingerprint, trickyOffsets } from '../helpers/pipeline';

/*
 * Property: however the network cuts a stream into pieces (inside multi-byte UTF-8 characters,
 * between CR and LF, one byte at a time), decodeSse + parseChunks give exactly the events of the
 * whole buffer. Runs over every recorded stream (when the corpus is present), every synthetic
 * fixture, and a CRLF and a CR rewrite of each.
 */
const fixtureDir = join(__dirname, '../fixtures/quirks');
const sources = [
  ...corpusFiles.map((f) => join(corpusDir, f)),
  ...readdirSync(fixtureDir)
    .filter((f) => f.endsWith('.sse'))
    .map((f) => join(fixtureDir, f)),
];

const encoder = new TextEncoder();
const withEndings = (text: string, eol: string) => text.replace(/\r\n|\r|\n/g, eol);

describe('split invariance', () => {
  it('has streams to check', () => expect(sources.length).toBeGreaterThan(10));

  describe.each(sources.map((s) => [s.split('/').slice(-2).join('/'), s]))('%s', (_name, path) => {
    const original = readFileSync(path, 'utf8');
    it.each([
      ['as recorded', original],
      ['with CRLF', withEndings(original, '\r\n')],
      ['with CR', withEndings(original, '\r')],
    ])('%s', async (_variant, text) => {
      const bytes = encoder.encode(text);
      const whole = await fingerprint([bytes]);
      const tricky = trickyOffsets(bytes);
      const offset = fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) });
      const offsets = fc.array(
        tricky.length ? fc.oneof(offset, fc.constantFrom(...tricky)) : offset,
        { maxLength: 40 },
      );
      await fc.assert(
        fc.asyncProperty(offsets, async (cuts) => {
          expect(await fingerprint(cutAt(bytes, cuts))).toBe(whole);
        }),
        { numRuns: 12 },
      );
    });
  });

  it('agrees one byte at a time on a stream with multi-byte text and CRLF', async () => {
    const text =
      'data: {"choices":[{"index":0,"delta":{"content":"héllo 👋 世界"}}]}\r\n\r\ndata: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\r\n\r\ndata: [DONE]\r\n\r\n';
    const bytes = encoder.encode(text);
    const oneByOne = Array.from(bytes, (_b, i) => i);
    expect(await fingerprint(cutAt(bytes, oneByOne))).toBe(await fingerprint([bytes]));
    expect(await fingerprint([text])).toBe(await fingerprint([bytes]));
  });
});
