import { from, lastValueFrom, take, toArray } from 'rxjs';
import { decodeSse, RxChatError, type SseEvent } from '../../src';
import { testScheduler } from '../helpers/marbles';

const decodeAll = (pieces: (string | Uint8Array)[], options = {}) =>
  lastValueFrom(from(pieces).pipe(decodeSse(options), toArray()));
const messages = (events: SseEvent[]) => events.filter((e) => e.type === 'message');
const bytes = (text: string) => new TextEncoder().encode(text);

describe('decodeSse', () => {
  it('emits one message per event, in marble time', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('  -a--b--|', { a: 'data: one\n\n', b: 'data: two\n\n' });
      const expected = '    -x--y--|';
      expectObservable(source.pipe(decodeSse())).toBe(expected, {
        x: { type: 'message', event: undefined, data: 'one', id: undefined },
        y: { type: 'message', event: undefined, data: 'two', id: undefined },
      });
      expectSubscriptions(source.subscriptions).toBe('^------!');
    });
  });

  it('waits for the blank line that ends an event, across pieces', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', { a: 'data: {"x"', b: ':1}\n', c: '\n' });
      expectObservable(source.pipe(decodeSse())).toBe('-----m-|', {
        m: { type: 'message', event: undefined, data: '{"x":1}', id: undefined },
      });
    });
  });

  it('unsubscribes upstream when the consumer does, and does no further work', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-|', { a: 'data: 1\n\n', b: 'data: 2\n\n', c: 'data: 3\n\n' });
      const result = source.pipe(decodeSse(), take(2));
      expectObservable(result).toBe('-a-(b|)', {
        a: { type: 'message', event: undefined, data: '1', id: undefined },
        b: { type: 'message', event: undefined, data: '2', id: undefined },
      });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('forwards an upstream error after the events before it', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-#', { a: 'data: 1\n\n' }, new Error('reset'));
      expectObservable(source.pipe(decodeSse())).toBe(
        '-a-#',
        {
          a: { type: 'message', event: undefined, data: '1', id: undefined },
        },
        new Error('reset'),
      );
    });
  });

  it.each([
    ['LF', 'data: a\n\ndata: b\n\n'],
    ['CR', 'data: a\r\rdata: b\r\r'],
    ['CRLF', 'data: a\r\n\r\ndata: b\r\n\r\n'],
    ['mixed', 'data: a\r\n\ndata: b\r\r\n'],
    ['no space after the colon', 'data:a\n\ndata:b\n\n'],
    ['a leading BOM', '\ufeffdata: a\n\ndata: b\n\n'],
  ])('frames %s line endings and forms', async (_name, text) => {
    const events = await decodeAll([text]);
    expect(messages(events).map((e) => e.type === 'message' && e.data)).toEqual(['a', 'b']);
  });

  it('keeps a CRLF split across two pieces as one line break', async () => {
    const events = await decodeAll(['data: a\r', '\n\r', '\ndata: b\r\n\r\n']);
    expect(messages(events).map((e) => e.type === 'message' && e.data)).toEqual(['a', 'b']);
  });

  it('strips a byte-order mark sent as bytes, even split across pieces', async () => {
    const all = bytes('\ufeffdata: a\n\n');
    const events = await decodeAll([all.slice(0, 1), all.slice(1, 2), all.slice(2)]);
    expect(messages(events)).toEqual([
      { type: 'message', event: undefined, data: 'a', id: undefined },
    ]);
  });

  it('decodes multi-byte characters split across pieces', async () => {
    const all = bytes('data: {"t":"héllo 👋 世界"}\n\n');
    const pieces = Array.from(all, (b) => new Uint8Array([b]));
    const events = await decodeAll(pieces);
    expect(messages(events)).toEqual([
      { type: 'message', event: undefined, data: '{"t":"héllo 👋 世界"}', id: undefined },
    ]);
  });

  it('joins multi-line data with \\n and reads event, id and retry fields', async () => {
    const text = ': keep-alive\nretry: 1500\nevent: error\nid: 7\ndata: {"a":\ndata: 1}\n\n';
    expect(await decodeAll([text])).toEqual([
      { type: 'comment', comment: 'keep-alive' },
      { type: 'retry', retry: 1500 },
      { type: 'message', event: 'error', data: '{"a":\n1}', id: '7' },
    ]);
  });

  it('surfaces comments as comments, never as data', async () => {
    const events = await decodeAll([': OPENROUTER PROCESSING\n\n:\n\ndata: x\n\n']);
    expect(events).toEqual([
      { type: 'comment', comment: 'OPENROUTER PROCESSING' },
      { type: 'comment', comment: '' },
      { type: 'message', event: undefined, data: 'x', id: undefined },
    ]);
  });

  it('ignores unknown fields, bad retry values and events without a data line', async () => {
    const events = await decodeAll([
      'foo: bar\nretry: soon\n\nevent: ping\n\nid: 3\n\ndata: x\n\n',
    ]);
    expect(events).toEqual([{ type: 'message', event: undefined, data: 'x', id: undefined }]);
  });

  // WHATWG "dispatch the event": only an empty data *buffer* (no data line at all) is skipped;
  // `data:` with an empty value appends "" and LF, so the event is dispatched with data "".
  it.each([
    ['data:', 'data:\n\n', ''],
    ['data: with one space', 'data: \n\n', ''],
    ['a bare data field name', 'data\n\n', ''],
    ['two empty data lines', 'data:\ndata:\n\n', '\n'],
    ['empty data, CR framed', 'data:\r\r', ''],
  ])('dispatches an event whose data is empty (%s)', async (_name, text, data) => {
    expect(await decodeAll([text])).toEqual([
      { type: 'message', event: undefined, data, id: undefined },
    ]);
  });

  it('dispatches empty data with its event type, and nothing for event: ping alone', async () => {
    expect(await decodeAll(['event: ping\n\nevent: ping\ndata:\n\n'])).toEqual([
      { type: 'message', event: 'ping', data: '', id: undefined },
    ]);
  });

  it('dispatches an event ended by a bare CR at once, not with the next piece', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a--b--c-', { a: 'data: one\r\r', b: 'data: two\r', c: '\r' });
      expectObservable(source.pipe(decodeSse())).toBe('-x-----y-', {
        x: { type: 'message', event: undefined, data: 'one', id: undefined },
        y: { type: 'message', event: undefined, data: 'two', id: undefined },
      });
    });
  });

  it('reads a CR ending one piece and a LF starting the next as one line break', async () => {
    // Two breaks would make a blank line and split the event in two.
    expect(messages(await decodeAll(['data: a\r', '\ndata: b\r', '\n\r\n']))).toEqual([
      { type: 'message', event: undefined, data: 'a\nb', id: undefined },
    ]);
    expect(messages(await decodeAll(['data: a\r', '', '\n\r', '\n']))).toEqual([
      { type: 'message', event: undefined, data: 'a', id: undefined },
    ]);
  });

  it('strips one byte-order mark only: a second one is data (bytes and text)', async () => {
    const text = '\ufeff\ufeffdata: a\n\ndata: b\n\n';
    for (const pieces of [[bytes(text)], [text], [bytes(text).slice(0, 4), bytes(text).slice(4)]]) {
      // The second BOM makes the first line the unknown field "\ufeffdata".
      expect(messages(await decodeAll(pieces)).map((e) => e.type === 'message' && e.data)).toEqual([
        'b',
      ]);
    }
  });

  it('does not take the characters of a mis-decoded BOM for one', async () => {
    const events = await decodeAll(['\u00ef\u00bb\u00bfdata: a\n\ndata: b\n\n']);
    expect(messages(events).map((e) => e.type === 'message' && e.data)).toEqual(['b']);
  });

  it('emits a last event without its blank line as incomplete', async () => {
    expect(await decodeAll(['data: a\n\ndata: {"cut": tr'])).toEqual([
      { type: 'message', event: undefined, data: 'a', id: undefined },
      { type: 'message', event: undefined, data: '{"cut": tr', id: undefined, incomplete: true },
    ]);
    expect(messages(await decodeAll(['data: [DONE]\n']))).toEqual([
      { type: 'message', event: undefined, data: '[DONE]', id: undefined, incomplete: true },
    ]);
  });

  it('treats a body ending in CR CR as a complete event', async () => {
    expect(await decodeAll(['data: a\r\r'])).toEqual([
      { type: 'message', event: undefined, data: 'a', id: undefined },
    ]);
    expect(await decodeAll(['data: a\r'])).toEqual([
      { type: 'message', event: undefined, data: 'a', id: undefined, incomplete: true },
    ]);
  });

  it.each([
    ['a comment line', `: ${'c'.repeat(2000)}\n\ndata: x\n\n`],
    ['an unknown field', `x-pad: ${'c'.repeat(2000)}\n\ndata: x\n\n`],
    ['an event: line', `event: ${'c'.repeat(2000)}\n\ndata: x\n\n`],
    ['data lines that are each short', `${'data: 0123456789\n'.repeat(200)}\n`],
  ])('fails %s over maxEventBytes whether it comes whole or in pieces', async (_name, text) => {
    const whole = await decodeAll([text], { maxEventBytes: 1024 }).catch((e: unknown) => e);
    const pieces = text.match(/[^]{1,100}/g)!;
    const cut = await decodeAll(pieces, { maxEventBytes: 1024 }).catch((e: unknown) => e);
    expect(whole).toMatchObject({ code: 'event_too_large' });
    expect(cut).toEqual(whole);
  });

  it('fails a 6 MB comment line with the default bound, in one piece or in 4 KiB pieces', async () => {
    const text = `: ${'k'.repeat(6 * 1024 * 1024)}\n\ndata: x\n\n`;
    const whole = await decodeAll([text]).catch((e: unknown) => e);
    const cut = await decodeAll(text.match(/[^]{1,4096}/g)!).catch((e: unknown) => e);
    expect(whole).toMatchObject({ code: 'event_too_large' });
    expect(cut).toEqual(whole);
  });

  it('fails with event_too_large when one event outgrows maxEventBytes', async () => {
    const huge = `data: ${'x'.repeat(2000)}`;
    // Without a line break the parser buffers; with one the event is checked on dispatch.
    for (const pieces of [[huge.slice(0, 1000), huge.slice(1000)], [`${huge}\n\n`]]) {
      const error = await decodeAll(pieces, { maxEventBytes: 1024 }).catch((e: unknown) => e);
      expect(RxChatError.isInstance(error)).toBe(true);
      expect((error as RxChatError).code).toBe('event_too_large');
    }
  });

  it('stops reading at the bound instead of buffering an endless line', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const kib = 'y'.repeat(1024);
      const source = cold('-aaaaaaaaaa|', { a: kib });
      const result = source.pipe(decodeSse({ maxEventBytes: 4096 }));
      expectObservable(result).toBe(
        '-----#',
        undefined,
        expect.objectContaining({ code: 'event_too_large' }),
      );
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('uses one decoder per subscription (no state shared between subscribers)', async () => {
    const euro = bytes('data: €\n\n');
    const source = from([euro.slice(0, 7), euro.slice(7)]);
    const decoded = source.pipe(decodeSse(), toArray());
    const [a, b] = await Promise.all([lastValueFrom(decoded), lastValueFrom(decoded)]);
    expect(a).toEqual(b);
    expect(a).toEqual([{ type: 'message', event: undefined, data: '€', id: undefined }]);
  });

  it('rejects a non-positive bound', () => {
    expect(() => decodeSse({ maxEventBytes: 0 })).toThrow(RangeError);
  });
});
