import { excerpt, type ProviderErrorDetails } from '../errors';

/**
 * The most of one provider string (message, code, type, param) an error keeps: far above any
 * real message, but a server that puts megabytes into an error cannot make every log line and
 * `JSON.stringify(err)` carry them.
 */
export const PROVIDER_TEXT_LIMIT = 4096;

const bounded = (text: string): string => excerpt(text, PROVIDER_TEXT_LIMIT);

const asNullableString = (v: unknown): string | null =>
  typeof v === 'string' ? bounded(v) : typeof v === 'number' ? String(v) : null;

/** The raw text when it says anything, else a stand-in (never an empty message). */
const rawOrUnknown = (rawText: string | undefined): string =>
  rawText !== undefined && rawText.trim() !== '' ? excerpt(rawText) : 'unknown provider error';

/**
 * Reads an OpenAI-style error from whatever a provider sent: `{"error": {...}}`,
 * `{"error": "text"}`, a bare `{"message": ...}` object, a JSON string (`"Rate limit exceeded"`,
 * read as the message itself, without its quotes), or plain text. Never throws.
 */
export function providerErrorFrom(value: unknown, rawText?: string): ProviderErrorDetails {
  const container =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  const inner = container && 'error' in container ? container.error : (container ?? value);
  if (typeof inner === 'string') {
    return {
      message: inner.trim() !== '' ? bounded(inner) : rawOrUnknown(rawText),
      code: null,
      type: null,
      param: null,
    };
  }
  if (typeof inner === 'object' && inner !== null) {
    const e = inner as Record<string, unknown>;
    const code =
      typeof e.code === 'string' ? bounded(e.code) : typeof e.code === 'number' ? e.code : null;
    const message =
      asNullableString(e.message) ??
      asNullableString(e.detail) ??
      (rawText !== undefined ? excerpt(rawText) : excerpt(JSON.stringify(inner)));
    return { message, code, type: asNullableString(e.type), param: asNullableString(e.param) };
  }
  return { message: rawOrUnknown(rawText), code: null, type: null, param: null };
}
