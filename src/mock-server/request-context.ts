// Everything the answer to one request needs, gathered by the server once its body has arrived.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Defaults } from './defaults';
import type { ResponseLifetime } from './lifetime';
import type { ReceivedBody } from './request-body';
import type { ResponseStore } from './responses-store';
import type { Selection } from './selection';

/**
 * One request being answered: its messages, its choices, its body and its lifetime.
 *
 * @example
 * ```ts
 * const context: RequestContext = { req, res, lifetime, selection, defaults, requestId, ... };
 * await respond(context);
 * ```
 */
export interface RequestContext extends ReceivedBody {
  req: IncomingMessage;
  res: ServerResponse;
  lifetime: ResponseLifetime;
  selection: Selection;
  defaults: Defaults;
  requestId: string;
  /** Destroys the socket as a fault (so `closed` reports `byClient: false`). */
  cutByServer(): void;
  /** The server's stored Responses API responses. */
  responses: ResponseStore;
  /** The path, without the query. */
  path: string;
}
