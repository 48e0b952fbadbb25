import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request the loopback server received. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Resolves when the connection of this request closes (as seen by the server). */
  closed: Promise<void>;
  /** Whether the connection has closed. */
  isClosed(): boolean;
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  received: ReceivedRequest,
) => void;

/** A real `node:http` server on 127.0.0.1 that records requests and connections. */
export interface Loopback {
  /** The API root, e.g. `http://127.0.0.1:41234/v1`. */
  baseURL: string;
  requests: ReceivedRequest[];
  /** Sockets accepted so far (to check connection reuse). */
  connections: Socket[];
  /** Swaps the handler for the next requests. */
  handle(handler: Handler): void;
  /** Resolves with the next request once its body has arrived. */
  nextRequest(): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

export async function startLoopback(handler: Handler = () => undefined): Promise<Loopback> {
  let current = handler;
  const requests: ReceivedRequest[] = [];
  const connections: Socket[] = [];
  const waiting: ((r: ReceivedRequest) => void)[] = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const socket = req.socket;
    let closed = false;
    const closedPromise = new Promise<void>((resolve) => {
      if (socket.destroyed) {
        closed = true;
        resolve();
      } else
        socket.once('close', () => {
          closed = true;
          resolve();
        });
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        closed: closedPromise,
        isClosed: () => closed,
      };
      requests.push(received);
      waiting.shift()?.(received);
      // Writing to a socket the client already closed must not crash the test server.
      res.on('error', () => undefined);
      current(req, res, received);
    });
  });
  server.on('connection', (socket: Socket) => {
    connections.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    connections,
    handle(next) {
      current = next;
    },
    nextRequest: () => new Promise((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts an SSE response. */
export function sseHead(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...headers,
  });
  res.flushHeaders();
}

/** Resolves within `ms` milliseconds with `true` if `promise` settled, else `false`. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
