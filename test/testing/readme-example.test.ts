// The marble test the README shows, kept here so that it stays true.
import { contentDeltas, createChatClient } from '../../src';
import { createMockTransport, DONE, makeChunk, runMarbles, sseValues } from '../../src/testing';

it('streams the answer after retrying a 429', () => {
  runMarbles(
    ({ cold, expectObservable, expectSubscriptions }) => {
      const transport = createMockTransport({ cold }, [
        { status: 429, responseHeaders: { 'retry-after-ms': '5' } },
        {
          body: '-a-b-d|',
          values: sseValues({
            a: makeChunk({ content: 'Hel' }),
            b: makeChunk({ content: 'lo', finishReason: 'stop' }),
            d: DONE,
          }),
        },
      ]);
      const client = createChatClient({ baseURL: 'http://test/v1', transport });
      const text$ = client
        .stream({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] })
        .pipe(contentDeltas());

      expectObservable(text$).toBe('------H-l-|', { H: 'Hel', l: 'lo' });
      expectSubscriptions(transport.exchanges[1]!.body.subscriptions).toBe('-----^----!');
    },
    (actual, expected) => expect(actual).toEqual(expected),
  );
});
