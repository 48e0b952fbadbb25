import { Agent, request as httpRequest } from 'node:http';
import {
  EMPTY,
  first,
  lastValueFrom,
  map,
  NEVER,
  Observable,
  of,
  Subject,
  switchMap,
  throwError,
  toArray,
} from 'rxjs';
import {
  contentDeltas,
  createChatClient,
  createTransportResponse,
  RxChatError,
  type BodySource,
  type ChatHttpRequest,
  type ChatHttpResponse,
  type ChatTransport,
  type TransportStart,
} from '../../src';
import { callTransport } from '../../src/transport/transport-response';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { delay, settlesWithin, sseHead, startLoopback, type Loopback } from '../helpers/loopback';
import { chunk } from '../helpers/marbles';
import { sseWire } from '../../src/testing';
import { outcome } from './outcome';

// createTransportResponse against transports a user would write: one over node:http, talking
// to a real server on 127.0.0.1 (cancellation is asserted from the server side), and small
// scripted ones for the rules that need no socket.

const agent = new Agent({ keepAlive: true });
afterAll(() => agent.destroy());

/** The example of createTransportResponse's documentation, as a user would write it. */
const nodeHttpTransport: ChatTransport = (request) =>
  createTransportResponse(({ signal, respond, fail }) => {
    const req = httpRequest(request.url, {
      method: request.method,
      headers: request.headers,
      signal,
      agent,
    });
    req.on('error', fail);
    req.on('response', (res) =>
      respond({
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: {
          open(sink) {
            res.on('data', (piece: Uint8Array) => sink.next(piece));
            res.on('end', () => sink.complete());
            res.on('error', (error) => sink.error(error));
          },
          cancel: () => res.destroy(),
        },
      }),
    );
    req.end(request.body);
  });

const chatRequest = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };
const post = (url: string): ChatHttpRequest => ({
  method: 'POST',
  url,
  headers: { 'content-type': 'application/json' },
  body: '{}',
});

expectNothingLeftOpen();

