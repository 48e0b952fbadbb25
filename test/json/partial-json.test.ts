import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { from, Subject } from 'rxjs';
import { RxChatError } from '../../src/errors';
import {
  applyJsonPatch,
  type JsonPatch,
  PartialJsonParser,
  type PartialJsonParserOptions,
} from '../../src/json/partial-json-parser';
import { partialJson } from '../../src/operators/partial-json';
import { testScheduler } from '../helpers/marbles';

/** Cuts `text` at the given positions (any order, duplicates allowed: empty deltas). */
function cut(text: string, at: number[]): string[] {
  const points = [...at].sort((a, b) => a - b);
  const pieces: string[] = [];
  let last = 0;
  for (const p of points) {
    pieces.push(text.slice(last, p));
    last = p;
  }
  pieces.push(text.slice(last));
  return pieces;
}

const chars = (text: string) => text.split('');

interface Run {
  /** One entry per delta (and one for the end): the snapshot emitted, or `undefined` when none. */
  snapshots: unknown[];
  /** A deep copy of each snapshot taken when it was emitted. */
  copies: unknown[];
}

/** Feeds the pieces to one snapshot parser; what a subscriber would have seen. */
function runSnapshots(pieces: string[], options: PartialJsonParserOptions = {}): Run {
  const parser = new PartialJsonParser(options);
  const snapshots: unknown[] = [];
  const copies: unknown[] = [];
  const take = (changed: boolean) => {
    if (!changed) return;
    const value = parser.value;
    snapshots.push(value);
    copies.push(structuredClone(value));
  };
  for (const piece of pieces) take(parser.feed(piece));
  take(parser.end());
  return { snapshots, copies };
}

/** The same, in patches mode: the patch batches emitted. */
function runPatches(pieces: string[]): JsonPatch[][] {
  const parser = new PartialJsonParser({ mode: 'patches' });
  const batches: JsonPatch[][] = [];
  for (const piece of pieces) if (parser.feed(piece)) batches.push(parser.takePatches());
  if (parser.end()) batches.push(parser.takePatches());
  return batches;
}

/**
 * Whether `snapshot` is a state on the way to `final`: a string is a prefix of the final
 * string; a number or literal is the final one; an array has a prefix of the final elements, all
 * equal to the final ones but the last, which is consistent; an object has some of the final
 * keys, with values equal to the final ones but at most one, which is consistent.
 */
function consistent(snapshot: unknown, final: unknown): boolean {
  if (typeof final === 'string') return typeof snapshot === 'string' && final.startsWith(snapshot);
  if (typeof final !== 'object' || final === null) return Object.is(snapshot, final);
  if (typeof snapshot !== 'object' || snapshot === null) return false;
  if (Array.isArray(final) !== Array.isArray(snapshot)) return false;
  const s = snapshot as Record<string, unknown>;
  const f = final as Record<string, unknown>;
  const keys = Object.keys(s);
  if (Array.isArray(final)) {
    // A prefix of the elements, all final but the last.
    if (keys.length > final.length) return false;
    return keys.every((key, i) =>
      i === keys.length - 1 ? consistent(s[key], f[key]) : isDeepStrictEqual(s[key], f[key]),
    );
  }
  // Some of the final members (integer-like keys come first, so text order is not key order),
  // all final but at most one, the one being read, which is consistent.
  if (!keys.every((key) => Object.hasOwn(f, key))) return false;
  const partial = keys.filter((key) => !isDeepStrictEqual(s[key], f[key]));
  return (
    partial.length === 0 || (partial.length === 1 && consistent(s[partial[0]!], f[partial[0]!]))
  );
}

/** Every container of `next` equal to the one at its path in `prev` is that very object. */
function expectShared(prev: unknown, next: unknown, path = '$'): void {
  if (typeof next !== 'object' || next === null) return;
  if (typeof prev !== 'object' || prev === null) return;
  if (Array.isArray(prev) !== Array.isArray(next)) return;
  if (isDeepStrictEqual(prev, next)) {
    if (prev !== next) throw new Error(`${path}: an unchanged subtree was copied`);
    return;
  }
  const p = prev as Record<string, unknown>;
  for (const [key, value] of Object.entries(next)) {
    if (Object.hasOwn(p, key)) expectShared(p[key], value, `${path}.${key}`);
  }
}

