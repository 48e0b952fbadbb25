/**
 * rxchat/relay: keeps each run's stream of chat events in an ordered log with offsets, and serves
 * it as resumable SSE (`id:` = offset) to any number of readers. A reader that disconnects only
 * detaches; one that reconnects with `Last-Event-ID` gets exactly the events after it;
 * `relay.stop(runId)` stops the upstream. Node only (`node:http` handler); named exports only.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createChatClient } from 'rxchat/node';
 * import { createRelay } from 'rxchat/relay';
 *
 * const relay = createRelay();
 * const client = createChatClient({ apiKey: process.env.OPENAI_API_KEY });
 * relay.start('run-1', client.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }));
 * createServer(relay.handler()).listen(8080); // GET /runs/run-1/events, POST /runs/run-1/stop
 * ```
 *
 * @module rxchat/relay
 */

export { createRelay } from './relay/relay';
export type { Relay, RelayEventsOptions, RelayOptions, RelayRun } from './relay/relay';
export type { RelayAccess, RelayHandler } from './relay/http';
export type { RelayStartHook, RelayStartRequest } from './relay/start-route';
export { memoryStore } from './relay/memory-store';
export type { MemoryStoreOptions } from './relay/memory-store';
export { redisStore } from './relay/redis-store';
export type { RedisClientLike, RedisStoreConnection, RedisStoreOptions } from './relay/redis-store';
export type { RelayEnd, RelayEntry, RelayErrorJson, RelayRunInfo, RelayStore } from './relay/types';