describe('createTransportResponse with a user transport over node:http', () => {
  let server: Loopback;
  beforeEach(async () => {
    server = await startLoopback((_req, res) => {
      sseHead(res, { 'X-Request-Id': 'req_1' });
      res.end(
        sseWire([chunk({ content: 'Hel' }), chunk({ content: 'lo' }, { finish_reason: 'stop' })]),
      );
    });
  });
  afterEach(() => server.close());
  const url = () => `${server.baseURL}/chat/completions`;

  it('streams a completion through the client', async () => {
    const client = createChatClient({ baseURL: server.baseURL, transport: nodeHttpTransport });
    const events = await lastValueFrom(client.stream(chatRequest).pipe(toArray()));
    expect(events[0]).toMatchObject({ type: 'response', status: 200, requestId: 'req_1' });
    const text = await lastValueFrom(client.stream(chatRequest).pipe(contentDeltas(), toArray()));
    expect(text.join('')).toBe('Hello');
    expect(JSON.parse(server.requests[0]!.body)).toMatchObject({ model: 'm', stream: true });
  });

  // Each way of leaving an exchange early, with the server still writing: it sees the socket close.
  const leaving: [string, (response: Observable<ChatHttpResponse>) => Observable<unknown>][] = [
    ['unsubscribing before the headers', (response) => response],
    ['unsubscribing the body', (response) => response.pipe(switchMap((r) => r.body))],
    ['leaving the body unclaimed', (response) => response],
  ];
  it.each(leaving)('closes the connection when %s', async (how, read) => {
    server.handle((_req, res) => {
      if (how.includes('headers')) return;
      sseHead(res);
      res.write(': still here\n\n');
    });
    const pieces: unknown[] = [];
    const subscription = read(nodeHttpTransport(post(url()))).subscribe({
      next: (piece) => pieces.push(piece),
      error: () => undefined,
    });
    const received = await server.nextRequest();
    if (how.includes('unclaimed')) {
      await delay(20); // the response arrives and completes; nobody read its body
      expect(pieces).toHaveLength(1);
    } else {
      if (how.includes('body')) while (pieces.length === 0) await delay(5);
      subscription.unsubscribe();
    }
    expect(await settlesWithin(received.closed, 1000)).toBe(true);
  });

  it('refuses a released body to a late reader', async () => {
    const response = await lastValueFrom(nodeHttpTransport(post(url())));
    const { error } = await outcome(response.body);
    expect(error).toMatchObject({ code: 'connection_error', retryable: false });
    expect(error!.message).toMatch(/released because nobody subscribed/);
  });

  it('lets a body be read once: a second subscription fails with a connection_error', async () => {
    const second = await lastValueFrom(
      nodeHttpTransport(post(url())).pipe(
        switchMap((response) => {
          const read = outcome(response.body);
          return Promise.all([read, outcome(response.body)]);
        }),
      ),
    );
    expect(Buffer.concat(second[0].values as Uint8Array[]).toString()).toContain('Hel');
    expect(second[1].error).toBeInstanceOf(RxChatError);
    expect(second[1].error).toMatchObject({ code: 'connection_error', retryable: false });
    expect(second[1].error!.message).toMatch(/already read/);
  });

  it('fails a refused connection with a retryable connection_error saying why', async () => {
    const closed = await startLoopback();
    await closed.close();
    const { error } = await outcome(nodeHttpTransport(post(`${closed.baseURL}/chat/completions`)));
    expect(RxChatError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'connection_error', retryable: true });
    expect(error!.message).toMatch(/^The connection failed: .*ECONNREFUSED/);
  });

  it('fails a body cut off mid-stream with a connection_error', async () => {
    server.handle((_req, res) => {
      sseHead(res);
      res.write(sseWire([chunk({ content: 'Hel' })], { done: false }));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const { values, error } = await outcome(
      nodeHttpTransport(post(url())).pipe(switchMap((response) => response.body)),
    );
    expect(values.length).toBeGreaterThan(0);
    expect(error).toMatchObject({ code: 'connection_error' });
    expect(error!.message).toMatch(/^The response body broke off: /);
  });
});

describe('createTransportResponse rules', () => {
  /** A start function that answers at once with `body`, counting cancels and finalizations. */
  const scripted = (body: Partial<BodySource> = {}) => {
    const seen = { cancelled: 0, finalized: 0, signal: undefined as AbortSignal | undefined };
    const start: TransportStart = ({ signal, respond }) => {
      seen.signal = signal;
      respond({
        status: 200,
        headers: [['Content-Type', 'text/event-stream']],
        body: {
          open: (sink) => sink.next('data: x\n\n'),
          cancel: () => seen.cancelled++,
          ...body,
        },
      });
      return () => seen.finalized++;
    };
    return { seen, response: createTransportResponse(start) };
  };

  it('sends nothing before subscribe, and once per subscription', async () => {
    let sent = 0;
    const response = createTransportResponse(async () => {
      sent++;
      return { status: 204, body: EMPTY };
    });
    expect(sent).toBe(0);
    await lastValueFrom(response);
    await lastValueFrom(response);
    expect(sent).toBe(2);
  });

  it('reads headers of any shape into lower-case names, repeats joined', async () => {
    const angularLike = {
      keys: () => ['X-A', 'Set-Cookie'],
      getAll: (name: string) => (name === 'X-A' ? ['1'] : ['a=1', 'b=2']),
      forEach: () => {
        throw new Error('not this one');
      },
    };
    const shapes = [
      new Headers({ 'X-A': '1' }),
      { 'X-A': '1', 'set-cookie': ['a=1', 'b=2'], gone: undefined },
      [
        ['X-A', '1'],
        ['set-cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ] as [string, string][],
      angularLike,
      null,
    ];
    const headers = await Promise.all(
      shapes.map(async (shape) => {
        const response = await lastValueFrom(
          createTransportResponse(async () => ({ status: 200, headers: shape, body: EMPTY })),
        );
        return response.headers;
      }),
    );
    expect(headers).toEqual([
      { 'x-a': '1' },
      { 'x-a': '1', 'set-cookie': 'a=1, b=2' },
      { 'x-a': '1', 'set-cookie': 'a=1, b=2' },
      { 'x-a': '1', 'set-cookie': 'a=1, b=2' },
      {},
    ]);
  });

  it('makes whatever the transport throws or fails with an RxChatError', async () => {
    const starts: TransportStart[] = [
      () => {
        throw new TypeError('bad url');
      },
      ({ fail }) => fail('a string'),
      () => Promise.reject(new Error('refused')),
      ({ fail }) => fail(new RxChatError('aborted', 'gone', { retryable: false })),
    ];
    const errors = await Promise.all(
      starts.map(async (start) => (await outcome(createTransportResponse(start))).error),
    );
    for (const error of errors.slice(0, 3)) {
      expect(RxChatError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'connection_error', retryable: true });
    }
    expect(errors.map((e) => e?.message)).toEqual([
      'The connection failed: bad url',
      'The connection failed: a string',
      'The connection failed: refused',
      'gone',
    ]);
    expect(errors[3]!.code).toBe('aborted');

    const broken = createTransportResponse(async () => ({
      status: 200,
      body: { open: (sink) => sink.error(new Error('reset')) },
    }));
    const { error } = await outcome(broken.pipe(switchMap((response) => response.body)));
    expect(error).toMatchObject({ code: 'connection_error' });
    expect(error!.message).toBe('The response body broke off: reset');

    const throwing = createTransportResponse(async () => ({
      status: 200,
      body: {
        open: () => {
          throw new Error('no reader');
        },
      },
    }));
    const opened = await outcome(throwing.pipe(switchMap((response) => response.body)));
    expect(opened.error!.message).toBe('The response body broke off: no reader');
  });

  it('answers once: a second answer, or one after unsubscribe, has its body cancelled', async () => {
    const cancelled: string[] = [];
    const body = (name: string): BodySource => ({
      open: (sink) => sink.complete(),
      cancel: () => cancelled.push(name),
    });
    const twice = createTransportResponse(({ respond }) => {
      respond({ status: 200, body: body('first') });
      respond({ status: 500, body: body('second') });
    });
    const responses = await lastValueFrom(
      twice.pipe(
        switchMap((response) =>
          response.body.pipe(
            toArray(),
            switchMap(() => of(response)),
          ),
        ),
        toArray(),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([200]);
    expect(cancelled).toEqual(['second']);

    let answer: (() => void) | undefined;
    let signal: AbortSignal | undefined;
    const late = createTransportResponse((exchange) => {
      signal = exchange.signal;
      answer = () => exchange.respond({ status: 200, body: body('late') });
    });
    late.subscribe().unsubscribe();
    expect(signal!.aborted).toBe(true);
    answer!();
    expect(cancelled).toEqual(['second', 'late']);
  });

  it('aborts and finalizes once when the body is released, and says so to a late reader', async () => {
    const { seen, response } = scripted();
    const { body } = await lastValueFrom(response);
    expect(seen).toMatchObject({ cancelled: 1, finalized: 1 });
    expect(seen.signal!.aborted).toBe(true);
    const { error } = await outcome(body);
    expect(error!.message).toMatch(/released/);
  });

  it('finalizes without aborting when the body ends, and aborts when the reader leaves early', async () => {
    const ends = scripted({ open: (sink) => sink.complete() });
    await lastValueFrom(ends.response.pipe(switchMap((r) => r.body.pipe(toArray()))));
    expect(ends.seen).toMatchObject({ cancelled: 0, finalized: 1 });
    expect(ends.seen.signal!.aborted).toBe(false);

    let stopped = 0;
    const leaves = scripted({
      open: (sink) => {
        sink.next('a');
        return () => stopped++;
      },
    });
    const piece = await lastValueFrom(leaves.response.pipe(switchMap((r) => r.body.pipe(first()))));
    expect(piece).toBe('a');
    expect(stopped).toBe(1);
    expect(leaves.seen).toMatchObject({ cancelled: 1, finalized: 1 });
    expect(leaves.seen.signal!.aborted).toBe(true);
  });

  it('gives a reusable body one I/O turn to reach its end before aborting', async () => {
    // The end is already on its way when the reader leaves: nothing is aborted.
    const drains = scripted({
      reusable: true,
      open: (sink) => {
        sink.next('a');
        return () => setImmediate(() => sink.complete());
      },
    });
    await lastValueFrom(drains.response.pipe(switchMap((r) => r.body.pipe(first()))));
    expect(drains.seen.signal!.aborted).toBe(false);
    await delay(5);
    expect(drains.seen).toMatchObject({ cancelled: 0, finalized: 1 });
    expect(drains.seen.signal!.aborted).toBe(false);

    // No end within the turn: aborted.
    const stalls = scripted({ reusable: true, open: (sink) => sink.next('a') });
    await lastValueFrom(stalls.response.pipe(switchMap((r) => r.body.pipe(first()))));
    expect(stalls.seen.signal!.aborted).toBe(false);
    await delay(5);
    expect(stalls.seen).toMatchObject({ cancelled: 1, finalized: 1 });
    expect(stalls.seen.signal!.aborted).toBe(true);
  });

  it('cancels a request that a synchronous client settled while start was running', () => {
    let finalized = 0;
    const sync = createTransportResponse(({ respond }) => {
      respond({ status: 200, body: { open: () => undefined } }); // released at once
      return () => finalized++;
    });
    sync.subscribe();
    expect(finalized).toBe(1);
  });

  it('passes an Observable body on as it is, single-use and released when unclaimed', async () => {
    const pieces = new Subject<string>();
    let subscribed = 0;
    const body = new Observable<string>((subscriber) => {
      subscribed++;
      return pieces.subscribe(subscriber);
    });
    let finalized = 0;
    const response = createTransportResponse(({ respond }) => {
      respond({ status: 200, body });
      return () => finalized++;
    });
    const plain = new Error('plain');
    const values: string[] = [];
    const errors: unknown[] = [];
    response.subscribe((r) => {
      r.body.subscribe({
        next: (piece) => values.push(piece as string),
        error: (error: unknown) => errors.push(error),
      });
      r.body.subscribe({ error: (error: unknown) => errors.push(error) });
    });
    pieces.next('a');
    pieces.error(plain);
    expect(values).toEqual(['a']);
    expect(subscribed).toBe(1);
    expect(errors).toEqual([expect.objectContaining({ code: 'connection_error' }), plain]);
    expect(errors[1]).toBe(plain);
    expect(finalized).toBe(1);

    let unclaimed = 0;
    await lastValueFrom(
      createTransportResponse(({ respond }) => {
        respond({ status: 200, body: NEVER });
        return () => unclaimed++;
      }),
    );
    expect(unclaimed).toBe(1);
  });
});

describe('callTransport: any ChatTransport held to the contract', () => {
  const request = post('http://test/v1/chat/completions');
  const answer: ChatHttpResponse = { status: 200, headers: {}, body: of('x') };

  it('makes what a hand-written transport throws or fails with a connection_error', async () => {
    const transports: ChatTransport[] = [
      () => {
        throw new Error('boom');
      },
      () => throwError(() => new Error('refused')),
    ];
    for (const transport of transports) {
      const { error } = await outcome(callTransport(transport, request));
      expect(RxChatError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'connection_error', retryable: true });
    }
  });

  it('fails a transport that completes without a response, not retryable', async () => {
    const { error } = await outcome(callTransport(() => EMPTY, request));
    expect(error).toMatchObject({ code: 'connection_error', retryable: false });
    expect(error!.message).toMatch(/completed without a response/);
  });

  it('takes the first response only, and its body as it is, errors unchanged', async () => {
    const failure = new Error('not ours to wrap');
    const first = { status: 200, headers: {}, body: throwError(() => failure) };
    const transport: ChatTransport = () => of(first, answer);
    const statuses: number[] = [];
    const { error } = await outcome(
      callTransport(transport, request).pipe(
        switchMap((response) => {
          statuses.push(response.status);
          return response.body;
        }),
      ),
    );
    expect(statuses).toEqual([200]);
    expect(error).toBe(failure);
  });

  it('reads a response given as a class instance with getters', async () => {
    class Answer {
      get status() {
        return 201;
      }
      get headers() {
        return { 'x-a': '1' };
      }
      get body() {
        return of('piece');
      }
    }
    const seen = await lastValueFrom(
      callTransport(() => of(new Answer()), request).pipe(
        switchMap(({ status, headers, body }) =>
          body.pipe(
            toArray(),
            map((pieces) => ({ status, headers, pieces })),
          ),
        ),
      ),
    );
    expect(seen).toEqual({ status: 201, headers: { 'x-a': '1' }, pieces: ['piece'] });
  });

  it('unsubscribes the transport when the body is done with, or before the response', async () => {
    let active = 0;
    const transport: ChatTransport = () =>
      new Observable<ChatHttpResponse>((subscriber) => {
        active++;
        subscriber.next(answer); // and never completes
        return () => active--;
      });
    await lastValueFrom(callTransport(transport, request).pipe(switchMap((r) => r.body)));
    expect(active).toBe(0);

    const silent: ChatTransport = () =>
      new Observable<ChatHttpResponse>(() => {
        active++;
        return () => active--;
      });
    callTransport(silent, request).subscribe().unsubscribe();
    expect(active).toBe(0);
  });
});
