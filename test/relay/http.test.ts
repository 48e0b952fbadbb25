import { connect } from 'node:net';
import { createRelay, type Relay } from '../../src/relay';
import { delay } from '../helpers/loopback';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { servedRelays, text, upstream } from './relay-helpers';
import { openSse, send, serve, type Frame } from './sse-client';

// The relay over real HTTP: SSE framing, resumption by offset, keep-alive, errors, stop, slow
// readers and many readers.

expectNothingLeftOpen();

const { setUp, cleanUp } = servedRelays();

/** A finished run of `n` events. */
async function finishedRun(relay: Relay, runId: string, n: number) {
  const up = upstream();
  const run = relay.start(runId, up.source$);
  for (let i = 0; i < n; i++) up.events.next(text(`t${i}`));
  up.events.complete();
  await run.done;
}

const ids = (frames: Frame[]) => frames.filter((f) => f.data !== undefined).map((f) => f.id);

describe('GET /runs/{runId}/events', () => {
  it('serves the log as SSE: id = offset, data = the event, then event: end', async () => {
    const { relay, served } = await setUp({ prefix: '/relay' });
    await finishedRun(relay, 'run 1', 2);
    const reader = await openSse(`${served.url}/relay/runs/run%201/events`);
    await reader.ended;
    expect(reader.status).toBe(200);
    expect(reader.headers).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    expect(reader.frames).toEqual([
      { id: '0', data: JSON.stringify(text('t0')) },
      { id: '1', data: JSON.stringify(text('t1')) },
      { event: 'end', id: '2', data: '{"status":"completed"}' },
    ]);
  });

  it('resumes after Last-Event-ID, else ?after=: nothing repeated, nothing lost', async () => {
    const { relay, served } = await setUp();
    await finishedRun(relay, 'r', 5);
    const all = ['0', '1', '2', '3', '4', '5'];
    for (let after = -1; after <= 5; after++) {
      const rest = all.filter((id) => Number(id) > after);
      const byHeader = await openSse(`${served.url}/runs/r/events`, {
        'last-event-id': String(after),
      });
      const byQuery = await openSse(`${served.url}/runs/r/events?after=${after}`);
      // The header wins over the query, as EventSource's reconnect sends the header.
      const both = await openSse(`${served.url}/runs/r/events?after=0`, {
        'last-event-id': String(after),
      });
      await Promise.all([byHeader.ended, byQuery.ended, both.ended]);
      // A Last-Event-ID at the end's offset (5): 204, so that an EventSource stops reconnecting.
      expect([after, byHeader.status, ids(byHeader.frames)]).toEqual(
        after === 5 ? [after, 204, []] : [after, 200, rest],
      );
      expect([after, ids(byQuery.frames)]).toEqual([after, after === 5 ? ['5'] : rest]);
      expect([after, both.status]).toEqual([after, after === 5 ? 204 : 200]);
    }
    expect((await send(`${served.url}/runs/r/events?after=x`, 'GET')).status).toBe(400);
    // Past the end's offset: never sent by this run.
    expect(await send(`${served.url}/runs/r/events?after=6`, 'GET')).toMatchObject({
      status: 400,
      json: { error: { code: 'invalid_offset' } },
    });
  });

  it('answers 400 for an offset a running run has not reached, instead of skipping to it', async () => {
    const { relay, served } = await setUp();
    const up = upstream();
    relay.start('live', up.source$);
    up.events.next(text('a'));
    up.events.next(text('b'));
    expect(await send(`${served.url}/runs/live/events?after=2`, 'GET')).toMatchObject({
      status: 400,
      json: {
        error: { code: 'invalid_offset', message: expect.stringContaining('last entry is 1') },
      },
    });
    const reader = await openSse(`${served.url}/runs/live/events`, { 'last-event-id': '1' });
    up.events.next(text('c'));
    up.events.complete();
    await reader.ended;
    expect(ids(reader.frames)).toEqual(['2', '3']);
  });

  it('lets a live reader leave and come back from its last id, without stopping the run', async () => {
    const { relay, served } = await setUp();
    const up = upstream();
    const run = relay.start('live', up.source$);
    const seen: Frame[] = [];
    let lastId = '-1';
    for (let round = 0; round < 4; round++) {
      const reader = await openSse(`${served.url}/runs/live/events`, { 'last-event-id': lastId });
      for (let i = 0; i < 3; i++) up.events.next(text(`r${round}-${i}`));
      await reader.entries(3);
      reader.close();
      await reader.ended;
      seen.push(...reader.frames);
      lastId = reader.frames.at(-1)!.id!;
      up.events.next(text(`gap${round}`)); // while nobody reads
    }
    expect(up.state.unsubscribed).toBe(0);
    up.events.complete();
    const last = await openSse(`${served.url}/runs/live/events`, { 'last-event-id': lastId });
    await last.ended;
    seen.push(...last.frames);
    expect(ids(seen)).toEqual(Array.from({ length: 17 }, (_, i) => String(i)));
    expect(seen.at(-1)).toEqual({ event: 'end', id: '16', data: '{"status":"completed"}' });
    expect(await run.done).toEqual({ status: 'completed' });
  });

  it('sends keep-alive comments while idle', async () => {
    const { relay, served } = await setUp({ keepAliveMs: 20 });
    const up = upstream();
    relay.start('idle', up.source$);
    const reader = await openSse(`${served.url}/runs/idle/events`);
    await delay(90);
    const comments = reader.frames.filter((f) => f.comment === 'keep-alive').length;
    expect(comments).toBeGreaterThanOrEqual(2);
    up.events.complete();
    await reader.ended;
    expect(reader.frames.at(-1)).toMatchObject({ event: 'end' });
  });

  it('answers 404 for an unknown run and for other paths, or calls next()', async () => {
    const { served } = await setUp();
    expect(await send(`${served.url}/runs/nope/events`, 'GET')).toMatchObject({
      status: 404,
      json: { error: { code: 'run_not_found', message: expect.stringContaining('nope') } },
    });
    expect(await send(`${served.url}/runs/nope/stop`, 'POST')).toMatchObject({
      status: 404,
      json: { error: { code: 'run_not_found' } },
    });
    expect(await send(`${served.url}/elsewhere`, 'GET')).toMatchObject({ status: 404 });
    expect(await send(`${served.url}/runs/nope/events`, 'POST')).toMatchObject({
      status: 405,
      headers: { allow: 'GET' },
    });
    const relay = createRelay();
    cleanUp.push(() => relay.close());
    const withNext = await serve(relay, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"from":"next"}');
    });
    cleanUp.push(() => withNext.close());
    expect(await send(`${withNext.url}/elsewhere`, 'GET')).toMatchObject({
      status: 200,
      json: { from: 'next' },
    });
  });

  it('answers 403 when authorize says no', async () => {
    const asked: unknown[] = [];
    const { relay, served } = await setUp({
      authorize: async (req, access) => {
        asked.push(access);
        return req.headers.authorization === 'Bearer ok';
      },
    });
    await finishedRun(relay, 'r', 1);
    expect(await send(`${served.url}/runs/r/events`, 'GET')).toMatchObject({
      status: 403,
      json: { error: { code: 'forbidden' } },
    });
    expect(await send(`${served.url}/runs/r/stop`, 'POST')).toMatchObject({ status: 403 });
    // Before the lookup: an unknown run is 403 too, so a stranger cannot probe for runs.
    expect(await send(`${served.url}/runs/other/events`, 'GET')).toMatchObject({ status: 403 });
    expect(asked).toEqual([
      { runId: 'r', action: 'read' },
      { runId: 'r', action: 'stop' },
      { runId: 'other', action: 'read' },
    ]);
    const allowed = await openSse(`${served.url}/runs/r/events`, { authorization: 'Bearer ok' });
    await allowed.ended;
    expect(ids(allowed.frames)).toEqual(['0', '1']);
  });
});

