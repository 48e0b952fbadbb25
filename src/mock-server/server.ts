import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { invalidRequest, serverError, type ApiErrorObject } from './api-errors';
import { DIALECT_NAMES, isDialectName, type DialectName } from './dialects';
import { parseFaults, type Fault, type FaultSpec } from './faults';
import { ResponseLifetime } from './lifetime';
import { resolvePace, type PaceOptions, type PaceSetting } from './pacing';
import { header, respond, sendError, type Context } from './respond';

/**
 * Options of {@link startMockServer}. Every field has a default; the `x-mock-dialect`,
 * `x-mock-fault` and `x-mock-pace` request headers override `dialect`, `fault` and `pace` for
 * one request.
 *
 * @example
 * ```ts
 * const server = await startMockServer({
 *   dialect: 'openrouter',
 *   pace: 'realistic',
 *   fault: 'error-after:5',
 *   apiKey: 'sk-mock',
 *   models: ['mock-1', 'mock-large'],
 * });
 * ```
 */
export interface MockServerOptions {
  /** The port; default 0 (any free port; read the chosen one from {@link MockServer.url}). */
  port?: number;
  /** The interface; default `'127.0.0.1'` (loopback only unless told otherwise). */
  host?: string;
  /** The provider dialect of every answer; default `'openai'`. */
  dialect?: DialectName;
  /** Default `'none'`: no waits at all (for tests). `'realistic'` is {@link REALISTIC_PACE}. */
  pace?: PaceSetting;
  /** Faults injected into every request (see {@link FaultSpec} for the forms); default none. */
  fault?: FaultSpec | FaultSpec[];
  /**
   * When set, requests without `Authorization: Bearer <apiKey>` get 401 `invalid_api_key` (the
   * `azure` dialect also accepts Azure's `api-key: <apiKey>` header).
   */
  apiKey?: string;
  /** What `GET /v1/models` lists; default `['mock-1']`. Any model may be asked for. */
  models?: string[];
  /**
   * How many requests and connections `requests` and `connections` keep (the oldest go first),
   * so a long-running server does not hold every body forever. Default 1000; 0 keeps none.
   */
  maxRecorded?: number;
  /**
   * Lets web pages on other origins call the server: every response allows any origin (`true`,
   * the default) or the one given, exposes the request-id and retry headers, and `OPTIONS`
   * preflights are answered (and not recorded). `false` sends no CORS headers.
   */
  cors?: boolean | string;
}

/**
 * A request the server received, recorded once its body had arrived.
 *
 * @example
 * ```ts
 * const [request] = server.requests;
 * expect(request.headers['fc-customer']).toBe('acme');
 * expect(await request.closed).toEqual({ byClient: true }); // the client unsubscribed
 * ```
 */
export interface MockRequest {
  method: string;
  /** The path, without the query: `/v1/chat/completions`. */
  path: string;
  /** The request target as sent, with its query: `/v1/chat/completions?api-version=1`. */
  url: string;
  /** The headers, with lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON; `undefined` when empty or not JSON. */
  body: unknown;
  /** The dialect this request was answered in (the server's, or `x-mock-dialect`). */
  dialect: DialectName;
  /** The faults applied to this request (the server's, or those of `x-mock-fault`). */
  faults: FaultSpec[];
  /**
   * Resolves when the response ended (`byClient: false`) or the client went away before it
   * ended (`byClient: true`). A fault that cuts the connection, or {@link MockServer.close},
   * counts as the server's doing.
   */
  closed: Promise<{ byClient: boolean }>;
}

/**
 * A TCP connection the server accepted.
 *
 * @example
 * ```ts
 * await server.connections[0].closed; // the client's socket is gone
 * ```
 */
export interface MockConnection {
  /** The client's port, telling connections apart. */
  remotePort: number;
  /** Resolves when the socket has closed. */
  closed: Promise<void>;
  isClosed(): boolean;
}

/**
 * A running mock server.
 *
 * @example
 * ```ts
 * const server = await startMockServer();
 * const client = createChatClient({ baseURL: server.url, apiKey: 'any' });
 * // ...
 * await server.close();
 * ```
 */
