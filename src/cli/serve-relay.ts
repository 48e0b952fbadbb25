// `rxchat serve --relay`: an rxchat/relay on the mock server's origin, under `/relay`, whose runs
// stream the mock's own chat completions. A demo of resumable, stoppable answers with no account.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatRequest } from '../client/request';
import { RxChatError } from '../errors';
import { createChatClient } from '../node';
import { createRelay } from '../relay/relay';
import { memoryStore } from '../relay/memory-store';
import { redisStore } from '../relay/redis-store';

/** Where the relay's routes are, on the mock server's origin. */
export const RELAY_PREFIX = '/relay';

/** The `x-mock-*` headers of a start request that go on to the model's request. */
const FORWARDED_HEADERS = ['x-mock-fault', 'x-mock-pace', 'x-mock-dialect'] as const;

/** The relay as `rxchat serve` runs it. */
export interface ServeRelay {
  /** The mock server's `routes` option: the relay's handler. */
  routes(req: IncomingMessage, res: ServerResponse, next: () => void): void;
  /** Points the runs at the mock server, once it listens. */
  attach(apiRoot: string): void;
  /** Ends the runs (as `truncated`) and readers, and closes the store. */
  close(): Promise<void>;
}

/** The settings of {@link startServeRelay}. */
export interface ServeRelaySettings {
  /** Keep the runs in this Redis (`redis://…`) instead of the process's memory. */
  redisUrl?: string;
  /** The bearer key the mock server requires, if any. */
  apiKey?: string;
}

/** The model's request for a start body: a chat request; `model` defaults to `mock-1`. */
function chatRequestOf(body: unknown): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RxChatError('validation_error', 'The body must be a chat request object');
  }
  const request = body as Partial<ChatRequest>;
  return { ...request, model: request.model ?? 'mock-1' } as ChatRequest;
}

/**
 * Builds the relay of `rxchat serve --relay`. (Named imports, not `import()`: a dynamic import
 * of the library's entry would put every module of it into the CLI bundle.)
 */
export async function startServeRelay(settings: ServeRelaySettings): Promise<ServeRelay> {
  const store = settings.redisUrl ? redisStore({ url: settings.redisUrl }) : memoryStore();
  let client: ReturnType<typeof createChatClient> | undefined;
  const relay = createRelay({
    store,
    prefix: RELAY_PREFIX,
    start: ({ req, body }) => {
      if (!client) throw new RxChatError('validation_error', 'The mock server is not ready');
      const headers: Record<string, string> = {};
      for (const name of FORWARDED_HEADERS) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      return client.stream(chatRequestOf(body), { headers });
    },
  });
  const handler = relay.handler();
  return {
    routes: (req, res, next) => handler(req, res, next),
    attach(apiRoot) {
      client = createChatClient({ baseURL: apiRoot, apiKey: settings.apiKey ?? 'unused' });
    },
    async close() {
      await relay.close();
      await store.close();
    },
  };
}
