/*
 * The names of the provider dialects: a leaf module, so that the dialect table (dialect-styles.ts)
 * and the dialects built from it (dialects.ts) both read the names without importing each other.
 */

/**
 * The dialects of Chat Completions providers. On `/v1/responses` they all answer as OpenAI does.
 *
 * @example
 * ```ts
 * CHAT_DIALECT_NAMES.includes('groq'); // true
 * ```
 */
export const CHAT_DIALECT_NAMES = [
  'openai',
  'azure',
  'openrouter',
  'groq',
  'deepseek',
  'mistral',
  'vllm',
  'no-done',
  'ollama',
] as const;

/**
 * The dialects of servers of OpenAI's Responses API (`/v1/responses`), each a quirk of a real
 * one. They share one names list with the chat dialects, so `x-mock-dialect` and the `dialect`
 * option select them the same way; on `/v1/chat/completions` each answers in the chat dialect of
 * the same provider (`vllm-responses` as `vllm`, `openrouter-responses` as `openrouter`, the
 * others as `openai`).
 *
 * @example
 * ```ts
 * await fetch(`${server.url}/responses`, { headers: { 'x-mock-dialect': 'vllm-responses' }, ... });
 * ```
 */
export const RESPONSES_DIALECT_NAMES = [
  'vllm-responses',
  'litellm-responses',
  'openrouter-responses',
  'copilot-responses',
  'chat-on-responses',
] as const;

/**
 * Every dialect the mock server speaks, in the order `DialectName` lists them: the chat dialects,
 * then the Responses ones.
 *
 * @example
 * ```ts
 * for (const dialect of DIALECT_NAMES) {
 *   await lastValueFrom(client.complete(request, { headers: { 'x-mock-dialect': dialect } }));
 * }
 * ```
 */
export const DIALECT_NAMES = [...CHAT_DIALECT_NAMES, ...RESPONSES_DIALECT_NAMES] as const;

/**
 * The provider dialect of a stream (QUIRKS.md ids in brackets):
 *
 * - `openai`: a role chunk with empty content first, an `obfuscation` padding field [F9],
 *   `usage: null` on every chunk and a usage-only chunk only with `include_usage` [U1], tool
 *   calls as a header then argument fragments [T1], n choices interleaved [C12], `[DONE]`.
 * - `azure`: a first chunk with empty `choices`, id, model and object and
 *   `prompt_filter_results` [I1], `content_filter_results` on every choice [C11], keys in
 *   alphabetical order [I9], `obfuscation` [F9]; usage as OpenAI [U1].
 * - `openrouter`: `: OPENROUTER PROCESSING` comments before and between data [F1], `provider`,
 *   the role on every delta [C5], usage always, on a chunk after the finish chunk [C4, U10];
 *   errors as a data chunk with a numeric code, then `[DONE]` [E1].
 * - `groq`: `x_groq.id` on the first chunk; usage in `x_groq.usage` and top-level on the finish
 *   chunk [U3, U4], a third time on its own chunk with `include_usage` [U4]; each tool call
 *   whole in one delta [T2]; errors as `event: error` without `[DONE]` [E2, F2].
 * - `deepseek`: `reasoning_content` deltas before the content [R1]; usage on the finish chunk
 *   [U3], with `prompt_cache_hit_tokens` [U10].
 * - `mistral`: `p` padding [F9]; the last token inside the finish chunk, with the usage [U3];
 *   tool calls without index or type, whole, in the finish chunk [T3].
 * - `vllm`: `prompt_token_ids`/`prompt_text` on the first chunk, `token_ids` on choices and
 *   `stop_reason` on the finish [C10]; a usage-only chunk with `include_usage`, the only one with
 *   a `system_fingerprint` [I8].
 * - `no-done`: OpenAI through Databricks: never sends `[DONE]` and ends after its last chunk [F3];
 *   the usage chunk re-serialised [I9] with `cache_read_input_tokens` [U10].
 * - `ollama`: the role on every delta [C5], whole tool calls [T2], `[DONE]` always, usage only
 *   with `include_usage`, and an error before the stream as a plain JSON response [F5, U8].
 *
 * On `/v1/responses` every chat dialect answers as OpenAI does (`openai`: exact events,
 * `sequence_number` from 0, one terminal event); the Responses dialects add one quirk each:
 *
 * - `vllm-responses`: an item with no text (a reasoning item without summary) sends no
 *   lifecycle events, so output indexes have a gap; `data: [DONE]` after the terminal event.
 * - `litellm-responses`: never sends `response.output_item.added`: content events arrive for an
 *   item never announced.
 * - `openrouter-responses`: `response.output_item.done` of item 0 comes after item 1's events.
 * - `copilot-responses`: the `item_id` changes between the delta events of one item (the
 *   `output_index` stays right).
 * - `chat-on-responses`: a Chat-only server: `/v1/responses` is answered with
 *   `chat.completion.chunk` events (or one `chat.completion`), as OpenAI's chat would.
 *
 * @example
 * ```ts
 * const server = await startMockServer({ dialect: 'groq' });
 * ```
 */
export type DialectName = (typeof DIALECT_NAMES)[number];

/**
 * A dialect of Chat Completions providers: one with a style of its own.
 *
 * @example
 * ```ts
 * const name: ChatDialectName = 'mistral';
 * ```
 */
export type ChatDialectName = (typeof CHAT_DIALECT_NAMES)[number];

/**
 * A dialect of Responses API servers.
 *
 * @example
 * ```ts
 * const name: ResponsesDialectName = 'copilot-responses';
 * ```
 */
export type ResponsesDialectName = (typeof RESPONSES_DIALECT_NAMES)[number];

/**
 * Whether a name is a dialect.
 *
 * @example
 * ```ts
 * isDialectName(request.headers['x-mock-dialect']); // true for 'groq'
 * ```
 */
export function isDialectName(name: unknown): name is DialectName {
  return (DIALECT_NAMES as readonly unknown[]).includes(name);
}
