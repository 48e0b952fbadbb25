/**
 * rxchat/angular: providers and an HttpClient transport for Angular >= 19 (ESM only).
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
