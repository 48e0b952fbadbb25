/**
 * rxchat/mock-server: a real OpenAI-compatible server on loopback (node:http only) that streams
 * deterministic answers in the dialects of real providers, with realistic pacing and injected
 * faults. Node only; named exports only.
 *
 * @module rxchat/mock-server
 */

export { startMockServer } from './server';
export type { MockConnection, MockRequest, MockServer, MockServerOptions } from './types';
export { DIALECT_NAMES } from './dialect-names';
export type { DialectName } from './dialect-names';
export type { FaultSpec } from './faults';
export { REALISTIC_PACE } from './pacing';
export type { PaceOptions, PaceSetting } from './pacing';
export { mockAnswerText } from './answers';
