import {
  Observable,
  type Observer,
  type OperatorFunction,
  type Subscriber,
  type Subscription,
} from 'rxjs';

/**
 * Where an engine sends what it passes on: the operator's subscriber, or, where the client fuses
 * several engines into one chain, the next engine (no subscriber layer between them).
 */
export interface Sink<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
  /** Whether nothing more may be sent. */
  readonly closed: boolean;
}

/**
 * The engine of an operator for one subscription, as {@link SseDecoder} is that of
 * {@link decodeSse}: a plain class that observes the source and drives the subscriber, with the
 * state that would otherwise be a closure's `let`s.
 */
export interface OperatorEngine<T> extends Observer<T> {
  /** Tears down everything the engine runs; the subscription to the source is added to it. */
  readonly subscription: Subscription;
  /** Called once the source was subscribed to (and may already have emitted). */
  start?(): void;
}

/**
 * The thin operator around an engine: each subscription makes one with `create`, subscribes it to
 * the source, and unsubscribes its {@link OperatorEngine.subscription} on teardown.
 */
export function engineOperator<T, R>(
  create: (subscriber: Subscriber<R>) => OperatorEngine<T>,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const engine = create(subscriber);
      engine.subscription.add(source.subscribe(engine));
      engine.start?.();
      return engine.subscription;
    });
}
