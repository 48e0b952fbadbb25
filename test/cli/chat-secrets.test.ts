import { rxchat } from '../helpers/cli';
import { sseHead, startLoopback, type Loopback } from '../helpers/loopback';

// The CLI is a user of the client: what the client promises about secrets and bad input holds
// on its stdout and stderr too.

const KEY = 'sk-cli-secret-ECHOED-0123456789';

describe('rxchat chat: secrets and bad headers', () => {
  let server: Loopback;
  beforeEach(async () => {
    server = await startLoopback();
  });
  afterEach(() => server.close());

  it('--format ndjson prints response events whose headers are redacted', async () => {
    server.handle((_req, res) => {
      sseHead(res, { 'x-echo': `Bearer ${KEY}`, 'x-debug': `key=${KEY}`, 'x-request-id': 'r1' });
      res.end(
        'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
      );
    });
    const run = rxchat(['chat', '--format', 'ndjson', '--base-url', server.baseURL, 'Hi'], {
      OPENAI_API_KEY: KEY,
    });
    expect(await run.exit).toBe(0);
    const events = run
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; headers?: Record<string, string> });
    const response = events.find((event) => event.type === 'response');
    expect(response?.headers).toMatchObject({
      'x-echo': '[redacted]',
      'x-debug': 'key=[redacted]',
      'x-request-id': 'r1',
    });
    expect(run.stdout() + run.stderr()).not.toContain(KEY);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  }, 20_000);

  it('a --header whose name is shaped like a key is scrubbed from errors', async () => {
    const credential = 'portkey-CREDENTIAL-987654';
    server.handle((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `bad credential ${credential}` } }));
    });
    const run = rxchat([
      'chat',
      '--format',
      'ndjson',
      '--base-url',
      server.baseURL,
      '--header',
      `x-portkey-api-key:${credential}`,
      'Hi',
    ]);
    expect(await run.exit).toBe(1);
    expect(server.requests[0]!.headers['x-portkey-api-key']).toBe(credential);
    expect(run.stderr()).toMatch(/http_error: HTTP 401 Unauthorized: bad credential \[redacted\]/);
    expect(run.stdout() + run.stderr()).not.toContain(credential);
  }, 20_000);

  it('a --header value with CRLF is a command-line mistake: unsent, and not repeated', async () => {
    const run = rxchat([
      'chat',
      '--base-url',
      server.baseURL,
      '--header',
      'x-tag:a\r\nx-injected: 1',
      'Hi',
    ]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toBe(
      `rxchat chat: --header: the value of header "x-tag" contains a line break (CR or LF); it was not sent\nSee 'rxchat chat --help' for more.\n`,
    );
    expect(server.requests).toHaveLength(0);
  }, 20_000);
});
