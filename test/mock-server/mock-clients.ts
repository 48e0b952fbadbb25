// What the mock server's tests share: the real rxchat client against a mock server, and servers
// that are closed after each test.
import { startMockServer, type MockServer, type MockServerOptions } from '../../src/mock-server';
import { createChatClient, undiciTransport, type ChatClientOptions } from '../../src/node';

/**
 * The real rxchat client, on undici, against `server`, with the key `sk-mock` the test servers
 * ask for; no retries unless `options` say otherwise.
 */
export const mockClient = (server: MockServer, options: ChatClientOptions = {}) =>
  createChatClient({
    baseURL: server.url,
    apiKey: 'sk-mock',
    transport: undiciTransport(),
    retry: false,
    ...options,
  });

/**
 * Registers an `afterEach` that closes every server started through the function it returns, so
 * no test leaves a server behind even when it fails. Call it at the top level of a test file.
 */
export function serversClosedAfterEach(): (options?: MockServerOptions) => Promise<MockServer> {
  const servers: MockServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return async (options = {}) => {
    const server = await startMockServer(options);
    servers.push(server);
    return server;
  };
}
