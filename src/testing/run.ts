import { TestScheduler } from 'rxjs/testing';
import { isErrorLike } from '../errors';

/**
 * What `TestScheduler.run` hands its callback (RxJS's own type): `cold`, `hot`, `flush`,
 * `time`, `animate`, `expectObservable` and `expectSubscriptions`, all on virtual time.
 */
type RunHelpers = Parameters<Parameters<TestScheduler['run']>[0]>[0];

/** Compares actual and expected marble results; throws (or fails the test) when they differ. */
export type DeepEqual = (actual: unknown, expected: unknown) => void;

/**
 * Replaces every error inside a value with `{ name, message }` plus, when set, `code`, `phase`,
 * `status`, `attempts` and `retryable`, so marble expectations compare errors by what they say,
 * not by stack traces or the partial completions they carry.
 */
export function stripErrors(value: unknown, copies = new Map<object, unknown>()): unknown {
  if (isError(value)) {
    const error = value as Error & Record<string, unknown>;
    const plain: Record<string, unknown> = { name: error.name, message: error.message };
    for (const key of ['code', 'phase', 'status', 'attempts', 'retryable']) {
      if (error[key] !== undefined) plain[key] = error[key];
    }
    return plain;
  }
  if (typeof value !== 'object' || value === null) return value;
  // Only plain data is walked: class instances (a runner's asymmetric matchers among them) stay.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  // The same value met twice (a value map key used twice, or a cycle) gets the same copy.
  const known = copies.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    copies.set(value, out);
    for (const item of value) out.push(stripErrors(item, copies));
    return out;
  }
  const out: Record<string, unknown> = {};
  copies.set(value, out);
  for (const [key, item] of Object.entries(value)) out[key] = stripErrors(item, copies);
  return out;
}

/** A real error (or a class instance that looks like one), never plain data with a `message`. */
function isError(value: unknown): boolean {
  if (value instanceof Error) return true;
  if (!isErrorLike(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto !== Object.prototype && proto !== null;
}

/** A deep equality that needs no test runner: throws with both sides as JSON when they differ. */
export const strictDeepEqual: DeepEqual = (actual, expected) => {
  const a = stableJson(actual);
  const e = stableJson(expected);
  if (a !== e) throw new Error(`Marble mismatch\n  actual:   ${a}\n  expected: ${e}`);
};

function stableJson(value: unknown): string {
  const open = new Set<object>(); // the objects being written: meeting one again is a cycle
  const write = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (open.has(v)) return '[Circular]';
    open.add(v);
    let out: unknown;
    if (Array.isArray(v)) out = v.map(write);
    else {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort())
        sorted[key] = write((v as Record<string, unknown>)[key]);
      out = sorted;
    }
    open.delete(v);
    return out;
  };
  return JSON.stringify(write(value)) ?? String(value);
}

/**
 * A `TestScheduler` whose assertions strip errors to what they say ({@link stripErrors}) and
 * then use `deepEqual`: pass your runner's (`(a, e) => expect(a).toEqual(e)` in Jest or Vitest,
 * `assert.deepStrictEqual` in `node:test`); the default needs no runner.
 */
export function createTestScheduler(deepEqual: DeepEqual = strictDeepEqual): TestScheduler {
  return new TestScheduler((actual, expected) =>
    deepEqual(stripErrors(actual), stripErrors(expected)),
  );
}

/**
 * Runs `callback` in `TestScheduler.run` with a scheduler from {@link createTestScheduler}:
 * virtual time for every RxJS scheduler, marbles in run mode.
 *
 * @example
 * ```ts
 * runMarbles(({ cold, expectObservable }) => {
 *   expectObservable(cold('-a-b|').pipe(map((x) => x.toUpperCase()))).toBe('-A-B|');
 * }, (a, e) => expect(a).toEqual(e));
 * ```
 */
export function runMarbles<T>(callback: (helpers: RunHelpers) => T, deepEqual?: DeepEqual): T {
  return createTestScheduler(deepEqual).run(callback);
}

export type { RunHelpers };
