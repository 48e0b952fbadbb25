import { lastValueFrom, type Observable } from 'rxjs';
import {
  createChatClient,
  fetchTransport,
  RxChatError,
  undiciTransport,
  type ChatTransport,
} from '../../src/node';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { chunk } from '../helpers/marbles';
import { sseWire } from '../../src/testing';
import { delay, settlesWithin, startLoopback, type Loopback } from '../helpers/loopback';

// Wire-format cases that outside suites (openai-node's, the WHATWG EventSource tests) found,
// over a real HTTP server: bodies served with another content type, CR framing on a connection
// the server keeps open, and error bodies that are a JSON string.

const transports: [string, () => ChatTransport][] = [
  ['undiciTransport', () => undiciTransport()],
  ['fetchTransport', () => fetchTransport()],
];
const request = { model: 'test-model', messages: [{ role: 'user', content: 'Hi' }] };
const hello = sseWire([
  chunk({ content: 'Hel' }),
  chunk({ content: 'lo' }, { finish_reason: 'stop' }),
]);

async function failure(source: Observable<unknown>): Promise<RxChatError> {
  const error = await lastValueFrom(source).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!RxChatError.isInstance(error)) throw new Error(`expected an RxChatError: ${String(error)}`);
  return error;
}

expectNothingLeftOpen();

describe.each(transports)('%s reading the wire', (_name, makeTransport) => {
  let server: Loopback;
  const client = () =>
    createChatClient({ baseURL: server.baseURL, transport: makeTransport(), retry: false });

  beforeEach(async () => {
    server = await startLoopback();
  });
  afterEach(() => server.close());

  it.each(['text/plain; charset=utf-8', 'text/plain', 'application/octet-stream'])(
    'reads an event stream served as %s, written in pieces',
    async (type) => {
      server.handle((_req, res) => {
        res.writeHead(200, { 'content-type': type });
        res.flushHeaders();
        // The deciding field name is cut between two writes.
        void (async () => {
          res.write('\ufeff: hi\n\nda');
          await delay(5);
          res.write(hello.slice(2, 40));
          await delay(5);
          res.end(hello.slice(40));
        })();
      });
      const completion = await lastValueFrom(client().complete(request));
      expect(completion.choices[0]!.message.content).toBe('Hello');
    },
  );

  it('reads a JSON completion served as text/plain as JSON', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(
        JSON.stringify({
          id: 'c1',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' },
          ],
        }),
      );
    });
    const completion = await lastValueFrom(client().complete(request));
    expect(completion.choices[0]!.message.content).toBe('Hi');
  });

  it('still fails text/plain that is neither with parse_error', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('Service temporarily unavailable');
    });
    const error = await failure(client().complete(request));
    expect(error.code).toBe('parse_error');
    expect(error.message).toContain('Service temporarily unavailable');
  });

  it('completes on a CR-framed [DONE] while the server keeps the connection open', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Never ended: the stream must finish on [DONE] alone.
      res.write(hello.replace(/\n/g, '\r'));
    });
    const done = lastValueFrom(client().complete(request));
    expect(await settlesWithin(done, 2000)).toBe(true);
    expect((await done).choices[0]!.message.content).toBe('Hello');
    // [DONE] released the body: the connection is closed, not left to the server.
    expect(await settlesWithin(server.requests[0]!.closed, 2000)).toBe(true);
  });

  it('shows an HTTP error body that is a JSON string without its quotes', async () => {
    server.handle((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end('"Rate limit exceeded"');
    });
    const error = await failure(client().complete(request));
    expect(error.code).toBe('http_error');
    expect(error.message).toBe('HTTP 429 Too Many Requests: Rate limit exceeded');
    expect(error.provider?.message).toBe('Rate limit exceeded');
  });
});
