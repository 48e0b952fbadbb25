import { startMockServer, type MockServer } from '../../src/mock-server';
import { expectNothingLeftOpen } from '../helpers/leaks';

// The `routes` option: more routes on the mock server's origin (how `rxchat serve --relay` puts
// a relay beside the model).

expectNothingLeftOpen();

let server: MockServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const originOf = (s: MockServer) => new URL(s.url).origin;

describe('startMockServer({ routes })', () => {
  it('offers every request to routes first; next() hands it to the mock, which records it', async () => {
    const offered: string[] = [];
    server = await startMockServer({
      routes: (req, res, next) => {
        offered.push(`${req.method} ${req.url}`);
        if (req.url !== '/extra') return next();
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('extra route');
      },
    });
    const extra = await fetch(`${originOf(server)}/extra`);
    expect(await extra.text()).toBe('extra route');
    // The mock's CORS headers are on the route's answer too.
    expect(extra.headers.get('access-control-allow-origin')).toBe('*');
    const models = await fetch(`${server.url}/models`);
    expect(models.status).toBe(200);
    expect(offered).toEqual(['GET /extra', 'GET /v1/models']);
    // Only what the mock answered is recorded.
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/models']);
  });

  it('answers preflights itself, and a route that throws with a 500', async () => {
    let calls = 0;
    server = await startMockServer({
      routes: () => {
        calls++;
        throw new Error('route bug');
      },
    });
    const preflight = await fetch(`${originOf(server)}/extra`, {
      method: 'OPTIONS',
      headers: { 'access-control-request-headers': 'last-event-id' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('last-event-id');
    expect(calls).toBe(0);
    const failed = await fetch(`${originOf(server)}/extra`);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: { code: 'server_error' } });
    expect(calls).toBe(1);
  });

  it('rejects routes that are not a function', async () => {
    await expect(startMockServer({ routes: 'nope' as never })).rejects.toThrow(RangeError);
  });
});