/** Checks every promise of the contract for one text cut into `pieces`. */
function check(text: string, pieces: string[]): void {
  const final: unknown = JSON.parse(text);
  const { snapshots, copies } = runSnapshots(pieces);
  expect(snapshots.length).toBeGreaterThan(0);
  expect(snapshots[snapshots.length - 1]).toEqual(final);
  for (const snapshot of snapshots) {
    if (!consistent(snapshot, final)) {
      throw new Error(`inconsistent ${JSON.stringify(snapshot)} on the way to ${text}`);
    }
  }
  for (let i = 1; i < snapshots.length; i++) {
    expect(isDeepStrictEqual(snapshots[i - 1], snapshots[i])).toBe(false);
    expectShared(snapshots[i - 1], snapshots[i]);
  }
  // Never mutated after emission.
  snapshots.forEach((snapshot, i) => expect(snapshot).toEqual(copies[i]));
  // Strings shown while open never end in a lone high surrogate.
  const visit = (v: unknown): void => {
    if (typeof v === 'string' && v.length > 0) {
      const last = v.charCodeAt(v.length - 1);
      if (last >= 0xd800 && last <= 0xdbff && !finalHasLoneHigh(final)) {
        throw new Error(`a lone high surrogate was shown: ${JSON.stringify(v)}`);
      }
    } else if (typeof v === 'object' && v !== null) Object.values(v).forEach(visit);
  };
  snapshots.slice(0, -1).forEach(visit);
  // Patches mode rebuilds each snapshot, batch by batch.
  const batches = runPatches(pieces);
  expect(batches.length).toBe(snapshots.length);
  let doc: unknown;
  batches.forEach((batch, i) => {
    for (const patch of batch) doc = applyJsonPatch(doc, patch);
    expect(doc).toEqual(snapshots[i]);
  });
}

/** Whether a value holds a string ending in a lone high surrogate (then it may be shown). */
function finalHasLoneHigh(value: unknown): boolean {
  if (typeof value === 'string') return /[\ud800-\udbff](?![\udc00-\udfff])/.test(value);
  if (typeof value === 'object' && value !== null)
    return Object.values(value).some(finalHasLoneHigh);
  return false;
}

/** A cut of a text: the text and random cut points, any of them inside escapes or pairs. */
const textAndCuts = (text: fc.Arbitrary<string>) =>
  text.chain((t) =>
    fc.tuple(fc.constant(t), fc.array(fc.integer({ min: 0, max: t.length }), { maxLength: 40 })),
  );

const jsonText = fc
  .tuple(
    fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }),
      fc.jsonValue({ maxDepth: 2, stringUnit: 'grapheme' }),
    ),
    fc.constantFrom(undefined, 2, '\t', ' \r\n'),
  )
  .map(([value, space]) => JSON.stringify(value, null, space));

const HANDCRAFTED = [
  '{"a":"line\\nbreak \\"quoted\\" back\\\\slash \\/ \\b\\f\\r\\t end"}',
  '"\\ud83d\\ude00 smile \\u00e9\\u00E9 \\u0000 \\uD834\\uDD1E"',
  '"raw 😀 👩‍💻 🇫🇷 e\u0301"',
  '["\\ud83d", "\\ude00", "\\ud83dx", "a\\ud83d"]',
  '[[], {}, [[]], [{}], {"a":{}}, {"a":[]}, [[[]]]]',
  '[-0, 0, 0.0, 1e-7, 1.5E+10, -1.25e-3, 1E5, 123456789012345678901234567890, 0e0, -0.5]',
  '{"n":15,"m":1.5e10,"t":true,"f":false,"z":null}',
  '  {"deep":{"er":{"est":["x",{"y":"z"}]}}, "sibling": [1,2,3]}  ',
  '\n[\n  true,\n  false,\n  null\n]\n',
  '{"__proto__":{"x":1},"constructor":2,"1":"one","b":"bee","0":"zero"}',
  '{"":""," ":" "}',
  '0',
  '-12.5e-3',
  'true',
  'null',
  '""',
  '"\\\\"',
  '[""]',
  '{"a":[1,[2,[3,[4,"five"]]]],"b":{"c":{"d":"e"}}}',
  '{"text":"Στα ελληνικά, по-русски, 日本語, 한국어 \\u20ac"}',
];

