import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lastValueFrom, Observable, of, Subject, throwError, toArray } from 'rxjs';
import type { ChatStreamEvent } from '../../src/chunks/types';
import { RxChatError } from '../../src/errors';
import { createRelay, redisStore, type RelayStartRequest } from '../../src/relay';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { describeWithRedis, startRedis } from '../helpers/redis';
import { servedRelays, text } from './relay-helpers';
import { openSse, send } from './sse-client';

// `POST {prefix}/runs` with a start hook: a browser starts a run and gets its URLs in one trip.

expectNothingLeftOpen();

const { setUp, cleanUp } = servedRelays();

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('POST /runs', () => {
  it('starts a run from the body and answers its id and URLs; readers find it at once', async () => {
    const seen: RelayStartRequest[] = [];
    const { relay, served } = await setUp({
      start: (request) => {
        seen.push(request);
        const { words } = request.body as { words: string[] };
        return of(...words.map(text));
      },
    });
    const started = await post(`${served.url}/runs`, '{"words":["a","b"]}', { 'x-tag': 'one' });
    expect(started.status).toBe(201);
    const id = started.json.id as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.json).toEqual({
      id,
      events: `/runs/${id}/events`,
      stop: `/runs/${id}/stop`,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.runId).toBe(id);
    expect(seen[0]!.req.headers['x-tag']).toBe('one');
    const reader = await openSse(`${served.url}${started.json.events as string}`);
    await reader.ended;
    expect(reader.frames.map((f) => f.data)).toEqual([
      JSON.stringify(text('a')),
      JSON.stringify(text('b')),
      '{"status":"completed"}',
    ]);
    expect(await relay.store.info(id)).toEqual({ events: 2, end: { status: 'completed' } });
    // Two starts, two runs.
    const again = await post(`${served.url}/runs`, '{"words":[]}');
    expect(again.json.id).not.toBe(id);
  });

  it('awaits a hook that returns a promise, and the stop URL stops the run', async () => {
    const events = new Subject<ChatStreamEvent>();
    let unsubscribed = 0;
    const { served } = await setUp({
      prefix: '/relay',
      start: async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return new Observable<ChatStreamEvent>((subscriber) => {
          const subscription = events.subscribe(subscriber);
          return () => {
            unsubscribed++;
            subscription.unsubscribe();
          };
        });
      },
    });
    const started = await post(`${served.url}/relay/runs/`, '{}');
    expect(started.status).toBe(201);
    expect(started.json.events).toBe(`/relay/runs/${started.json.id as string}/events`);
    const reader = await openSse(`${served.url}${started.json.events as string}`);
    events.next(text('x'));
    await reader.entries(1);
    expect(await send(`${served.url}${started.json.stop as string}`, 'POST')).toMatchObject({
      status: 200,
      json: { stopped: true },
    });
    await reader.ended;
    expect(reader.frames.at(-1)).toMatchObject({ event: 'end', data: '{"status":"stopped"}' });
    expect(unsubscribed).toBe(1);
  });

  it('answers 400 invalid_json, 413 body_too_large, 400 invalid_request and 500, starting nothing', async () => {
    const { relay, served } = await setUp({
      maxStartBytes: 64,
      start: ({ body }) => {
        const { fail } = body as { fail?: string };
        if (fail === 'validation') throw new RxChatError('validation_error', 'model is missing');
        if (fail === 'bug') throw new Error('secret internals');
        return of(text('ok'));
      },
    });
    const runs = `${served.url}/runs`;
    expect(await post(runs, '{"unclosed')).toEqual({
      status: 400,
      json: { error: { code: 'invalid_json', message: 'The request body is not JSON' } },
    });
    expect(await post(runs, JSON.stringify({ pad: 'x'.repeat(100) }))).toMatchObject({
      status: 413,
      json: { error: { code: 'body_too_large' } },
    });
    expect(await post(runs, '{"fail":"validation"}')).toEqual({
      status: 400,
      json: { error: { code: 'invalid_request', message: 'model is missing' } },
    });
    const bug = await post(runs, '{"fail":"bug"}');
    expect(bug.status).toBe(500);
    // An unexpected error's text stays on the server.
    expect(JSON.stringify(bug.json)).not.toContain('secret');
    const ok = await post(runs, '{}');
    expect(ok.status).toBe(201);
    expect(await relay.store.info(ok.json.id as string)).toBeDefined();
  });

  it('starts one run per Idempotency-Key: a repeated or concurrent start gets the same run', async () => {
    let subscribed = 0;
    let hooked = 0;
    const { served } = await setUp({
      start: () => {
        hooked++;
        return new Observable<ChatStreamEvent>(() => {
          subscribed++;
        });
      },
    });
    const key = 'page-7f3c1e2a-run-1';
    const headers = { 'idempotency-key': key };
    const first = await post(`${served.url}/runs`, '{}', headers);
    expect(first).toEqual({
      status: 201,
      json: { id: key, events: `/runs/${key}/events`, stop: `/runs/${key}/stop` },
    });
    // A page reloaded before it saw the 201 asks again with its key: the same run, not a second.
    expect(await post(`${served.url}/runs`, '{}', headers)).toEqual({
      status: 200,
      json: first.json,
    });
    expect([hooked, subscribed]).toEqual([1, 1]);
    // Two at once with a new key: one starts it, the other gets it.
    const other = { 'idempotency-key': 'another-key-0123456789' };
    const both = await Promise.all([
      post(`${served.url}/runs`, '{}', other),
      post(`${served.url}/runs`, '{}', other),
    ]);
    expect(both.map((answer) => answer.status).sort()).toEqual([200, 201]);
    expect(both[0]!.json).toEqual(both[1]!.json);
    expect(subscribed).toBe(2);
    for (const bad of ['short', 'has spaces in it, sixteen+', 'x'.repeat(129)]) {
      expect(await post(`${served.url}/runs`, '{}', { 'idempotency-key': bad })).toMatchObject({
        status: 400,
        json: { error: { code: 'invalid_idempotency_key' } },
      });
    }
  });

  it('asks authorize with action start before reading the body', async () => {
    const asked: unknown[] = [];
    let started = 0;
    const { served } = await setUp({
      authorize: (req, access) => {
        asked.push(access.action);
        return req.headers.authorization === 'Bearer ok';
      },
      start: () => {
        started++;
        return of(text('a'));
      },
    });
    expect(await post(`${served.url}/runs`, '{}')).toMatchObject({
      status: 403,
      json: { error: { code: 'forbidden' } },
    });
    expect(started).toBe(0);
    expect(await post(`${served.url}/runs`, '{}', { authorization: 'Bearer ok' })).toMatchObject({
      status: 201,
    });
    expect(asked).toEqual(['start', 'start']);
  });

  it('is no route without a start hook; GET /runs is 405 with one', async () => {
    const without = await setUp({});
    expect(await send(`${without.served.url}/runs`, 'POST')).toMatchObject({
      status: 404,
      json: { error: { code: 'not_found' } },
    });
    const withHook = await setUp({ start: () => of(text('a')) });
    const answer = await send(`${withHook.served.url}/runs`, 'GET');
    expect(answer).toMatchObject({ status: 405, json: { error: { code: 'method_not_allowed' } } });
  });

  it('names the URLs with the mount path an Express-style router stripped', async () => {
    const relay = createRelay({ start: () => of(text('a')) });
    cleanUp.push(() => relay.close());
    const handler = relay.handler();
    // What Express does for app.use('/api/relay', handler): req.url loses the mount path.
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const original = req.url!;
      Object.assign(req, { originalUrl: original, url: original.slice('/api/relay'.length) });
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanUp.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const started = await post(`${url}/api/relay/runs`, '{}');
    expect(started.json.events).toBe(`/api/relay/runs/${started.json.id as string}/events`);
    const reader = await openSse(`${url}${started.json.events as string}`);
    await reader.ended;
    expect(reader.frames.at(-1)).toMatchObject({ event: 'end' });
  });

  it('rejects a start hook that is not a function, and a bad maxStartBytes', () => {
    expect(() => createRelay({ start: 'x' as never })).toThrow(RangeError);
    expect(() => createRelay({ maxStartBytes: 0, start: () => throwError(() => 1) })).toThrow(
      /maxStartBytes/,
    );
  });
});

