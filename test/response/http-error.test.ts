import { httpError, retryAfterOf } from '../../src/response/http-error';

describe('retryAfterOf', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [{ 'retry-after-ms': '1500' }, 1500],
    [{ 'retry-after-ms': '12.5', 'retry-after': '9' }, 12.5],
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, 3000],
    [{ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }, 0],
    [{ 'retry-after': 'Thursday, 01-Jan-26 00:00:04 GMT' }, 4000],
    [{ 'retry-after': 'soon' }, undefined],
    [{ 'retry-after': '-1' }, undefined],
    [{ 'retry-after-ms': '-5' }, undefined],
    [{}, undefined],
  ])('%j → %s ms', (headers, expected) => {
    expect(retryAfterOf(headers, now)).toBe(expected);
  });
});

describe('httpError', () => {
  it('reads a list-wrapped JSON error and x-should-retry', () => {
    const error = httpError(
      400,
      { 'x-should-retry': 'true', 'request-id': 'r1' },
      { text: '[{"error":{"message":"bad","code":400}}]', cut: false },
    );
    expect(error).toMatchObject({ status: 400, retryable: true, requestId: 'r1' });
    expect(error.provider?.message).toBe('bad');
    expect(httpError(503, { 'x-should-retry': 'false' }, { text: '', cut: false }).retryable).toBe(
      false,
    );
    expect(httpError(503, {}, { text: '', cut: false }).message).toBe(
      'HTTP 503 Service Unavailable',
    );
  });

  it('keeps a cut JSON body as text', () => {
    const error = httpError(500, {}, { text: '{"error":{"message":"x', cut: true });
    expect(error.provider).toBeNull();
    expect(error.message).toBe('HTTP 500 Internal Server Error: {"error":{"message":"x');
  });
});
