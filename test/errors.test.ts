import { RX_CHAT_ERROR_CODES, RxChatError, type RxChatErrorCode } from '../src';
import { amendError, excerpt } from '../src/errors';

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

describe('RxChatError narrowing by code', () => {
  /** Reads what a caller would read after checking the code; compiles only if `code` narrows. */
  function describeError(err: unknown): string {
    if (!RxChatError.isInstance(err)) return 'foreign';
    switch (err.code) {
      case 'http_error': {
        const status: number = err.status;
        const headers: Readonly<Record<string, string>> = err.headers;
        return `http ${status} ${Object.keys(headers).join(',')}`;
      }
      case 'stream_error': {
        const message: string = err.provider.message;
        return `stream ${message}`;
      }
      default:
        return err.code;
    }
  }

  it('gives http_error a status and headers, and stream_error provider details', () => {
    const http = new RxChatError('http_error', 'HTTP 429', {
      status: 429,
      headers: { 'retry-after': '1' },
    });
    expect(describeError(http)).toBe('http 429 retry-after');
    const stream = new RxChatError('stream_error', 'The provider reported an error: slow down', {
      provider: { message: 'slow down', code: 'rate_limit_exceeded', type: null, param: null },
    });
    expect(describeError(stream)).toBe('stream slow down');
    expect(describeError(new RxChatError('truncated', 'cut'))).toBe('truncated');
    expect(describeError(new Error('x'))).toBe('foreign');
  });

  it('fills what a code always has when an error was made without it', () => {
    const bare = new RxChatError('http_error', 'HTTP ?');
    expect(bare.status).toBe(0);
    expect(bare.headers).toEqual({});
    expect(bare.retryable).toBe(false);
    const stream = new RxChatError('stream_error', 'overloaded');
    expect(stream.provider).toEqual({ message: 'overloaded', code: null, type: null, param: null });
    expect(new RxChatError('parse_error', 'x').status).toBeUndefined();
  });
});

describe('amendError, the only changes an error takes after it is made', () => {
  it('attaches the partial completion, the attempts (told in the message) and afterOutput', () => {
    const error = new RxChatError('connection_error', 'The connection failed: reset');
    expect(error.retryable).toBe(true);
    const partial = {
      id: 'c',
      model: 'm',
      created: 0,
      choices: [],
      usage: null,
    };
    expect(amendError(error, { partial, attempts: 3, afterOutput: true })).toBe(error);
    expect(error.partial).toBe(partial);
    expect(error.attempts).toBe(3);
    expect(error.message).toBe('The connection failed: reset (after 3 attempts)');
    expect(error.retryable).toBe(false);
    expect(error.toJSON()).toMatchObject({ attempts: 3, retryable: false });
  });

  it('leaves the fields read-only to everyone else', () => {
    const error = new RxChatError('timeout', 'slow', { phase: 'idle' });
    // @ts-expect-error partial is set through amendError only
    error.partial = undefined;
    // @ts-expect-error attempts is set through amendError only
    error.attempts = 2;
    // @ts-expect-error retryable is fixed at construction
    error.retryable = false;
    amendError(error, { attempts: 1 });
    expect(error.message).toBe('slow');
  });
});
