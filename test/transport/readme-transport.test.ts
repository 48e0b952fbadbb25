// The custom transport the README shows, kept here (and checked against the README's text) so
// that it stays true: it compiles, and it streams through the client over a real socket.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import {
  contentDeltas,
  createChatClient,
  createTransportResponse,
  type ChatTransport,
} from '../../src';
import { startMockServer, type MockServer } from '../../src/mock-server';

// --- as in the README ---------------------------------------------------------------------
// fetch with a header of your own on every request, under the built-in transports' rules.
const teamFetch: ChatTransport = (request) =>
  createTransportResponse(async ({ signal }) => {
    const res = await fetch(request.url, {
      method: request.method,
      headers: { ...request.headers, 'x-team': 'search' },
      body: request.body,
      signal,
    });
    // The body: an Observable of pieces, or { open(sink), cancel() } over a stream of your own.
    return {
      status: res.status,
      headers: res.headers,
      body: from(res.body as AsyncIterable<Uint8Array>),
    };
  });
// ------------------------------------------------------------------------------------------

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer();
});
afterAll(() => server.close());

it('is the snippet the README shows', () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const source = readFileSync(__filename, 'utf8');
  const snippet = source.slice(
    source.indexOf('// fetch with'),
    source.indexOf('// ---', source.indexOf('// fetch with')),
  );
  expect(readme).toContain(snippet.trim());
});

it('streams through the client, with its header on the request', async () => {
  const client = createChatClient({
    baseURL: server.url,
    apiKey: 'sk-readme-0000',
    transport: teamFetch,
  });
  const text = await lastValueFrom(
    client
      .stream({ model: 'mock', messages: [{ role: 'user', content: 'Hi' }] })
      .pipe(contentDeltas(), toArray()),
  );
  expect(text.join('')).toContain('Hi');
  expect(server.requests.at(-1)!.headers['x-team']).toBe('search');
});
