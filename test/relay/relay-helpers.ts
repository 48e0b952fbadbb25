import { Observable, Subject } from 'rxjs';
import type { ChatStreamEvent } from '../../src/chunks/types';
import type { ChatRequest } from '../../src/client/request';
import { createRelay, type Relay, type RelayOptions } from '../../src/relay';
import { serve, type Served } from './sse-client';

// What the relay's tests share: a text event, a request long enough to stop in the middle, and
// relays served over HTTP that are closed after each test.

/** A chat chunk event carrying `content`. */
export const text = (content: string): ChatStreamEvent => ({
  type: 'chunk',
  chunk: { choices: [{ index: 0, delta: { content } }] },
});

/**
 * An upstream the test drives: `events` feeds `source$`, and `state` counts its subscriptions
 * and unsubscriptions (a relay's stop unsubscribes it).
 */
export function upstream() {
  const events = new Subject<ChatStreamEvent>();
  const state = { subscribed: 0, unsubscribed: 0 };
  const source$ = new Observable<ChatStreamEvent>((subscriber) => {
    state.subscribed++;
    const subscription = events.subscribe(subscriber);
    return () => {
      state.unsubscribed++;
      subscription.unsubscribe();
    };
  });
  return { events, state, source$ };
}

/** A request whose answer (500 tokens at most) lasts long enough to be stopped midway. */
export const LONG_STORY: ChatRequest = {
  model: 'mock-1',
  max_tokens: 500,
  messages: [{ role: 'user', content: 'Tell me a long story about relays and offsets' }],
};

/**
 * Registers an `afterEach` that closes what `setUp` made (in reverse order, with any steps a
 * test adds to `cleanUp`), and returns `setUp`: a relay served on a loopback port.
 */
export function servedRelays() {
  const cleanUp: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanUp.splice(0).reverse()) await step();
  });
  const setUp = async (options: RelayOptions = {}): Promise<{ relay: Relay; served: Served }> => {
    const relay = createRelay(options);
    cleanUp.push(() => relay.close());
    const served = await serve(relay);
    cleanUp.push(() => served.close());
    return { relay, served };
  };
  return { setUp, cleanUp };
}