describe('POST /runs/{runId}/stop', () => {
  it('stops the run from another connection; the streaming reader gets the end', async () => {
    const { relay, served } = await setUp();
    const up = upstream();
    const run = relay.start('r', up.source$);
    const reader = await openSse(`${served.url}/runs/r/events`);
    up.events.next(text('a'));
    await reader.entries(1);
    expect(await send(`${served.url}/runs/r/stop`, 'POST')).toMatchObject({
      status: 200,
      json: { stopped: true },
    });
    await reader.ended;
    expect(reader.frames).toEqual([
      { id: '0', data: JSON.stringify(text('a')) },
      { event: 'end', id: '1', data: '{"status":"stopped"}' },
    ]);
    expect(up.state.unsubscribed).toBe(1);
    expect(await run.done).toEqual({ status: 'stopped' });
    expect(await send(`${served.url}/runs/r/stop`, 'POST')).toMatchObject({
      status: 200,
      json: { stopped: false },
    });
  });
});

describe('relay.close()', () => {
  it('ends open readers (their runs truncated) and answers 503 afterwards', async () => {
    const { relay, served } = await setUp();
    const up = upstream();
    relay.start('r', up.source$);
    const reader = await openSse(`${served.url}/runs/r/events`);
    up.events.next(text('a'));
    await reader.entries(1);
    await relay.close();
    await reader.ended;
    expect(reader.frames.at(-1)).toEqual({
      event: 'end',
      id: '1',
      data: '{"status":"truncated"}',
    });
    expect(up.state.unsubscribed).toBe(1);
    expect(await send(`${served.url}/runs/r/events`, 'GET')).toMatchObject({
      status: 503,
      json: { error: { code: 'relay_closed' } },
    });
  });
});

