import { inspect } from 'node:util';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lastValueFrom, Observable, switchMap, toArray } from 'rxjs';
import {
  contentDeltas,
  relayStream,
  RxChatError,
  startRelayRun,
  stopRelayRun,
  undiciTransport,
  type ChatStreamEvent,
} from '../../src/node';
import { createRelay, type Relay } from '../../src/relay';
import { textEvent } from '../../src/testing';
import { expectNothingLeftOpen } from '../helpers/leaks';

// startRelayRun() and stopRelayRun() against a real relay on loopback: the browser's side of
// POST {prefix}/runs and POST …/stop.

expectNothingLeftOpen();

let relay: Relay;
let server: Server;
let base: string;
let started: unknown[];
let unsubscribed: number;

beforeEach(async () => {
  started = [];
  unsubscribed = 0;
  relay = createRelay({
    prefix: '/api/relay',
    authorize: (req) => req.headers.authorization !== 'Bearer wrong',
    start: ({ body }) => {
      started.push(body);
      const { words, hold } = body as { words: string[]; hold?: boolean };
      return new Observable<ChatStreamEvent>((subscriber) => {
        for (const word of words) subscriber.next(textEvent(word));
        if (!hold) subscriber.complete();
        return () => unsubscribed++;
      });
    },
  });
  server = createServer(relay.handler());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/relay`;
});

afterEach(async () => {
  await relay.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('startRelayRun and stopRelayRun', () => {
  it('starts a run and gives absolute URLs that relayStream reads', async () => {
    const text = await lastValueFrom(
      startRelayRun(`${base}/runs`, { words: ['Hel', 'lo'] }).pipe(
        switchMap((run) => {
          expect(run).toEqual({
            id: expect.stringMatching(/^[0-9a-f-]{36}$/),
            events: `${base}/runs/${run.id}/events`,
            stop: `${base}/runs/${run.id}/stop`,
            existing: false,
          });
          return relayStream(run.events);
        }),
        contentDeltas(),
        toArray(),
      ),
    );
    expect(text.join('')).toBe('Hello');
  });

  it('with a key, a second start gets the first run (existing), starting nothing', async () => {
    const key = 'page-key-0123456789';
    const first = await lastValueFrom(
      startRelayRun(`${base}/runs`, { words: ['a'], hold: true }, { key }),
    );
    const again = await lastValueFrom(
      startRelayRun(
        `${base}/runs`,
        { words: ['b'], hold: true },
        { key, transport: undiciTransport() },
      ),
    );
    expect(first).toMatchObject({ id: key, existing: false });
    expect(again).toEqual({ ...first, existing: true });
    expect(started).toEqual([{ words: ['a'], hold: true }]);
    // Stop: the upstream is unsubscribed; a second stop finds it ended.
    expect(await lastValueFrom(stopRelayRun(first.stop))).toBe(true);
    expect(unsubscribed).toBe(1);
    expect(await lastValueFrom(stopRelayRun(first.stop))).toBe(false);
  });

  it('fails with the relay’s error as an http_error, with no secret header in it', async () => {
    const forbidden = await lastValueFrom(
      startRelayRun(`${base}/runs`, {}, { headers: { authorization: 'Bearer wrong' } }),
    ).catch((error: unknown) => error);
    expect(RxChatError.isInstance(forbidden)).toBe(true);
    expect(forbidden).toMatchObject({ code: 'http_error', status: 403 });
    for (const rendering of [JSON.stringify(forbidden), inspect(forbidden), String(forbidden)]) {
      expect(rendering).not.toContain('Bearer wrong');
    }
    const badKey = await lastValueFrom(startRelayRun(`${base}/runs`, {}, { key: 'short' })).catch(
      (error: unknown) => error,
    );
    expect(badKey).toMatchObject({ code: 'http_error', status: 400 });
    expect((badKey as Error).message).toContain('Idempotency-Key');
    const unknown = await lastValueFrom(stopRelayRun(`${base}/runs/nope/stop`)).catch(
      (error: unknown) => error,
    );
    expect(unknown).toMatchObject({ code: 'http_error', status: 404 });
  });

  it('fails with validation_error when the answer is not a run', async () => {
    const other = createServer((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}/runs`;
    try {
      const error = await lastValueFrom(startRelayRun(url, {})).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'validation_error' });
    } finally {
      other.closeAllConnections();
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });
});
