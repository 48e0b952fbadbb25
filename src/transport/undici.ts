import type { Transform } from 'node:stream';
import type { Dispatcher } from 'undici';
import { RxChatError } from '../errors';
import { decodersFor, isEncoded } from './decompress';
import type { BodySink } from './exchange';
import { headerRecord } from './headers';
import { createTransportResponse } from './transport-response';
import type { ChatHttpRequest, ChatTransport } from './types';

/** Options of {@link undiciTransport}. */
export interface UndiciTransportOptions {
  /**
   * The undici dispatcher: an `Agent` with your pool settings, a `ProxyAgent`, an HTTP/2 agent
   * (`allowH2`), or a `MockAgent` in tests. Default: undici's global dispatcher, a keep-alive
   * pool shared with Node's own `fetch` (so `setGlobalDispatcher` applies here too).
   */
  dispatcher?: Dispatcher;
}

type BodyReadable = Dispatcher.ResponseData['body'];

// undici takes about as long to load as the rest of rxchat, so `import('rxchat')` leaves it out
// and the first request loads it (once; later requests read it from here).
let undici: typeof import('undici') | undefined;
const loadUndici = async () => (undici ??= await import('undici'));

/**
 * The Node {@link ChatTransport}: `undici.request` on a keep-alive pool, the fastest HTTP client
 * Node has. Compressed responses (gzip, deflate, br, and zstd where Node has it) are decoded;
 * every body is either read to its end (so the connection is reused) or destroyed (so the server
 * sees the socket close at once when you unsubscribe).
 *
 * Imported from `rxchat/node` (and the default transport of `createChatClient` in Node); never
 * part of the browser build.
 *
 * @example
 * ```ts
 * import { Agent } from 'undici';
 * import { createChatClient, undiciTransport } from 'rxchat/node';
 *
 * const client = createChatClient({
 *   transport: undiciTransport({ dispatcher: new Agent({ connections: 64, allowH2: true }) }),
 * });
 * ```
 */
export function undiciTransport(options: UndiciTransportOptions = {}): ChatTransport {
  return (request: ChatHttpRequest) =>
    createTransportResponse(async ({ signal }) => {
      const { request: undiciRequest, getGlobalDispatcher } = undici ?? (await loadUndici());
      const { statusCode, headers, body } = await undiciRequest(request.url, {
        method: request.method,
        headers: { ...request.headers },
        body: request.body,
        signal,
        dispatcher: options.dispatcher ?? getGlobalDispatcher(),
      });
      const record = headerRecord(headers);
      return {
        status: statusCode,
        headers: record,
        body: {
          reusable: true,
          open: (sink) => readBody(body, record['content-encoding'], sink),
          cancel: () => discard(body),
        },
      };
    });
}

/** Streams an undici body (decoded if compressed) into `sink`; returns the function that stops. */
function readBody(
  body: BodyReadable,
  contentEncoding: string | undefined,
  sink: BodySink,
): () => void {
  let decoders: Transform[] | undefined;
  let stopped = false;

  // Any decoder error means the bytes are not what content-encoding claims; stop reading at once.
  const failDecoding = (error: unknown) => {
    discard(body);
    sink.error(
      RxChatError.isInstance(error)
        ? error
        : new RxChatError(
            'parse_error',
            `The ${contentEncoding} response body could not be decoded: ${(error as Error).message}`,
            { cause: error, retryable: false },
          ),
    );
  };
  const deliver = (chunk: Uint8Array) => {
    if (chunk.length > 0) sink.next(chunk);
  };

  // The decoder chain is built on the first bytes: raw or zlib-wrapped deflate looks at them.
  const onEncodedData = (chunk: Uint8Array) => {
    try {
      decoders ??= chain(
        decodersFor(contentEncoding, chunk[0] ?? 0),
        deliver,
        sink.complete,
        failDecoding,
      );
    } catch (error) {
      failDecoding(error);
      return;
    }
    decoders[0]!.write(chunk);
  };
  const onData = isEncoded(contentEncoding) ? onEncodedData : deliver;
  body.on('data', onData);
  // Still heard after a stop: the end tells that the connection can go back to the pool.
  body.once('end', () => (decoders && !stopped ? decoders[0]!.end() : sink.complete()));
  body.on('error', sink.error);

  return () => {
    stopped = true;
    body.removeListener('data', onData);
    for (const decoder of decoders ?? []) decoder.destroy();
    // Keep reading without delivering: the end is usually already on the wire after [DONE].
    if (!body.readableEnded && !body.destroyed) body.resume();
  };
}

function chain(
  decoders: Transform[],
  deliver: (chunk: Uint8Array) => void,
  finish: () => void,
  fail: (error: unknown) => void,
): Transform[] {
  if (decoders.length === 0) {
    const passThrough = { write: deliver, end: finish, destroy: () => undefined };
    return [passThrough as unknown as Transform];
  }
  decoders.forEach((decoder, i) => {
    const next = decoders[i + 1];
    decoder.on('data', next ? (chunk: Uint8Array) => next.write(chunk) : deliver);
    decoder.on('end', next ? () => next.end() : finish);
    decoder.on('error', fail);
  });
  return decoders;
}

/** Destroys a body nobody reads; undici reports that as an error event, which must be heard. */
function discard(body: BodyReadable): void {
  body.on('error', () => undefined);
  if (!body.destroyed) body.destroy();
}