describe('readers at scale', () => {
  it('cuts a reader that never reads once over its budget, while a fast one gets everything', async () => {
    const { relay, served } = await setUp({ readerBudgetBytes: 64 * 1024 });
    const up = upstream();
    const run = relay.start('big', up.source$);
    // A raw socket that sends its request and never reads a byte.
    const slow = connect(Number(new URL(served.url).port), '127.0.0.1');
    cleanUp.push(async () => void slow.destroy());
    slow.on('error', () => undefined);
    slow.pause();
    slow.write('GET /runs/big/events HTTP/1.1\r\nhost: x\r\n\r\n');
    while (served.responses.length < 1) await delay(5);
    const slowResponse = served.responses[0]!;
    const fast = await openSse(`${served.url}/runs/big/events`);
    // 20 MB in all, at a pace the fast reader keeps up with: far beyond what the kernel's
    // socket buffers hold for the slow one.
    const piece = 'x'.repeat(10_000);
    for (let i = 0; i < 2000; i++) {
      up.events.next(text(piece));
      if (i % 4 === 3) await delay(0);
    }
    up.events.complete();
    await run.done;
    await fast.ended;
    expect(ids(fast.frames)).toEqual(Array.from({ length: 2001 }, (_, i) => String(i)));
    expect(slowResponse.destroyed).toBe(true);
    expect(slowResponse.writableFinished).toBe(false); // cut, not ended
  });

  it('cuts a reader of a finished run that stays paused for readerStallMs', async () => {
    const { relay, served } = await setUp({ readerStallMs: 300 });
    const up = upstream();
    const run = relay.start('big-done', up.source$);
    const piece = 'x'.repeat(10_000);
    for (let i = 0; i < 2000; i++) up.events.next(text(piece));
    up.events.complete();
    await run.done;
    // The run owes this reader nothing new: only the time rule can free its socket.
    const slow = connect(Number(new URL(served.url).port), '127.0.0.1');
    cleanUp.push(async () => void slow.destroy());
    slow.on('error', () => undefined);
    slow.pause();
    slow.write('GET /runs/big-done/events HTTP/1.1\r\nhost: x\r\n\r\n');
    while (served.responses.length < 1) await delay(5);
    const response = served.responses[0]!;
    await delay(100);
    expect(response.destroyed).toBe(false); // paused, not cut yet
    const pausedAt = Date.now();
    while (!response.destroyed && Date.now() - pausedAt < 3_000) await delay(20);
    expect(response.destroyed).toBe(true);
    expect(response.writableFinished).toBe(false); // cut, not ended
  });

  it('feeds a late reader a log far larger than its budget, pausing instead of cutting', async () => {
    const { relay, served } = await setUp({ readerBudgetBytes: 32 * 1024 });
    const up = upstream();
    const run = relay.start('long', up.source$);
    for (let i = 0; i < 500; i++) up.events.next(text('y'.repeat(4_000)));
    up.events.complete();
    await run.done;
    const late = await openSse(`${served.url}/runs/long/events`);
    await late.ended;
    expect(ids(late.frames)).toEqual(Array.from({ length: 501 }, (_, i) => String(i)));
  });

  it('serves 200 concurrent readers identical entries', async () => {
    const { relay, served } = await setUp();
    const up = upstream();
    const run = relay.start('many', up.source$);
    const readers = await Promise.all(
      Array.from({ length: 200 }, () => openSse(`${served.url}/runs/many/events`)),
    );
    for (let i = 0; i < 1000; i++) {
      up.events.next(text(`token ${i} `));
      if (i % 100 === 99) await delay(1);
    }
    up.events.complete();
    await run.done;
    await Promise.all(readers.map((reader) => reader.ended));
    const first = readers[0]!.frames;
    expect(ids(first)).toEqual(Array.from({ length: 1001 }, (_, i) => String(i)));
    for (const reader of readers) expect(reader.frames).toEqual(first);
  }, 10_000);
});