export interface MockServer {
  /** The API root, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  /** Closes every connection and the server, and clears every timer. Idempotent. */
  close(): Promise<void>;
  /** Every request, in order. */
  requests: MockRequest[];
  /** Every TCP connection accepted, in order. */
  connections: MockConnection[];
}

/** The most a request body may hold before the server answers 413. */
const MAX_REQUEST_BODY = 16 * 1024 * 1024;

export interface Defaults {
  dialect: DialectName;
  faults: Fault[];
  pace: PaceOptions;
  apiKey: string | undefined;
  models: string[];
}

/** One request's choices, after the `x-mock-*` headers; `problem` when a header is invalid. */
export interface Selection {
  dialect: DialectName;
  faults: Fault[];
  pace: PaceOptions;
  problem?: ApiErrorObject;
}

function resolveDefaults(options: MockServerOptions): Defaults {
  const dialect = options.dialect ?? 'openai';
  if (!isDialectName(dialect)) {
    throw new RangeError(`Unknown dialect "${String(dialect)}": use ${DIALECT_NAMES.join(', ')}`);
  }
  const models = options.models ?? ['mock-1'];
  if (!Array.isArray(models) || !models.every((m) => typeof m === 'string' && m !== '')) {
    throw new RangeError('models must be an array of non-empty strings');
  }
  return {
    dialect,
    faults: parseFaults(options.fault),
    pace: resolvePace(options.pace ?? 'none'),
    apiKey: options.apiKey,
    models: [...models],
  };
}

function select(headers: IncomingHttpHeaders, defaults: Defaults): Selection {
  const selection: Selection = { ...defaults };
  const dialect = header(headers, 'x-mock-dialect')?.trim();
  if (dialect !== undefined) {
    if (isDialectName(dialect)) selection.dialect = dialect;
    else {
      selection.problem = invalidRequest(
        `Unknown x-mock-dialect "${dialect}": use ${DIALECT_NAMES.join(', ')}`,
        'x-mock-dialect',
      );
    }
  }
  const fault = header(headers, 'x-mock-fault');
  if (fault !== undefined) {
    try {
      selection.faults = parseFaults(fault);
    } catch (error) {
      selection.problem = invalidRequest((error as Error).message, 'x-mock-fault');
    }
  }
  const pace = header(headers, 'x-mock-pace')?.trim();
  if (pace !== undefined) {
    if (pace === 'none' || pace === 'realistic') selection.pace = resolvePace(pace);
    else {
      selection.problem = invalidRequest(
        `Unknown x-mock-pace "${pace}": use none or realistic`,
        'x-mock-pace',
      );
    }
  }
  return selection;
}

/** Response headers a browser page may read: request ids and retry hints. */
const EXPOSED_HEADERS = 'x-request-id, request-id, retry-after, retry-after-ms, x-should-retry';

/**
 * Adds the CORS headers to `res` and answers a preflight. Returns true when the request was a
 * preflight and has been answered.
 */
function allowCrossOrigin(req: IncomingMessage, res: ServerResponse, cors: true | string): boolean {
  const origin = cors === true ? '*' : cors;
  res.setHeader('access-control-allow-origin', origin);
  if (origin !== '*') res.setHeader('vary', 'origin');
  res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    // Whatever the page asks to send (authorization, x-mock-fault, ...): it is a mock.
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
    'access-control-max-age': '600',
    'content-length': '0',
  });
  res.end();
  req.resume();
  return true;
}

const urlHost = (host: string) => {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
};