describeWithRedis('POST /runs on the Redis store', () => {
  it('starts runs that readers find; run.started rejects for a taken id', async () => {
    const redis = await startRedis();
    cleanUp.push(() => redis.stop());
    const store = redisStore({ url: redis.url }, { prefix: 'rxchat:start-route:' });
    cleanUp.push(() => store.close());
    const events = new Subject<ChatStreamEvent>();
    const { relay, served } = await setUp({ store, start: () => events.asObservable() });
    const readers = [];
    for (let i = 0; i < 3; i++) {
      const started = await post(`${served.url}/runs`, '{}');
      expect(started.status).toBe(201);
      readers.push(await openSse(`${served.url}${started.json.events as string}`));
    }
    events.next(text('to all three'));
    events.complete();
    for (const reader of readers) {
      await reader.ended;
      expect(reader.frames.map((f) => f.data)).toEqual([
        JSON.stringify(text('to all three')),
        '{"status":"completed"}',
      ]);
    }
    // Two starts with one key at once: Redis claims it for one, the other gets that run.
    const keyed = { 'idempotency-key': 'redis-key-0123456789' };
    const both = await Promise.all([
      post(`${served.url}/runs`, '{}', keyed),
      post(`${served.url}/runs`, '{}', keyed),
    ]);
    expect(both.map((answer) => answer.status).sort()).toEqual([200, 201]);
    // The claim is asynchronous with Redis: a taken id shows in `started` (and `done`).
    const first = relay.start('taken', of(text('a')));
    await first.started;
    await first.done;
    const second = relay.start('taken', of(text('b')));
    await expect(second.started).rejects.toMatchObject({ code: 'validation_error' });
    await expect(second.done).rejects.toMatchObject({ code: 'validation_error' });
  });
});

describe('response events in the log', () => {
  const response = (headers: Record<string, string>): ChatStreamEvent => ({
    type: 'response',
    status: 200,
    headers,
    requestId: 'req_1',
  });

  it('keep only the allowed upstream headers: readers never see set-cookie or account ids', async () => {
    const relay = createRelay();
    cleanUp.push(() => relay.close());
    const upstreamHeaders = {
      'content-type': 'text/event-stream',
      'x-request-id': 'req_1',
      'set-cookie': '__cf_bm=secret',
      'openai-organization': 'org-secret',
      'x-ratelimit-remaining-tokens': '100',
    };
    await relay.start('r', of(response(upstreamHeaders), text('a'))).done;
    const entries = await lastValueFrom(relay.events('r').pipe(toArray()));
    expect(entries[0]).toEqual({
      offset: 0,
      event: response({ 'content-type': 'text/event-stream', 'x-request-id': 'req_1' }),
    });
    expect(entries[1]).toEqual({ offset: 1, event: text('a') });

    const custom = createRelay({ responseHeaders: ['X-RateLimit-Remaining-Tokens'] });
    cleanUp.push(() => custom.close());
    await custom.start('r', of(response(upstreamHeaders))).done;
    const [first] = await lastValueFrom(custom.events('r').pipe(toArray()));
    expect(first).toEqual({
      offset: 0,
      event: response({ 'x-ratelimit-remaining-tokens': '100' }),
    });
  });
});
