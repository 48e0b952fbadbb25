import { asyncScheduler, from, lastValueFrom, materialize, Observable, toArray } from 'rxjs';
import { httpError } from '../../src/response/http-error';
import { chatResponseEvents as responseEvents } from '../../src/response/chat';
import type { ResponseOptions } from '../../src/response/read-response';
import { RxChatError, type ChatStreamEvent } from '../../src';
import { chunk, testScheduler } from '../helpers/marbles';
import { sseWire } from '../../src/testing';

// A body served as text/plain, application/octet-stream or with no content type is read by what
// its first bytes are: an event stream, a JSON completion, or neither (parse_error, as before).

const options: ResponseOptions = {
  maxEventBytes: 1024 * 1024,
  requireDone: false,
  scheduler: asyncScheduler,
  errorBodyWait: 50,
};
const hello = sseWire([
  chunk({ content: 'Hel' }),
  chunk({ content: 'lo' }, { finish_reason: 'stop' }),
]);
const completion = JSON.stringify({
  id: 'c1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }],
});
const encoder = new TextEncoder();

/** What a response gives: the text of its chunks, `usage`, then `done` or the error's code. */
async function read(
  contentType: string | undefined,
  pieces: (string | Uint8Array)[] | Observable<string | Uint8Array>,
): Promise<string[]> {
  const body = Array.isArray(pieces) ? from(pieces) : pieces;
  const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  const notes = await lastValueFrom(
    responseEvents({ status: 200, headers, body }, options).pipe(materialize(), toArray()),
  );
  return notes.flatMap((note) => {
    if (note.kind === 'C') return ['done'];
    if (note.kind === 'E') {
      const error = note.error as RxChatError;
      return [RxChatError.isInstance(error) ? `${error.code}: ${error.message}` : String(error)];
    }
    const event = note.value as ChatStreamEvent;
    if (event.type === 'chunk') {
      const content = event.chunk.choices?.[0]?.delta?.content;
      return [typeof content === 'string' ? content : ''];
    }
    return event.type === 'usage' ? ['usage'] : [];
  });
}

const bytesOneByOne = (text: string) => Array.from(encoder.encode(text), (b) => Uint8Array.of(b));

