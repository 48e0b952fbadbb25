// startMockServer: the entry point of rxchat/mock-server, driving a MockServerEngine.
import { MockServerEngine } from './mock-server-engine';
import type { MockServer, MockServerOptions } from './types';

/** The host of the server's URL: a wildcard address is reached through loopback. */
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
 * Routes: `POST /v1/chat/completions` (streaming with `stream: true`, else one JSON completion),
 * `GET /v1/models`, and OpenAI's Responses API: `POST /v1/responses` (typed SSE events with
 * `sequence_number`, else one Response object; `background: true` keeps generating after the
 * client leaves), `GET /v1/responses/{id}` (the Response as it stands; with
 * `?stream=true&starting_after=N` a background response's events after N, then the live ones)
 * and `POST /v1/responses/{id}/cancel` (background only). The last 100 responses are kept. Errors are OpenAI-style JSON: 400 `invalid_request_error` naming the
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
  const engine = new MockServerEngine(options);
  const host = options.host ?? '127.0.0.1';
  const address = await engine.listen(options.port ?? 0, host);
  return {
    url: `http://${urlHost(host)}:${address.port}/v1`,
    requests: engine.requests,
    connections: engine.connections,
    close() {
      return engine.close();
    },
  };
}