describe('PartialJsonParser', () => {
  it('ends on JSON.parse of the text, consistently, sharing and never mutating, for any cut', () => {
    fc.assert(
      fc.property(textAndCuts(jsonText), ([text, at]) => check(text, cut(text, at))),
      { numRuns: 300 },
    );
  });

  it.each(HANDCRAFTED)('reads %j whole, by character and by random cuts', (text) => {
    check(text, [text]);
    check(text, chars(text));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 20 }), (at) =>
        check(text, cut(text, at)),
      ),
      { numRuns: 50 },
    );
  });

  it('withholds a number until it cannot change', () => {
    expect(runSnapshots(['{"a":1', '5', '}']).snapshots).toEqual([{}, { a: 15 }]);
    const parser = new PartialJsonParser();
    expect(parser.feed('[1')).toBe(true);
    expect(parser.value).toEqual([]);
    for (const piece of ['.', '5', 'e', '1', '0']) expect(parser.feed(piece)).toBe(false);
    expect(parser.feed(' ')).toBe(true);
    expect(parser.value).toEqual([1.5e10]);
    // A top-level number ends with the text.
    const top = new PartialJsonParser();
    expect(top.feed('15')).toBe(false);
    expect(top.value).toBeUndefined();
    expect(top.end()).toBe(true);
    expect(top.value).toBe(15);
    // Literals show once complete.
    expect(runSnapshots(['[tr', 'ue', ',n', 'ull', ']']).snapshots).toEqual([
      [],
      [true],
      [true, null],
    ]);
  });

  it('shows members whose value has started, never a key being written', () => {
    expect(runSnapshots(['{"ke', 'y"', ':', ' "', 'v', 'al', '"}']).snapshots).toEqual([
      {},
      { key: '' },
      { key: 'v' },
      { key: 'val' },
    ]);
    expect(runSnapshots(['{"a":[', '{', '"b":{', '}}]}']).snapshots).toEqual([
      { a: [] },
      { a: [{}] },
      { a: [{ b: {} }] },
    ]);
  });

  it('holds partial escapes and a high surrogate until complete', () => {
    expect(
      runSnapshots(['"a\\', 'n', 'b\\u00', 'e9', '\\ud83d', '\\ude', '00"']).snapshots,
    ).toEqual(['a', 'a\n', 'a\nb', 'a\nbé', 'a\nbé😀']);
    // A raw pair cut between deltas.
    expect(runSnapshots(['"x\ud83d', '\ude00"']).snapshots).toEqual(['x', 'x😀']);
    // A lone high surrogate is a legal string: it shows when the string closes.
    expect(runSnapshots(['"\\ud83d', '"']).snapshots).toEqual(['', '\ud83d']);
  });

  it('shares unchanged siblings when a deep string grows', () => {
    const parser = new PartialJsonParser();
    parser.feed('{"meta":{"id":1},"list":[{"a":"x"},{"b":"he');
    const first = parser.value as { meta: object; list: [object, { b: string }] };
    parser.feed('llo');
    const second = parser.value as typeof first;
    expect(second).not.toBe(first);
    expect(second.list).not.toBe(first.list);
    expect(second.list[1]).not.toBe(first.list[1]);
    expect(second.meta).toBe(first.meta);
    expect(second.list[0]).toBe(first.list[0]);
    expect(first.list[1].b).toBe('he');
    expect(second.list[1].b).toBe('hello');
  });

  it.each([
    ['[1,]', 3],
    ['{"a":1,}', 7],
    ['01', 1],
    ['-01', 2],
    ['1.', 2],
    ['1.e5', 2],
    ['1e', 2],
    ['-', 1],
    ['.5', 0],
    ['+1', 0],
    ['tru', 3],
    ['trUe', 2],
    ['nul', 3],
    ['{"a" 1}', 5],
    ['{"a":1 "b":2}', 7],
    ['{a:1}', 1],
    ["{'a':1}", 1],
    ['1 2', 2],
    ['{} {}', 3],
    ['"abc', 4],
    ['[1, 2', 5],
    ['{"a":', 5],
    [']', 0],
    ['}', 0],
    ['[}', 1],
    ['{]', 1],
    ['', 0],
    ['   ', 3],
    ['"a\tb"', 2],
    ['"\\x"', 2],
    ['"\\u12g4"', 5],
    ['[1]/* c */', 3],
    ['[NaN]', 1],
    ['{"a":1}}', 7],
  ])('rejects %j with a parse_error at position %i, however cut', (text, position) => {
    expect(() => JSON.parse(text)).toThrow();
    for (const pieces of [[text], chars(text)]) {
      const parser = new PartialJsonParser();
      let error: unknown;
      try {
        for (const piece of pieces) parser.feed(piece);
        parser.end();
      } catch (e) {
        error = e;
      }
      expect(RxChatError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'parse_error' });
      expect((error as Error).message).toContain(`at position ${position}`);
      // After an error, every call throws it again.
      expect(() => parser.feed('1')).toThrow(error as Error);
    }
  });

  it('accepts exactly what JSON.parse accepts, under random edits', () => {
    const edited = fc
      .tuple(jsonText, fc.nat(), fc.constantFrom(...'{}[]:,"\\ 0-1.eE+tfnu\t\n'), fc.nat(2))
      .map(([text, at, char, how]) => {
        const i = at % (text.length + 1);
        return how === 0
          ? text.slice(0, i) + char + text.slice(i)
          : how === 1
            ? text.slice(0, i) + text.slice(i + 1)
            : text.slice(0, i) + char + text.slice(i + 1);
      });
    fc.assert(
      fc.property(textAndCuts(edited), ([text, at]) => {
        let expected: unknown;
        let valid = true;
        try {
          expected = JSON.parse(text);
        } catch {
          valid = false;
        }
        const parser = new PartialJsonParser();
        try {
          for (const piece of cut(text, at)) parser.feed(piece);
          parser.end();
        } catch (error) {
          expect(valid).toBe(false);
          expect(error).toMatchObject({ code: 'parse_error' });
          return;
        }
        expect(valid).toBe(true);
        expect(parser.value).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('bounds the depth and the length with validation_error', () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(runSnapshots([nested(64)]).snapshots.at(-1)).toEqual(JSON.parse(nested(64)));
    expect(() => runSnapshots([nested(65)])).toThrow(/maxDepth \(64\) at position 64/);
    expect(() => runSnapshots(chars(nested(4)), { maxDepth: 3 })).toThrow(
      expect.objectContaining({ code: 'validation_error' }),
    );
    expect(runSnapshots(['"abc', 'd"'], { maxLength: 6 }).snapshots.at(-1)).toBe('abcd');
    expect(() => runSnapshots(['"abc', 'de"'], { maxLength: 6 })).toThrow(
      expect.objectContaining({
        code: 'validation_error',
        message: expect.stringMatching(/maxLength \(6/),
      }),
    );
    expect(() => new PartialJsonParser({ maxDepth: 0 })).toThrow(RangeError);
    expect(() => new PartialJsonParser({ maxLength: 0 })).toThrow(RangeError);
    expect(() => partialJson({ mode: 'tree' as never })).toThrow(RangeError);
  });

  it('applies patches: strings appended, containers set empty', () => {
    expect(runPatches(['{"a":"x', 'y","b":[1', ']}'])).toEqual([
      [
        { op: 'set', path: [], value: {} },
        { op: 'set', path: ['a'], value: 'x' },
      ],
      [
        { op: 'append', path: ['a'], value: 'y' },
        { op: 'set', path: ['b'], value: [] },
      ],
      [{ op: 'set', path: ['b', 0], value: 1 }],
    ]);
    expect(applyJsonPatch('ab', { op: 'append', path: [], value: 'c' })).toBe('abc');
  });

  it('rebuilds a 2,000-element array from its patches, cut in 10-character deltas', () => {
    const text = JSON.stringify({
      items: Array.from({ length: 2000 }, (_, i) => ({ i, s: `v${i}` })),
    });
    const batches = runPatches(
      cut(
        text,
        Array.from({ length: text.length / 10 }, (_, i) => i * 10),
      ),
    );
    let doc: unknown;
    for (const batch of batches) for (const patch of batch) doc = applyJsonPatch(doc, patch);
    expect(doc).toEqual(JSON.parse(text));
  });
});

describe('partialJson', () => {
  const deltas = { a: '{"t":"He', b: 'llo",', c: '"n":4', d: '2}', w: '  ' };
  const values = { x: { t: 'He' }, y: { t: 'Hello' }, z: { t: 'Hello', n: 42 } };

  it('emits a snapshot synchronously with each delta that changed it, and completes', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-w-c-d-|', deltas);
      expectObservable(source.pipe(partialJson())).toBe('-x-y-----z-|', values);
      expectSubscriptions(source.subscriptions).toBe('^----------!');
    });
  });

  it('emits a number that ends the text on completion', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-|', { a: ' 4', b: '2' }).pipe(partialJson())).toBe('-----(x|)', {
        x: 42,
      });
    });
  });

  it('fails at once on invalid JSON, and unsubscribes from the source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-|', { a: '[1', b: ',]', c: '2' });
      expectObservable(source.pipe(partialJson())).toBe(
        '-x-#',
        { x: [] },
        new RxChatError('parse_error', "partialJson: unexpected ']' at position 3"),
      );
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('fails on completion when the value is unfinished', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-|', deltas).pipe(partialJson())).toBe(
        '-x-#',
        values,
        new RxChatError('parse_error', 'partialJson: unexpected end of JSON input at position 8'),
      );
    });
  });

  it("passes the source's error through", () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#', deltas, 'boom').pipe(partialJson())).toBe(
        '-x-#',
        values,
        'boom',
      );
    });
  });

  it('stops reading when unsubscribed', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-|', deltas);
      expectObservable(source.pipe(partialJson()), '^--!').toBe('-x-', values);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('emits patch batches in patches mode', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', deltas);
      expectObservable(source.pipe(partialJson({ mode: 'patches' }))).toBe('-p-q---r-|', {
        p: [
          { op: 'set', path: [], value: {} },
          { op: 'set', path: ['t'], value: 'He' },
        ],
        q: [{ op: 'append', path: ['t'], value: 'llo' }],
        r: [{ op: 'set', path: ['n'], value: 42 }],
      });
    });
  });

  it('gives each subscription its own parser, and stops after a synchronous error', () => {
    const seen: unknown[] = [];
    const source = from(['[1,', ']', '2]']);
    const piped = source.pipe(partialJson());
    piped.subscribe({ next: (v) => seen.push(v), error: (e: Error) => seen.push(e.message) });
    piped.subscribe({ next: (v) => seen.push(v), error: (e: Error) => seen.push(e.message) });
    const failure = "partialJson: unexpected ']' at position 3";
    expect(seen).toEqual([[1], failure, [1], failure]);
    const subject = new Subject<string>();
    const out: unknown[] = [];
    subject.pipe(partialJson()).subscribe((v) => out.push(v));
    subject.next('["a');
    expect(out).toEqual([['a']]);
    subject.next('b"]');
    expect(out).toEqual([['a'], ['ab']]);
  });
});