describe('responseEvents reads a body by its first bytes when its type does not say', () => {
  it.each([
    ['text/plain; charset=utf-8', 'data:', hello],
    ['text/plain', 'data:', hello],
    ['application/octet-stream', 'data:', hello],
    ['text/plain', 'a BOM and blank lines', `\ufeff\n\n${hello}`],
    ['text/plain', 'a comment', `: keep-alive\n\n${hello}`],
    ['text/plain', 'event:', `event: message\n${hello}`],
    ['text/plain', 'id:', `id: 1\n${hello}`],
    ['text/plain', 'retry:', `retry: 3000\n\n${hello}`],
    [undefined, 'data:', hello],
  ])('reads %s starting with %s as an event stream', async (type, _start, text) => {
    const expected = ['Hel', 'lo', 'usage', 'done'];
    expect(await read(type, [text])).toEqual(expected);
    // Cut one byte at a time, even inside the field name that decides.
    expect(await read(type, bytesOneByOne(text))).toEqual(expected);
  });

  it.each([['text/plain'], ['application/octet-stream'], [undefined]])(
    'reads a JSON completion served as %s as JSON',
    async (type) => {
      expect(await read(type, [`\n ${completion}`])).toEqual(['Hello', 'usage', 'done']);
      expect(await read(type, bytesOneByOne(completion))).toEqual(['Hello', 'usage', 'done']);
    },
  );

  it('still fails a body that is neither with parse_error, showing its start', async () => {
    const [error] = await read('text/plain', ['Service temporarily ', 'unavailable']);
    expect(error).toBe(
      'parse_error: Expected an event stream but the server answered 200 with content type "text/plain": Service temporarily unavailable',
    );
    const [html] = await read('text/html', ['<html>data: x</html>']);
    expect(html).toMatch(/^parse_error: .*"text\/html": <html>data: x<\/html>$/);
  });

  it('looks at a bounded start only: a body of blank lines is not sniffed forever', async () => {
    for (const pieces of [['\n'.repeat(2048), hello], [`${'\n'.repeat(2048)}${hello}`]]) {
      const [error] = await read('text/plain', pieces);
      expect(error).toMatch(/^parse_error: Expected an event stream/);
    }
  });

  it('decides on the first piece however long it is', async () => {
    const long = sseWire([chunk({ content: 'x'.repeat(4000) }, { finish_reason: 'stop' })]);
    expect(await read('text/plain', [long])).toEqual(['x'.repeat(4000), 'usage', 'done']);
  });

  it('passes a body that breaks off before saying what it is on as the error it is', async () => {
    const cut = new RxChatError('connection_error', 'reset');
    const body = new Observable<string>((subscriber) => {
      subscriber.next('  ');
      subscriber.error(cut);
    });
    expect(await read('text/plain', body)).toEqual(['connection_error: reset']);
  });

  it('subscribes to the single-use body once, loses no piece, and releases it on [DONE]', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const body = cold('-a-b-c-d-e-', {
        a: 'da',
        b: `ta: ${JSON.stringify(chunk({ content: 'Hel' }))}\n\n`,
        c: `data: ${JSON.stringify(chunk({ content: 'lo' }, { finish_reason: 'stop' }))}\n\n`,
        d: 'data: [DONE]\n\n',
        e: 'data: {"late": true}\n\n',
      });
      const headers = { 'content-type': 'text/plain' };
      const events = responseEvents({ status: 200, headers, body }, options);
      expectObservable(events).toBe('r--b-c-(u|)', {
        r: { type: 'response', status: 200, headers, requestId: null },
        b: { type: 'chunk', chunk: chunk({ content: 'Hel' }) },
        c: { type: 'chunk', chunk: chunk({ content: 'lo' }, { finish_reason: 'stop' }) },
        u: { type: 'usage', usage: null },
      });
      expectSubscriptions(body.subscriptions).toBe('^------!');
    });
  });

  it('releases the body when [DONE] comes in the very piece that decided', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const body = cold('-a-b-', { a: hello, b: 'data: {"late": true}\n\n' });
      const headers = { 'content-type': 'application/octet-stream' };
      const events = responseEvents({ status: 200, headers, body }, options);
      expectObservable(events).toBe('r(bcu|)', {
        r: { type: 'response', status: 200, headers, requestId: null },
        b: { type: 'chunk', chunk: chunk({ content: 'Hel' }) },
        c: { type: 'chunk', chunk: chunk({ content: 'lo' }, { finish_reason: 'stop' }) },
        u: { type: 'usage', usage: null },
      });
      expectSubscriptions(body.subscriptions).toBe('^!');
    });
  });

  it('leaves text/event-stream and JSON alone', async () => {
    expect(await read('text/event-stream', [`{"not": "sniffed"}\n${hello}`])).toEqual([
      'Hel',
      'lo',
      'usage',
      'done',
    ]);
    expect(await read('application/json', [hello])).toEqual([
      expect.stringMatching(/^parse_error: The JSON response is not valid JSON/),
    ]);
  });
});

describe('error messages given as a JSON string', () => {
  it('shows an HTTP error body that is a JSON string without its quotes', () => {
    for (const text of ['"Rate limit exceeded"', '["Rate limit exceeded"]']) {
      const error = httpError(429, {}, { text, cut: false });
      expect(error.message).toBe('HTTP 429 Too Many Requests: Rate limit exceeded');
      expect(error.provider).toEqual({
        message: 'Rate limit exceeded',
        code: null,
        type: null,
        param: null,
      });
    }
  });

  it('keeps a body that only looks like a JSON string as text', () => {
    const error = httpError(502, {}, { text: '"Bad gateway', cut: true });
    expect(error.message).toBe('HTTP 502 Bad Gateway: "Bad gateway');
    expect(error.provider).toBeNull();
  });
});
