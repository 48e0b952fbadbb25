import type { Transform } from 'node:stream';
import { Observable, type Subscriber } from 'rxjs';
import { getGlobalDispatcher, request as undiciRequest, type Dispatcher } from 'undici';
import { connectionError, RxChatError } from '../errors';
import { afterIo, oneShotBody } from './body';
import { decodersFor, isEncoded } from './decompress';
import { headerRecord } from './headers';
import type { ChatHttpRequest, ChatHttpResponse, ChatTransport } from './types';

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
    new Observable<ChatHttpResponse>((subscriber) => {
      const controller = new AbortController();
      let delivered = false;
      let settle: (() => void) | undefined;

      undiciRequest(request.url, {
        method: request.method,
        headers: { ...request.headers },
        body: request.body,
        signal: controller.signal,
        dispatcher: options.dispatcher ?? getGlobalDispatcher(),
      }).then(
        ({ statusCode, headers, body }) => {
          if (subscriber.closed) {
            discard(body);
            return;
          }
          const record = headerRecord(headers);
          const oneShot = oneShotBody({
            open: (bodySubscriber) => readBody(body, record['content-encoding'], bodySubscriber),
            release: () => discard(body),
          });
          delivered = true;
          settle = oneShot.settle;
          subscriber.next({ status: statusCode, headers: record, body: oneShot.body });
          subscriber.complete();
        },
        (error: unknown) => {
          if (!subscriber.closed) subscriber.error(connectionError(error));
        },
      );

      return () => {
        if (delivered) settle?.();
        else controller.abort();
      };
    });
}

/** Streams an undici body (decoded if compressed) into `subscriber`; returns the teardown. */
function readBody(
  body: BodyReadable,
  contentEncoding: string | undefined,
  subscriber: Subscriber<Uint8Array | string>,
): () => void {
  let bodyEnded = false;
  let decoders: Transform[] | undefined;
  const encoded = isEncoded(contentEncoding);

  const fail = (error: unknown) => {
    if (!subscriber.closed) {
      subscriber.error(connectionError(error, 'The response body broke off'));
    }
  };
  // Any decoder error means the bytes are not what content-encoding claims; stop reading at once.
  const failDecoding = (error: unknown) => {
    discard(body);
    if (subscriber.closed) return;
    subscriber.error(
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
    if (!subscriber.closed && chunk.length > 0) subscriber.next(chunk);
  };
  const finish = () => {
    if (!subscriber.closed) subscriber.complete();
  };

  // The decoder chain is built on the first bytes: raw or zlib-wrapped deflate looks at them.
  const onEncodedData = (chunk: Uint8Array) => {
    try {
      decoders ??= chain(
        decodersFor(contentEncoding, chunk[0] ?? 0),
        deliver,
        finish,
        failDecoding,
      );
    } catch (error) {
      failDecoding(error);
      return;
    }
    decoders[0]!.write(chunk);
  };
  const onData = encoded ? onEncodedData : deliver;
  const onEnd = () => {
    if (decoders) decoders[0]!.end();
    else finish();
  };
  body.once('end', () => {
    bodyEnded = true;
  });
  body.on('data', onData);
  body.on('end', onEnd);
  body.on('error', fail);

  return () => {
    body.removeListener('data', onData);
    body.removeListener('end', onEnd);
    for (const decoder of decoders ?? []) decoder.destroy();
    if (bodyEnded || body.destroyed) return;
    // Keep reading without delivering: if the end is already on the wire (it usually follows
    // [DONE] in the same packet), the connection goes back to the pool; otherwise close it.
    body.resume();
    afterIo(() => {
      if (!bodyEnded) discard(body);
    });
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
