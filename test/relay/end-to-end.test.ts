import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { mockAnswerText, startMockServer, type MockServer } from '../../src/mock-server';
import {
  contentDeltas,
  createChatClient,
  fetchTransport,
  relayStream,
  RxChatError,
  undiciTransport,
} from '../../src/node';
import { createRelay, type Relay } from '../../src/relay';
import { settlesWithin } from '../helpers/loopback';
import { expectNothingLeftOpen } from '../helpers/leaks';

// The whole path over real sockets: the mock server (the model) → the client → the relay's log →
// its SSE handler → relayStream() in a reader, as a browser would read it.

expectNothingLeftOpen();

const prompt = 'Tell me about relays';
let model: MockServer;
let relay: Relay;
let server: Server;
let base: string;

beforeEach(async () => {
  model = await startMockServer({ pace: { tokensPerSecond: 200 } });
  relay = createRelay({ prefix: '/relay' });
  server = createServer(relay.handler());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/relay`;
});

afterEach(async () => {
  await relay.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await model.close();
});

const upstream = () =>
  createChatClient({ baseURL: model.url, transport: undiciTransport(), retry: false }).stream({
    model: 'mock-1',
    messages: [{ role: 'user', content: prompt }],
  });

describe('relay end to end', () => {
  it('two readers, one late, read the same whole answer through relayStream()', async () => {
    relay.start('run-1', upstream());
    const url = `${base}/runs/run-1/events`;
    const first = lastValueFrom(
      relayStream(url, { transport: fetchTransport() }).pipe(contentDeltas(), toArray()),
    );
    await new Promise((resolve) => setTimeout(resolve, 40));
    const late = lastValueFrom(
      relayStream(url, { transport: fetchTransport() }).pipe(contentDeltas(), toArray()),
    );
    expect((await first).join('')).toBe(mockAnswerText(prompt));
    expect((await late).join('')).toBe(mockAnswerText(prompt));
    // One upstream request, however many readers.
    expect(model.requests).toHaveLength(1);
  });

  it('a stop from anywhere ends every reader with aborted and closes the upstream socket', async () => {
    relay.start('run-2', upstream());
    const url = `${base}/runs/run-2/events`;
    // Caught at once: the rejection comes before the test awaits it.
    const reading = lastValueFrom(
      relayStream(url, { transport: fetchTransport() }).pipe(toArray()),
    ).catch((error: unknown) => error);
    await firstValueFrom(relayStream(url, { transport: fetchTransport() }).pipe(contentDeltas()));
    const stopped = await fetch(`${base}/runs/run-2/stop`, { method: 'POST' });
    expect(await stopped.json()).toEqual({ stopped: true });
    const error = await reading;
    expect(RxChatError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'aborted', message: 'The run was stopped' });
    expect(await settlesWithin(model.requests[0]!.closed, 2000)).toBe(true);
    expect(await model.requests[0]!.closed).toEqual({ byClient: true });
  });

  it('a reader that left resumes after its offset: nothing repeated, nothing lost', async () => {
    relay.start('run-3', upstream());
    const url = `${base}/runs/run-3/events`;
    const firstPart = await lastValueFrom(
      relayStream(url, { transport: fetchTransport() }).pipe(contentDeltas(), toArray()),
    );
    // The run is over; a reader that had the entries up to 2 asks for the rest.
    const rest = await lastValueFrom(
      relayStream(url, { transport: fetchTransport(), after: 2 }).pipe(toArray()),
    );
    const all = await lastValueFrom(
      relayStream(url, { transport: fetchTransport() }).pipe(toArray()),
    );
    expect(rest).toEqual(all.slice(3));
    expect(firstPart.join('')).toBe(mockAnswerText(prompt));
  });
});
