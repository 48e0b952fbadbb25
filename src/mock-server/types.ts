// The public types of the mock server: its options, what it records, and the running server.
// Apart from server.ts so that every module may read them without importing the server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DialectName } from './dialect-names';
import type { FaultSpec } from './faults';
import type { PaceSetting } from './pacing';

/**
 * Options of {@link startMockServer}. Every field has a default; the `x-mock-dialect`,
 * `x-mock-fault` and `x-mock-pace` request headers override `dialect`, `fault` and `pace` for
 * one request (`x-mock-pace`: `none`, `realistic`, or {@link PaceOptions} as JSON, e.g.
 * `{"tokensPerSecond":5}`).
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
  /**
   * More routes on the server's origin: an Express-style handler that gets every request first
   * (after CORS: preflights are answered, the CORS headers are set), before its body is read;
   * calling `next()` hands the request to the mock. Requests it answers are not recorded. This is
   * how `rxchat serve --relay` serves an `rxchat/relay` handler beside the model.
   *
   * @example
   * ```ts
   * const relay = createRelay({ prefix: '/relay', start: ({ body }) => client.stream(body) });
   * const server = await startMockServer({ routes: relay.handler() });
   * ```
   */
  routes?: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
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
  /** The HTTP method as sent (`'POST'`, `'GET'`, …). */
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
  closed: Promise<{
    /** `true` when the client closed the connection before the response ended. */
    byClient: boolean;
  }>;
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
  /** Whether the socket has closed already (synchronously, unlike {@link closed}). */
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
