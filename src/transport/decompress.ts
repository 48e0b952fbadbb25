import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { RxChatError } from '../errors';

type Decoder = () => Transform;

const zstd = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;

// Flush on every chunk so that decompressed text reaches the parser as soon as it arrives.
const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
const brotliFlush = {
  flush: zlib.constants.BROTLI_OPERATION_FLUSH,
  finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
};

const DECODERS: Record<string, Decoder | undefined> = {
  gzip: () => zlib.createGunzip(flush),
  'x-gzip': () => zlib.createGunzip(flush),
  // "deflate" should be zlib-wrapped, but some servers send raw deflate: createUnzip cannot tell,
  // so the first byte decides (see decodersFor).
  deflate: () => zlib.createInflate(flush),
  br: () => zlib.createBrotliDecompress(brotliFlush),
  ...(zstd ? { zstd } : {}),
};

/**
 * The decoders for a `content-encoding` value, in the order they apply to the bytes (the reverse
 * of the header's order). `identity` and an empty header need none. `firstByte` picks raw or
 * zlib-wrapped inflate for `deflate`. Unknown encodings fail with a clear error.
 */
export function decodersFor(contentEncoding: string | undefined, firstByte: number): Transform[] {
  if (!contentEncoding) return [];
  const codings = contentEncoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity')
    .reverse();
  return codings.map((coding, position) => {
    if (coding === 'deflate' && position === 0 && (firstByte & 0x0f) !== 0x08) {
      return zlib.createInflateRaw(flush);
    }
    const create = DECODERS[coding];
    if (!create) {
      throw new RxChatError(
        'parse_error',
        `The response uses content-encoding "${coding}", which this runtime cannot decode`,
      );
    }
    return create();
  });
}

/** Whether a `content-encoding` header asks for any decoding at all. */
export function isEncoded(contentEncoding: string | undefined): boolean {
  return (
    !!contentEncoding &&
    contentEncoding.split(',').some((c) => {
      const coding = c.trim().toLowerCase();
      return coding !== '' && coding !== 'identity';
    })
  );
}