/**
 * Starts a real OpenAI-compatible server on loopback (`node:http` only) that streams
 * deterministic answers in the dialects of real providers, with optional realistic pacing and
 * injected faults. It records every request and connection, so tests can assert what the client
 * sent and when it hung up.
 *
 * Routes: `POST /v1/chat/completions` (streaming with `stream: true`, else one JSON completion)
 * and `GET /v1/models`. Errors are OpenAI-style JSON: 400 `invalid_request_error` naming the
 * `param` (invalid JSON, missing `model`, missing or empty `messages`, ...), 401
 * `invalid_api_key`, 404 for unknown routes, 405 for a wrong method.
 *
 * Answers follow {@link mockAnswerText}; `n`, `max_tokens` / `max_completion_tokens`,
 * `stream_options.include_usage` and `tools` / `tool_choice` are honoured.
 *
 * @example
 * ```ts
 * import { startMockServer } from 'rxchat/mock-server';
 * import { createChatClient, contentDeltas } from 'rxchat';
 *
 * const server = await startMockServer({ pace: 'realistic', dialect: 'groq' });
 * const client = createChatClient({ baseURL: server.url, apiKey: 'unused' });
 * client
 *   .stream({ model: 'mock-1', messages: [{ role: 'user', content: 'Hi!' }] })
 *   .pipe(contentDeltas())
 *   .subscribe({ next: (text) => process.stdout.write(text), complete: () => server.close() });
 *
 * // A fault for one request only:
 * client.stream(request, { headers: { 'x-mock-fault': 'error-after:3' } });
 * ```
 */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const defaults = resolveDefaults(options);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const requests: MockRequest[] = [];
  const connections: MockConnection[] = [];
  const maxRecorded = options.maxRecorded ?? 1000;
  if (!(maxRecorded >= 0)) throw new RangeError('maxRecorded must be a number >= 0');
  let requestCount = 0;
  const record = <T>(list: T[], item: T) => {
    list.push(item);
    if (list.length > maxRecorded) list.splice(0, list.length - maxRecorded);
  };
  const live = new Set<ResponseLifetime>();
  let closing = false;

  const cors = options.cors ?? true;
  const server = createServer((req, res) => {
    if (cors !== false && allowCrossOrigin(req, res, cors)) return;
    const lifetime = new ResponseLifetime();
    live.add(lifetime);
    // Whether the response ended, or the server cut it on purpose: a later 'close' is then not
    // the client going away.
    let endedByServer = false;
    const cutByServer = () => {
      endedByServer = true;
      res.socket?.destroy();
    };
    const closed = new Promise<{ byClient: boolean }>((resolve) => {
      res.once('finish', () => {
        endedByServer = true;
        resolve({ byClient: false });
      });
      res.once('close', () => {
        lifetime.end();
        live.delete(lifetime);
        resolve({ byClient: !endedByServer && !closing });
      });
    });
    // Writing to a socket the client already closed must not crash the server.
    res.on('error', () => undefined);
    req.on('error', () => undefined);

    const pieces: Buffer[] = [];
    let size = 0;
    req.on('data', (piece: Buffer) => {
      size += piece.length;
      if (size <= MAX_REQUEST_BODY) pieces.push(piece);
    });
    req.on('end', () => {
      const text = Buffer.concat(pieces).toString('utf8');
      let body: unknown;
      let bodyIsJson = false;
      try {
        body = text === '' ? undefined : JSON.parse(text);
        bodyIsJson = text !== '';
      } catch {
        body = undefined;
      }
      const url = req.url ?? '/';
      const path = url.split('?')[0]!;
      const selection = select(req.headers, defaults);
      const entry: MockRequest = {
        method: req.method ?? '',
        path,
        url,
        headers: req.headers,
        body,
        dialect: selection.dialect,
        faults: selection.faults.map((fault) => fault.spec),
        closed,
      };
      requestCount++;
      record(requests, entry);
      const context: Context = {
        req,
        res,
        lifetime,
        selection,
        defaults,
        requestId: `req_mock_${requestCount}`,
        cutByServer,
        body,
        bodyIsJson,
        tooLarge: size > MAX_REQUEST_BODY,
        path,
      };
      respond(context).catch(() => {
        // A bug must not take the process down: answer 500 if nothing went out yet, else cut.
        if (res.headersSent) res.destroy();
        else sendError(res, 500, serverError(' (mock server failure)'), context.requestId);
      });
    });
  });

  server.on('connection', (socket: Socket) => {
    let isClosed = false;
    const closedPromise = new Promise<void>((resolve) =>
      socket.once('close', () => {
        isClosed = true;
        resolve();
      }),
    );
    socket.on('error', () => undefined);
    record(connections, {
      remotePort: socket.remotePort ?? 0,
      closed: closedPromise,
      isClosed: () => isClosed,
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let closeOnce: Promise<void> | undefined;

  return {
    url: `http://${urlHost(host)}:${address.port}/v1`,
    requests,
    connections,
    close() {
      closeOnce ??= new Promise<void>((resolve) => {
        closing = true;
        for (const lifetime of live) lifetime.end();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closeOnce;
    },
  };
}
