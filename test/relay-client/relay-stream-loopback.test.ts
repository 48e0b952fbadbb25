import type { ServerResponse } from 'node:http';
import { firstValueFrom, take, toArray } from 'rxjs';
import { relayStream, type ChatStreamEvent } from '../../src';
import { textEvent } from '../../src/testing';
import { delay, settlesWithin, sseHead, startLoopback, type Loopback } from '../helpers/loopback';

// relayStream over real HTTP (fetch, the default transport) against a node:http server that
// speaks the relay's wire format.
const run: ChatStreamEvent[] = ['A', 'B', 'C', 'D', 'E', 'F'].map((text) => textEvent(text));

const entry = (offset: number) => `id: ${offset}\ndata: ${JSON.stringify(run[offset])}\n\n`;

/** The offset the reader asked to resume after (-1 for none), from `?after=`. */
function afterOf(url: string): number {
  const after = new URL(url, 'http://x').searchParams.get('after');
  return after === null ? -1 : Number(after);
}

function write(res: ServerResponse, text: string): Promise<void> {
  return new Promise((resolve) => res.write(text, () => resolve()));
}

describe('relayStream over a loopback server', () => {
  let server: Loopback;
  afterEach(() => server?.close());

  it('reconnects after a cut and joins the whole run, each event once', async () => {
    server = await startLoopback((req, res, received) => {
      void (async () => {
        const after = afterOf(received.url);
        sseHead(res);
        await write(res, ': keep-alive\n\n');
        const first = after + 1;
        // The first connection is cut after 3 entries; the next one sends the rest and the end.
        const last = received === server.requests[0] ? first + 2 : run.length - 1;
        // Resend the entry at `after`, as a careless server may: the reader must skip it.
        for (let offset = Math.max(0, after); offset <= last; offset++) {
          await write(res, entry(offset));
        }
        if (last < run.length - 1) {
          await delay(20);
          res.destroy();
          return;
        }
        res.end(`event: end\nid: ${run.length}\ndata: {"status":"completed"}\n\n`);
      })();
    });
    const url = `${server.baseURL}/relay/runs/abc/events`;
    const events = await firstValueFrom(
      relayStream(url, { retry: { baseDelay: 10 } }).pipe(toArray()),
    );
    expect(events).toEqual(run);
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(first!.headers['last-event-id']).toBeUndefined();
    expect(first!.headers.accept).toBe('text/event-stream');
    expect(second!.headers['last-event-id']).toBe('2');
    expect(second!.url).toBe('/v1/relay/runs/abc/events?after=2');
  });

  it('closes its connection when unsubscribed, and sends nothing else', async () => {
    server = await startLoopback((_req, res) => {
      sseHead(res);
      res.write(entry(0));
      const timer = setInterval(() => res.write(': keep-alive\n\n'), 20);
      res.on('close', () => clearInterval(timer));
    });
    const url = `${server.baseURL}/relay/runs/abc/events`;
    const events = await firstValueFrom(relayStream(url).pipe(take(1), toArray()));
    expect(events).toEqual([run[0]]);
    const [request] = server.requests;
    expect(await settlesWithin(request!.closed, 2000)).toBe(true);
    await delay(50);
    expect(server.requests).toHaveLength(1);
  });
});
