import { RX_CHAT_ERROR_CODES, RxChatError, type RxChatErrorCode } from '../src';
import { excerpt } from '../src/errors';

describe('RxChatError', () => {
  it('carries a stable code, provider details, usage and cause', () => {
    const cause = new SyntaxError('bad');
    const error = new RxChatError('stream_error', 'The provider reported an error: x', {
      cause,
      provider: { message: 'x', code: 'overloaded', type: 'server_error', param: null },
      usage: { prompt_tokens: 1, completion_tokens: 0, total_tokens: 1 },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RxChatError');
    expect(error.code).toBe('stream_error');
    expect(error.cause).toBe(cause);
    expect(error.provider?.code).toBe('overloaded');
    expect(error.usage?.total_tokens).toBe(1);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'RxChatError',
      code: 'stream_error',
      message: 'The provider reported an error: x',
      provider: { message: 'x', code: 'overloaded', type: 'server_error', param: null },
      retryable: true,
    });
  });

  it('is recognised across duplicate copies of the module (a Symbol.for brand)', () => {
    let Other: typeof RxChatError | undefined;
    jest.isolateModules(() => {
      Other = (jest.requireActual('../src/errors') as { RxChatError: typeof RxChatError })
        .RxChatError;
    });
    expect(Other).toBeDefined();
    expect(Other).not.toBe(RxChatError);
    const foreign = new Other!('timeout', 'slow');
    expect(RxChatError.isInstance(foreign)).toBe(true);
    expect(foreign instanceof RxChatError).toBe(true);
    expect(RxChatError.isInstance(new Error('plain'))).toBe(false);
    expect(RxChatError.isInstance(null)).toBe(false);
    expect(RxChatError.isInstance({ code: 'timeout' })).toBe(false);
  });

  it('exports every code as a typed list', () => {
    const codes: readonly RxChatErrorCode[] = RX_CHAT_ERROR_CODES;
    expect([...codes].sort()).toEqual(
      [
        'aborted',
        'connection_error',
        'event_too_large',
        'http_error',
        'parse_error',
        'stream_error',
        'timeout',
        'truncated',
        'validation_error',
      ].sort(),
    );
  });
});

describe('excerpt', () => {
  it('keeps short text whole and cuts long text before, never inside, a surrogate pair', () => {
    expect(excerpt('short', 10)).toBe('short');
    expect(excerpt('ab😀cd', 3)).toBe('ab… (6 chars)');
    expect(excerpt('ab😀cd', 4)).toBe('ab😀… (6 chars)');
  });
});
