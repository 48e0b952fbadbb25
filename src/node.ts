/**
 * rxchat for Node: everything in `rxchat`, with undici as the default transport. The `node`
 * export condition of `rxchat` resolves here, so Node users get it without asking; browser
 * bundles never see this file, undici or any `node:` module.
 *
 * @module rxchat/node
 */

export * from './index';

export { undiciTransport } from './transport/undici';
export type { UndiciTransportOptions } from './transport/undici';

import { buildChatClient, type ChatClient, type ChatClientOptions } from './client/chat-client';
import { undiciTransport } from './transport/undici';

/**
 * Creates a client for an OpenAI-compatible endpoint that sends requests over undici (a
 * keep-alive pool; pass `transport: undiciTransport({ dispatcher })` for proxies, HTTP/2 or a
 * `MockAgent`). Nothing is sent until you subscribe.
 *
 * @example
 * ```ts
 * import { createChatClient, finalCompletion } from 'rxchat/node';
 *
 * const client = createChatClient({ apiKey: process.env.OPENAI_API_KEY, timeout: { idle: 30_000 } });
 * client.complete({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] })
 *   .subscribe((completion) => console.log(completion.choices[0]?.message.content));
 * ```
 */
export function createChatClient(options: ChatClientOptions = {}): ChatClient {
  return buildChatClient(options, () => undiciTransport());
}
