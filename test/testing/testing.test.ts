import { from, lastValueFrom, map, toArray } from 'rxjs';
import {
  contentDeltas,
  createChatClient,
  decodeSse,
  finalCompletion,
  parseChunks,
  RxChatError,
  toolCalls,
} from '../../src';
import { chunkProblem } from '../../src/chunks/validate';
import {
  createMockTransport,
  DONE,
  errorFrame,
  makeChunk,
  makeUsage,
  makeUsageChunk,
  runMarbles,
  splitBytes,
  splitText,
  sseComment,
  sseEvent,
  sseValues,
  sseWire,
  strictDeepEqual,
  stripErrors,
  textChunks,
  toolCallChunks,
} from '../../src/testing';

const jestEqual = (a: unknown, e: unknown) => expect(a).toEqual(e);
const read = (pieces: (string | Uint8Array)[]) =>
  lastValueFrom(from(pieces).pipe(decodeSse(), parseChunks(), finalCompletion()));

describe('factories', () => {
  it('make chunks that rxchat’s own schema accepts', () => {
    const chunks = [
      makeChunk(),
      makeChunk({ content: 'x', reasoning: 'r', role: 'assistant', refusal: 'no', index: 2 }),
      makeUsageChunk(makeUsage(1, 2, { prompt_tokens_details: { cached_tokens: 1 } })),
      ...textChunks(['a', 'b'], { usage: makeUsage() }),
      ...toolCallChunks({ id: 'call_1', name: 'f', argumentPieces: ['{"a"', ':1}'] }),
    ];
    for (const chunk of chunks) expect(chunkProblem(chunk)).toBeUndefined();
    expect(makeUsage(3, 4)).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });

  it('fold into the completion they describe', async () => {
    const text = await read([sseWire(textChunks(['Hel', 'lo'], { usage: makeUsage(3, 2) }))]);
    expect(text.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Hello' });
    expect(text.choices[0]!.finish_reason).toBe('stop');
    expect(text.usage?.total_tokens).toBe(5);

    const calls = await lastValueFrom(
      from([
        sseWire(toolCallChunks({ id: 'c1', name: 'get', argumentPieces: ['{"q"', ':"x"}'] })),
      ]).pipe(decodeSse(), parseChunks(), toolCalls(), toArray()),
    );
    expect(calls).toEqual([
      { id: 'c1', type: 'function', function: { name: 'get', arguments: '{"q":"x"}' } },
    ]);
  });
});

describe('wire builders', () => {
  it('write events, comments, CRLF, error frames and truncation', () => {
    expect(sseEvent({ a: 1 })).toBe('data: {"a":1}\n\n');
    expect(sseEvent('one\ntwo', { event: 'x', id: '7', lineEnding: '\r\n' })).toBe(
      'event: x\r\nid: 7\r\ndata: one\r\ndata: two\r\n\r\n',
    );
    expect(sseWire(['1'], { comment: 'ping', lineEnding: '\r\n' })).toBe(
      ': ping\r\n\r\ndata: 1\r\n\r\ndata: [DONE]\r\n\r\n',
    );
    expect(errorFrame({ message: 'm', code: 'rate_limit_exceeded' }, { asEvent: true })).toBe(
      'event: error\ndata: {"error":{"type":null,"code":"rate_limit_exceeded","param":null,"message":"m"}}\n\n',
    );
    expect(sseWire(['1', '2'], { done: false, truncateAt: 12 })).toBe('data: 1\n\ndat');
  });

  it('give the pipeline what it must reject', async () => {
    const error = (wire: string) => read([wire]).catch((e: RxChatError) => e.code);
    expect(
      await error(sseWire(textChunks(['a']), { errorAfter: 0, error: { message: 'slow down' } })),
    ).toBe('stream_error');
    expect(await error(sseWire(textChunks(['a', 'b']), { truncateAt: 120 }))).toBe('truncated');
  });

  it('refuse line breaks in fields and never truncate inside a surrogate pair', () => {
    expect(() => sseEvent('x', { event: 'a\ndata: injected' })).toThrow(RangeError);
    expect(() => sseEvent('x', { id: '1\r' })).toThrow(RangeError);
    expect(() => sseComment('ping\ndata: x')).toThrow(RangeError);
    const wire = sseWire(['👋'], { done: false });
    const inside = wire.indexOf('👋') + 1; // between the two halves
    expect(sseWire(['👋'], { done: false, truncateAt: inside })).toBe(wire.slice(0, inside - 1));
  });

  it('split text by code points and bytes anywhere, losing nothing', async () => {
    const text = 'a👋é世';
    expect(splitText(text, 1)).toEqual(['a', '👋', 'é', '世']);
    expect(splitText(text, [3, 1])).toEqual(['a👋é', '世']);
    const bytes = splitBytes(text, 1);
    expect(bytes).toHaveLength(new TextEncoder().encode(text).length);
    const decoder = new TextDecoder();
    expect(bytes.map((b) => decoder.decode(b, { stream: true })).join('') + decoder.decode()).toBe(
      text,
    );
    const wire = sseWire(textChunks(['Grüße ', '👋 世界']));
    for (const size of [1, 2, 3, 7]) {
      const completion = await read(splitBytes(wire, size));
      expect(completion.choices[0]!.message.content).toBe('Grüße 👋 世界');
    }
    expect(() => splitText('x', 0)).toThrow(RangeError);
  });
});

describe('marble helpers', () => {
  it('strip errors to what they say, keeping matchers and plain data', () => {
    const error = new RxChatError('timeout', 'slow', { phase: 'idle' });
    expect(stripErrors([{ error, n: 1 }])).toEqual([
      {
        error: {
          name: 'RxChatError',
          message: 'slow',
          code: 'timeout',
          phase: 'idle',
          retryable: true,
        },
        n: 1,
      },
    ]);
    const matcher = expect.objectContaining({ code: 'timeout' });
    expect((stripErrors({ m: matcher }) as { m: unknown }).m).toBe(matcher);
  });

  it('strip a value met twice to the same copy, survive cycles, and leave plain data alone', () => {
    const shared = { type: 'error', error: new Error('x') };
    const stripped = stripErrors([shared, shared]) as { error: unknown }[];
    expect(stripped[0]).toBe(stripped[1]);
    expect(stripped[1]!.error).toEqual({ name: 'Error', message: 'x' });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const copy = stripErrors(cyclic) as Record<string, unknown>;
    expect(copy.self).toBe(copy);
    expect(stripErrors({ name: 'n', message: 'm', a: 1 })).toEqual({
      name: 'n',
      message: 'm',
      a: 1,
    });
    expect(() => strictDeepEqual(cyclic, { a: 1, self: '[Circular]' })).not.toThrow();
    expect(() =>
      strictDeepEqual({ name: 'n', message: 'm', a: 1 }, { name: 'n', message: 'm', a: 2 }),
    ).toThrow(/Marble mismatch/);
    runMarbles(({ cold, expectObservable }) => {
      const error = new RxChatError('timeout', 'slow', { phase: 'idle' });
      expectObservable(cold('a-a|', { a: { error } })).toBe('a-a|', { a: { error } });
    });
  });

  it('compare without a test runner, and say what differs', () => {
    expect(() => strictDeepEqual({ a: 1, b: [2] }, { b: [2], a: 1 })).not.toThrow();
    expect(() => strictDeepEqual({ a: 1 }, { a: 2 })).toThrow(
      /actual: +{"a":1}\n +expected: {"a":2}/,
    );
    expect(() =>
      runMarbles(({ cold, expectObservable }) => {
        expectObservable(cold('-a|').pipe(map((x) => x.toUpperCase()))).toBe('-b|', { b: 'A' });
      }),
    ).not.toThrow();
    expect(() =>
      runMarbles(({ cold, expectObservable }) => {
        expectObservable(cold('-a|')).toBe('--a|');
      }),
    ).toThrow(/Marble mismatch/);
  });
});

describe('createMockTransport', () => {
  const request = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };

  it('plays scripted responses per request and fails clearly past the script', () => {
    runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
      const transport = createMockTransport({ cold }, [
        {
          headers: '-(r|)',
          body: '-a-b|',
          values: sseValues({
            a: makeChunk({ content: 'Hi' }),
            b: makeChunk({ finishReason: 'stop' }),
          }),
        },
      ]);
      const client = createChatClient({ baseURL: 'http://x/v1', transport, retry: false });
      expectObservable(client.stream(request).pipe(contentDeltas())).toBe('--H--|', { H: 'Hi' });
      expectObservable(client.stream(request)).toBe(
        '#',
        undefined,
        new RxChatError(
          'connection_error',
          'createMockTransport: no response scripted for request 2',
          {
            retryable: false,
          },
        ),
      );
      expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('-^---!');
    }, jestEqual);
  });

  it('breaks the connection where the marble says, before or after the headers', () => {
    runMarbles(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [
        { headers: '--#' },
        { body: 'a-#', values: sseValues({ a: makeChunk({ content: 'partial' }) }) },
      ]);
      const client = createChatClient({
        baseURL: 'http://x/v1',
        transport,
        retry: { baseDelay: 1, jitter: 0 },
      });
      // The first attempt's connection error is retried (after 1 frame); the second attempt has
      // produced output when it breaks, so its error comes through.
      expectObservable(client.stream(request).pipe(contentDeltas())).toBe(
        '---p-#',
        { p: 'partial' },
        expect.objectContaining({ code: 'connection_error', attempts: 2 }),
      );
    }, jestEqual);
  });

  it('lets a body be read once, as a real transport does', () => {
    const errors: unknown[] = [];
    const values: unknown[] = [];
    runMarbles(({ cold, flush }) => {
      const transport = createMockTransport({ cold }, [{ body: 'a|', values: { a: 'x' } }]);
      transport({
        method: 'POST',
        url: 'http://x/v1/chat/completions',
        headers: {},
        body: '{}',
      }).subscribe((response) => {
        response.body.subscribe((v) => values.push(v));
        response.body.subscribe({ error: (e: unknown) => errors.push(e) });
      });
      flush();
    }, jestEqual);
    expect(values).toEqual(['x']);
    expect(errors).toEqual([
      new Error('createMockTransport: the response body was subscribed to twice'),
    ]);
  });

  it('serves bytes as well as text, and the DONE marker in value maps', () => {
    runMarbles(({ cold, expectObservable }) => {
      // Byte pieces cut inside the multi-byte characters, one per frame.
      const wire = sseWire(textChunks(['Grüße']));
      const pieces = splitBytes(wire, Math.ceil(new TextEncoder().encode(wire).length / 20));
      const letters = pieces.map((_, i) => String.fromCharCode(97 + i));
      const transport = createMockTransport({ cold }, [
        {
          body: `${letters.join('')}|`,
          values: Object.fromEntries(pieces.map((piece, i) => [letters[i]!, piece])),
        },
      ]);
      const client = createChatClient({ baseURL: 'http://x/v1', transport });
      expectObservable(
        client.complete(request).pipe(map((c) => c.choices[0]!.message.content)),
      ).toBe(`${'-'.repeat(pieces.length - 1)}(g|)`, { g: 'Grüße' });
      expect(sseValues({ d: DONE, raw: ': ping\n\n' })).toEqual({
        d: 'data: [DONE]\n\n',
        raw: ': ping\n\n',
      });
    }, jestEqual);
  });
});
