import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { lastValueFrom } from 'rxjs';
import { MockAgent, ProxyAgent } from 'undici';
import * as core from '../../src';
import * as node from '../../src/node';
import { chunk } from '../helpers/marbles';
import { sseWire } from '../../src/testing';
import { settlesWithin, sseHead, startLoopback, type Loopback } from '../helpers/loopback';

const request = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };
const answer = sseWire([chunk({ content: 'Hi there' }, { finish_reason: 'stop' })]);

describe('undiciTransport dispatchers and the default transports', () => {
  let server: Loopback;
  beforeEach(async () => {
    server = await startLoopback((_req, res) => {
      sseHead(res);
      res.end(answer);
    });
  });
  afterEach(() => server.close());

  it('runs over an undici MockAgent, with no socket at all', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('https://llm.example')
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply(200, answer, { headers: { 'content-type': 'text/event-stream' } });
    const client = node.createChatClient({
      baseURL: 'https://llm.example/v1',
      transport: node.undiciTransport({ dispatcher: agent }),
    });
    const completion = await lastValueFrom(client.complete(request));
    expect(completion.choices[0]!.message.content).toBe('Hi there');
    agent.assertNoPendingInterceptors();
    await agent.close();
  });

  it('goes through an HTTP proxy given as a ProxyAgent', async () => {
    const tunnels: string[] = [];
    const sockets = new Set<Socket>();
    const proxy: Server = createServer();
    proxy.on('connect', (req, clientSocket: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(clientSocket).pipe(upstream);
      });
      for (const s of [clientSocket, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
      }
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyURL = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const dispatcher = new ProxyAgent(proxyURL);
    try {
      const client = node.createChatClient({
        baseURL: server.baseURL,
        transport: node.undiciTransport({ dispatcher }),
      });
      const completion = await lastValueFrom(client.complete(request));
      expect(completion.choices[0]!.message.content).toBe('Hi there');
      expect(tunnels).toEqual([new URL(server.baseURL).host]);
    } finally {
      await dispatcher.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it.each(['gzip', 'br'])(
    'fails a corrupt %s body with parse_error and closes the connection at once',
    async (encoding) => {
      let stop: NodeJS.Timeout | undefined;
      server.handle((_req, res) => {
        sseHead(res, { 'content-encoding': encoding });
        res.write(Buffer.from('this is not compressed at all, not even a little'));
        stop = setInterval(() => res.write(Buffer.alloc(1024, 7)), 10);
        res.on('close', () => clearInterval(stop));
      });
      const client = node.createChatClient({
        baseURL: server.baseURL,
        transport: node.undiciTransport(),
      });
      const error = await lastValueFrom(client.stream(request)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'parse_error', retryable: false, attempts: 1 });
      expect((error as Error).message).toMatch(
        `The ${encoding} response body could not be decoded`,
      );
      expect(await settlesWithin(server.requests[0]!.closed, 1000)).toBe(true);
      clearInterval(stop);
    },
  );

  it('cancels the body of a response that arrives after unsubscribe, even if fetch ignores the signal', async () => {
    let cancelled = false;
    let respond: (r: Response) => void = () => undefined;
    const transport = core.fetchTransport({
      fetch: () =>
        new Promise<Response>((resolve) => {
          respond = resolve;
        }),
    });
    const subscription = core
      .createChatClient({ baseURL: server.baseURL, transport })
      .stream(request)
      .subscribe({ error: () => undefined });
    subscription.unsubscribe();
    const body = new ReadableStream({
      cancel: () => {
        cancelled = true;
      },
    });
    respond(new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cancelled).toBe(true);
  });

  it('uses undici by default from rxchat/node and fetch from the core entry', async () => {
    const viaNode = await lastValueFrom(
      node.createChatClient({ baseURL: server.baseURL }).complete(request),
    );
    const viaCore = await lastValueFrom(
      core.createChatClient({ baseURL: server.baseURL }).complete(request),
    );
    expect(viaNode.choices[0]!.message.content).toBe('Hi there');
    expect(viaCore.choices[0]!.message.content).toBe('Hi there');
    // Node's fetch announces itself; undici.request sends no user-agent of its own.
    expect(server.requests[0]!.headers['user-agent']).toBeUndefined();
    expect(server.requests[1]!.headers['user-agent']).toBe('node');
  });

  it('looks fetch up at request time and accepts a custom one', async () => {
    const seen: string[] = [];
    const transport = core.fetchTransport({
      fetch: (input, init) => {
        seen.push(`${init?.method} ${String(input)}`);
        return fetch(input, init);
      },
    });
    const client = core.createChatClient({ baseURL: server.baseURL, transport });
    await lastValueFrom(client.complete(request));
    expect(seen).toEqual([`POST ${server.baseURL}/chat/completions`]);
  });
});
