// The state of a running mock server: what it recorded, the responses still alive, and how to
// close it all.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { serverError } from './api-errors';
import { allowCrossOrigin } from './cors';
import { resolveDefaults, type Defaults } from './defaults';
import { sendError } from './http';
import { ResponseLifetime } from './lifetime';
import { readBody, type ReceivedBody } from './request-body';
import type { RequestContext } from './request-context';
import { respond } from './respond';
import { ResponseClosing } from './response-closing';
import { ResponseStore } from './responses-store';
import { selectionOf } from './selection';
import type { MockConnection, MockRequest, MockServerOptions } from './types';

/** A connection as recorded: its port, and when it closed. */
function connectionOf(socket: Socket): MockConnection {
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  return { remotePort: socket.remotePort ?? 0, closed, isClosed: () => isClosed };
}

/**
 * The engine of {@link startMockServer}: an HTTP server that records every request and
 * connection (the latest `maxRecorded` of each), answers each request once its body has arrived,
 * and on {@link close} ends every live response (clearing its timers) and every connection.
 */
export class MockServerEngine {
  /** Every request, in order (the latest `maxRecorded`). */
  readonly requests: MockRequest[] = [];
  /** Every TCP connection accepted, in order (the latest `maxRecorded`). */
  readonly connections: MockConnection[] = [];
  private readonly defaults: Defaults;
  private readonly maxRecorded: number;
  private readonly cors: boolean | string;
  private readonly routes: MockServerOptions['routes'];
  private readonly server: Server;
  /** The lifetimes of the responses not closed yet, ended at once by {@link close}. */
  private readonly live = new Set<ResponseLifetime>();
  /** The Responses API responses kept for retrieval, resumption and cancel. */
  private readonly responses = new ResponseStore();
  private requestCount = 0;
  private closing = false;
  private closeOnce: Promise<void> | undefined;

  /** Checks the options (throwing a `RangeError` naming the invalid one); does not listen yet. */
  constructor(options: MockServerOptions) {
    this.defaults = resolveDefaults(options);
    this.maxRecorded = options.maxRecorded ?? 1000;
    if (!(this.maxRecorded >= 0)) throw new RangeError('maxRecorded must be a number >= 0');
    this.cors = options.cors ?? true;
    this.routes = options.routes;
    if (this.routes !== undefined && typeof this.routes !== 'function') {
      throw new RangeError('routes must be a (req, res, next) function');
    }
    this.server = createServer((req, res) => this.receive(req, res));
    this.server.on('connection', (socket: Socket) => this.accept(socket));
  }

  /** Starts listening; resolves with the address once bound, rejects if it cannot bind. */
  async listen(port: number, host: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  /** Closes every connection and the server, and clears every timer. Idempotent. */
  close(): Promise<void> {
    this.closeOnce ??= new Promise<void>((resolve) => {
      this.closing = true;
      for (const lifetime of this.live) lifetime.end();
      this.responses.close();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closeOnce;
  }

  /** A request has come: CORS first, then the extra routes, then its body, then its answer. */
  private receive(req: IncomingMessage, res: ServerResponse): void {
    if (this.cors !== false && allowCrossOrigin(req, res, this.cors)) return;
    if (this.routes) {
      let passed = false;
      try {
        this.routes(req, res, () => {
          if (passed) return;
          passed = true;
          this.answerMock(req, res);
        });
      } catch {
        // A throwing route must not take the process down.
        if (passed) return;
        if (res.headersSent) res.destroy();
        else sendError(res, 500, serverError(' (routes failed)'), 'req_mock_routes');
      }
      return;
    }
    this.answerMock(req, res);
  }

  /** The mock's own answer: the body, then its answer. */
  private answerMock(req: IncomingMessage, res: ServerResponse): void {
    const lifetime = new ResponseLifetime();
    this.live.add(lifetime);
    const closing = new ResponseClosing(
      res,
      () => this.closing,
      () => {
        lifetime.end();
        this.live.delete(lifetime);
      },
    );
    // Writing to a socket the client already closed must not crash the server.
    res.on('error', () => undefined);
    req.on('error', () => undefined);
    readBody(req, (received) => this.answer(req, res, lifetime, closing, received));
  }

  /** Records a request whose body has arrived, and answers it. */
  private answer(
    req: IncomingMessage,
    res: ServerResponse,
    lifetime: ResponseLifetime,
    closing: ResponseClosing,
    received: ReceivedBody,
  ): void {
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const selection = selectionOf(req.headers, this.defaults);
    this.requestCount++;
    this.record(this.requests, {
      method: req.method ?? '',
      path,
      url,
      headers: req.headers,
      body: received.body,
      dialect: selection.dialect,
      faults: selection.faults.map((fault) => fault.spec),
      closed: closing.closed,
    });
    const requestId = `req_mock_${this.requestCount}`;
    const context: RequestContext = {
      req,
      res,
      lifetime,
      selection,
      defaults: this.defaults,
      requestId,
      cutByServer: () => closing.cut(),
      responses: this.responses,
      ...received,
      path,
    };
    respond(context).catch(() => {
      // A bug must not take the process down: answer 500 if nothing went out yet, else cut.
      if (res.headersSent) res.destroy();
      else sendError(res, 500, serverError(' (mock server failure)'), requestId);
    });
  }

  private accept(socket: Socket): void {
    const connection = connectionOf(socket);
    socket.on('error', () => undefined);
    this.record(this.connections, connection);
  }

  /** Keeps the latest `maxRecorded` items, so a long-running server does not hold them all. */
  private record<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > this.maxRecorded) list.splice(0, list.length - this.maxRecorded);
  }
}
