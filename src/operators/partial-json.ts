import { Observable, type OperatorFunction } from 'rxjs';
import {
  type JsonPatch,
  PartialJsonParser,
  type PartialJsonParserOptions,
} from '../json/partial-json-parser';

/** Options of {@link partialJson}: the parser's ({@link PartialJsonParserOptions}). */
export type PartialJsonOptions = PartialJsonParserOptions;

/**
 * Parses streamed JSON text as it arrives: after each delta that changed what is known of the
 * value, emits a snapshot of it, synchronously; the last snapshot equals `JSON.parse` of the whole
 * text. Strict JSON (no comments, trailing commas, single quotes, Markdown fences: strip those
 * first); leading and trailing whitespace is allowed.
 *
 * What a snapshot shows:
 * - Open arrays and objects appear closed as far as known. A member appears once its value has
 *   started if that value is a string, array or object (a string shows its prefix, possibly
 *   `''`); a key still being written never appears.
 * - Numbers and `true`/`false`/`null` are withheld until they cannot change: a number ends at
 *   the next delimiter or at the end of the text (`{"a":1` + `5` shows `{}`, and `{ a: 15 }`
 *   only once `}` or `,` comes), so `15` is never shown on the way to `1.5e10`.
 * - String escapes are exact; a partial escape at the end of a delta is held, and a string's
 *   prefix never ends in a lone high surrogate (it waits for its pair, or for the closing quote).
 * - A delta that changes nothing visible (whitespace, a key, a number still growing) emits
 *   nothing.
 *
 * Snapshots are never changed after emission, and share every unchanged subtree with the previous
 * one (`distinctUntilChanged` and signals see only what changed): treat them as read-only, since
 * later snapshots share their unchanged parts. The cost: each delta that changes something copies
 * the containers on the path from the root to each change, O(depth + width of those containers):
 * an array growing to n elements is copied about once per delta, O(n) each time (quadratic over
 * a long array: see BENCHMARKS.md). Text is read once, never re-parsed. In `'patches'` mode the
 * emission is an array of patches, not a snapshot (next paragraph).
 *
 * `{ mode: 'patches' }` builds no snapshot: after each delta that changed something it emits the
 * {@link JsonPatch}es of that delta, as one array (`set` at a path, `append` to a string),
 * O(delta × depth) in all: linear in the text for a bounded depth.
 * Applied in order (with {@link applyJsonPatch}) they rebuild exactly each snapshot.
 *
 * Errors: invalid JSON fails at once with an {@link RxChatError} `parse_error` giving the
 * position (UTF-16 code units from the start); text that ends before one complete value fails
 * with `parse_error` on completion. Nesting deeper than `maxDepth` (default 64) or text longer
 * than `maxLength` (default 16 MiB) fails with `validation_error`. Each subscription has its own
 * parser.
 *
 * @example
 * ```ts
 * import { from } from 'rxjs';
 * import { partialJson } from 'rxchat';
 *
 * from(['{"title":"Hel', 'lo","tags":["a', '"],"n":4', '2}'])
 *   .pipe(partialJson())
 *   .subscribe((v) => console.log(v));
 * // { title: 'Hel' }
 * // { title: 'Hello', tags: ['a'] }
 * // (nothing for '"],"n":4': it closes 'a' and starts a number, which may still grow)
 * // { title: 'Hello', tags: ['a'], n: 42 }
 * ```
 */
export function partialJson(
  options?: PartialJsonOptions & { mode?: 'snapshots' },
): OperatorFunction<string, unknown>;
export function partialJson(
  options: PartialJsonOptions & { mode: 'patches' },
): OperatorFunction<string, JsonPatch[]>;
export function partialJson(
  options: PartialJsonOptions = {},
): OperatorFunction<string, unknown> | OperatorFunction<string, JsonPatch[]> {
  // Check the options now, not at subscription.
  new PartialJsonParser(options);
  const patches = options.mode === 'patches';
  return (source: Observable<string>) =>
    new Observable<unknown>((subscriber) => {
      const parser = new PartialJsonParser(options);
      const emit = () => subscriber.next(patches ? parser.takePatches() : parser.value);
      return source.subscribe({
        next(delta) {
          if (subscriber.closed) return;
          let changed: boolean;
          try {
            changed = parser.feed(delta);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          if (changed) emit();
        },
        error(error: unknown) {
          if (!subscriber.closed) subscriber.error(error);
        },
        complete() {
          if (subscriber.closed) return;
          let changed: boolean;
          try {
            changed = parser.end();
          } catch (error) {
            subscriber.error(error);
            return;
          }
          if (changed) emit();
          subscriber.complete();
        },
      });
    });
}
