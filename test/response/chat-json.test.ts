import { RxChatError } from '../../src';
import { eventsFromJsonCompletion } from '../../src/response/chat-json';

describe('eventsFromJsonCompletion', () => {
  it('fails on an error body, on non-JSON and on a body without choices', () => {
    const code = (text: string) => {
      try {
        eventsFromJsonCompletion(text);
      } catch (error) {
        return (error as RxChatError).code;
      }
      return 'ok';
    };
    expect(code('{"error":{"message":"nope"}}')).toBe('stream_error');
    expect(code('{"choices":')).toBe('parse_error');
    expect(code('{"object":"list"}')).toBe('validation_error');
    expect(code('[1]')).toBe('validation_error');
    expect(code('{"choices":[{"index":"zero","message":{}}]}')).toBe('validation_error');
    expect(code('{"choices":[],"usage":{"total_tokens":"many"}}')).toBe('validation_error');
    expect(code('{"choices":[]}')).toBe('ok');
  });
});
