import { fetchTransport } from '../transport/fetch';
import { buildChatClient, type ChatClient, type ChatClientOptions } from './chat-client';

/**
 * Creates a client for an OpenAI-compatible endpoint. In Node (`rxchat` resolves to its Node
 * build there, also importable as `rxchat/node`) requests go over undici; in browsers, Deno, Bun
 * and workers over `fetch`. Nothing is sent until you subscribe.
 *
 * @example
 * ```ts
 * import { createChatClient, contentDeltas } from 'rxchat';
 *
 * const client = createChatClient({
 *   baseURL: 'https://api.openai.com/v1',
 *   apiKey: process.env.OPENAI_API_KEY,
 *   retry: { maxRetries: 3 },
 *   timeout: { headers: 10_000, idle: 30_000 },
 * });
 * client
 *   .stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] })
 *   .pipe(contentDeltas())
 *   .subscribe((text) => process.stdout.write(text));
 * ```
 */
export function createChatClient(options: ChatClientOptions = {}): ChatClient {
  return buildChatClient(options, () => fetchTransport());
}
