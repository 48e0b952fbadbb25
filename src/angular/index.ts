/**
 * rxchat/angular: providers, an HttpClient transport, and chat answers as signals
 * (`chatResource`, `injectChat`) for Angular >= 19 (ESM only).
 *
 * @module rxchat/angular
 */
export { httpClientTransport, RX_CHAT_REQUEST } from './http-client-transport';
export {
  injectChatClient,
  provideRxChat,
  RX_CHAT_CLIENT,
  RX_CHAT_CONFIG,
  RX_CHAT_TRANSPORT,
  withFetchTransport,
  withHttpClientTransport,
  withTransport,
} from './providers';
export type { RxChatConfig, RxChatFeature } from './providers';
export { chatResource } from './chat-resource';
export type {
  ChatResource,
  ChatResourceOptions,
  ChatResourceStatus,
  ChatResourceThrottle,
} from './chat-resource';
export { injectChat } from './inject-chat';
export type { Chat, ChatTurnMessage, InjectChatOptions } from './inject-chat';
