import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { first, lastValueFrom } from 'rxjs';
import { Agent } from 'undici';
import { contentDeltas, createChatClient, undiciTransport } from '../../src/node';
import { settlesWithin } from '../helpers/loopback';
import { chunk } from '../helpers/marbles';
import { sseWire } from '../../src/testing';

const tls = join(__dirname, '../fixtures/tls');
const cert = readFileSync(join(tls, 'loopback-test.crt'));
const key = readFileSync(join(tls, 'loopback-test.key'));
const request = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };

describe('undiciTransport over HTTP/2 (allowH2)', () => {
  let server: Http2SecureServer;
  let baseURL: string;
  const streams: { stream: ServerHttp2Stream; closed: Promise<void>; protocol?: string }[] = [];
  let endless = false;

  beforeAll(async () => {
    server = createSecureServer({ key, cert, allowHTTP1: false });
    server.on('stream', (stream) => {
      const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
      streams.push({ stream, closed, protocol: stream.session?.alpnProtocol });
      stream.on('error', () => undefined);
      stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
      if (endless) stream.write(sseWire([chunk({ content: 'first' })], { done: false }));
      else stream.end(sseWire([chunk({ content: 'over h2' }, { finish_reason: 'stop' })]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseURL = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('streams, and unsubscribing resets the HTTP/2 stream', async () => {
    const dispatcher = new Agent({ allowH2: true, connect: { ca: cert } });
    try {
      const client = createChatClient({ baseURL, transport: undiciTransport({ dispatcher }) });
      const completion = await lastValueFrom(client.complete(request));
      expect(completion.choices[0]!.message.content).toBe('over h2');
      expect(streams[0]!.protocol).toBe('h2');
      expect(streams[0]!.stream.aborted).toBe(false);

      endless = true;
      const text = await lastValueFrom(client.stream(request).pipe(contentDeltas(), first()));
      expect(text).toBe('first');
      expect(await settlesWithin(streams[1]!.closed, 1000)).toBe(true);
      // The server never ended this stream: the client's cancellation aborted it.
      expect(streams[1]!.stream.aborted).toBe(true);
    } finally {
      await dispatcher.destroy();
    }
  });
});
