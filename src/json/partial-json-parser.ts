import { excerpt, RxChatError } from '../errors';

/** A place in a JSON value: object keys and array indexes from the root (`[]` is the root). */
export type JsonPath = (string | number)[];

/**
 * One change of a value being parsed, as {@link partialJson} emits them in `'patches'` mode.
 * Applied in order to `undefined` (with {@link applyJsonPatch}), the patches of every delta so far
 * rebuild exactly the snapshot that `'snapshots'` mode emits for that delta.
 *
 * - `set`: the value at `path` is now `value` (a new key or array element, or a replacement). A
 *   container is always set empty (`{}` or `[]`) and filled by later patches; a string is set with
 *   its prefix so far (possibly `''`); a number or literal is set once, complete.
 * - `append`: the string at `path` grew by `value` (never empty).
 */
export type JsonPatch = JsonSetPatch | JsonAppendPatch;

/** A {@link JsonPatch} that sets the value at a path. */
export interface JsonSetPatch {
  /** The discriminant: the value at `path` is now `value`. */
  readonly op: 'set';
  /** Where: object keys and array indexes from the root (`[]`: the root itself). */
  readonly path: JsonPath;
  /** The new value: `{}` or `[]` for a container (always empty), a string prefix, or a scalar. */
  readonly value: unknown;
}

/** A {@link JsonPatch} that appends text to the string at a path. */
export interface JsonAppendPatch {
  /** The discriminant: the string at `path` grew. */
  readonly op: 'append';
  /** Where the string is: object keys and array indexes from the root. */
  readonly path: JsonPath;
  /** The text appended (never empty). */
  readonly value: string;
}

/** Options of {@link PartialJsonParser} and {@link partialJson}. */
export interface PartialJsonParserOptions {
  /**
   * `'snapshots'` (the default): {@link PartialJsonParser.value} is an immutable snapshot of the
   * value so far, sharing unchanged subtrees with the previous one. `'patches'`: no snapshot is
   * built; {@link PartialJsonParser.takePatches} returns the changes instead (O(delta)).
   */
  mode?: 'snapshots' | 'patches';
  /** The deepest nesting of arrays and objects allowed; default 64 (`validation_error` beyond). */
  maxDepth?: number;
  /**
   * The most text accepted, in UTF-16 code units (characters, for ASCII), whitespace included;
   * default 16 MiB (16,777,216). More fails with `validation_error`.
   */
  maxLength?: number;
}

/** The default {@link PartialJsonParserOptions.maxDepth}. */
export const DEFAULT_JSON_MAX_DEPTH = 64;
/** The default {@link PartialJsonParserOptions.maxLength}: 16 MiB of text. */
export const DEFAULT_JSON_MAX_LENGTH = 16 * 1024 * 1024;

// Parser states.
const VALUE = 0; // a value must come: at the start, after ':' and after ',' in an array
const ARRAY_FIRST = 1; // after '[': a value or ']'
const OBJECT_FIRST = 2; // after '{': a key or '}'
const OBJECT_KEY = 3; // after ',' in an object: a key
const KEY = 4; // inside a key's string
const COLON = 5; // after a key
const AFTER = 6; // after a value in a container: ',' or the container's close
const STRING = 7; // inside a string value
const NUMBER = 8; // inside a number
const LITERAL = 9; // inside true, false or null
const DONE = 10; // after the top-level value: whitespace only

// Number states: the JSON number grammar. TERMINAL ones may end the number.
const N_START = 0;
const N_MINUS = 1;
const N_ZERO = 2; // TERMINAL
const N_INT = 3; // TERMINAL
const N_DOT = 4;
const N_FRAC = 5; // TERMINAL
const N_EXP = 6;
const N_EXP_SIGN = 7;
const N_EXP_DIGITS = 8; // TERMINAL
const isTerminal = (n: number) => n === N_ZERO || n === N_INT || n === N_FRAC || n === N_EXP_DIGITS;

const ARRAY = 0;
const OBJECT = 1;

/** One open array or object. */
interface Frame {
  readonly kind: typeof ARRAY | typeof OBJECT;
  /** The container as the current snapshot has it ('snapshots' mode only). */
  value: unknown[] | Record<string, unknown>;
  /** The epoch `value` was made in: older means it was published, and is copied before a change. */
  epoch: number;
  /** Its key in its parent (unused for the root). */
  readonly key: string | number;
  /** Arrays: the number of complete elements (the index of the next one). */
  length: number;
  /** Objects: the key of the member being read. */
  member: string;
}

const isWhitespace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isHighSurrogateCode = (c: number) => c >= 0xd800 && c <= 0xdbff;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const ESCAPES: Record<number, string> = {
  34: '"',
  92: '\\',
  47: '/',
  98: '\b',
  102: '\f',
  110: '\n',
  114: '\r',
  116: '\t',
};

/** Sets a member as `JSON.parse` does: an own data property, even for `__proto__`. */
function setMember(container: object, key: string | number, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(container, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    (container as Record<string | number, unknown>)[key] = value;
  }
}

function describe(c: number): string {
  return c < 32 || c === 127
    ? `control character U+${c.toString(16).padStart(4, '0')}`
    : `'${String.fromCharCode(c)}'`;
}

/**
 * Applies one {@link JsonPatch} to `root` and returns the new root (the same object, changed in
 * place, unless the patch is at the root). Start from `undefined`.
 *
 * @example
 * ```ts
 * let doc: unknown;
 * for (const patch of patches) doc = applyJsonPatch(doc, patch);
 * ```
 */
export function applyJsonPatch(root: unknown, patch: JsonPatch): unknown {
  const { path } = patch;
  // A container is always set empty: give each application its own.
  const fresh = (v: unknown) =>
    typeof v === 'object' && v !== null ? (Array.isArray(v) ? [] : {}) : v;
  if (path.length === 0)
    return patch.op === 'set' ? fresh(patch.value) : `${root as string}${patch.value}`;
  let target = root as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++)
    target = target[path[i]!] as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  setMember(
    target,
    key,
    patch.op === 'set' ? fresh(patch.value) : `${target[key] as string}${patch.value}`,
  );
  return root;
}

/**
 * The engine of {@link partialJson}: an incremental, strict JSON parser that shows the value as
 * far as it is known after each piece of text. Each character is read once; nothing is re-parsed.
 *
 * - `feed(delta)` reads a piece and returns whether the visible value changed; `end()` says the
 *   text is over (a number at the very end is complete only then) and returns the same.
 * - `value` is the snapshot so far (`undefined` before anything is visible); see
 *   {@link partialJson} for what a snapshot shows. Snapshots are never changed once read: a new
 *   one shares every unchanged subtree with the previous one.
 * - In `'patches'` mode, `takePatches()` returns the changes since it was last called instead.
 *
 * Invalid JSON throws an {@link RxChatError} `parse_error` whose message gives the position (in
 * UTF-16 code units from the start of the text); the limits throw `validation_error`. After an
 * error every call throws it again.
 *
 * @example
 * ```ts
 * const parser = new PartialJsonParser();
 * parser.feed('{"a": "He');  // true: parser.value is { a: 'He' }
 * parser.feed('llo", "n": 1'); // true: { a: 'Hello' } (the number may go on)
 * parser.feed('2}');           // true: { a: 'Hello', n: 12 }
 * parser.end();                // false: complete, nothing new
 * ```
 */
export class PartialJsonParser {
  private readonly patchMode: boolean;
  private readonly maxDepth: number;
  private readonly maxLength: number;

  private state = VALUE;
  private readonly stack: Frame[] = [];
  private root: unknown = undefined;
  /** The text read before the current piece, in UTF-16 code units. */
  private offset = 0;
  private failure: RxChatError | undefined;
  private changed = false;
  /** Snapshot mode: the current epoch, and whether the root changed since `value` was read. */
  private epoch = 0;
  private dirty = false;
  private patches: JsonPatch[] = [];

  // The string being read (a key or a value): the part shown, the part decoded since (kept apart
  // so that nothing ever reads, slices or flattens the whole string: linear for long strings).
  private str = '';
  private added = '';
  /** 0: none; 1: after a backslash; 2–5: after `\u` and that many hex digits minus 2. */
  private esc = 0;
  private hex = 0;
  /** A string value: whether its slot was written yet. */
  private announced = false;

  private numText = '';
  private numState = N_START;

  private literal = '';
  private literalValue: unknown = undefined;
  private literalIndex = 0;

  constructor(options: PartialJsonParserOptions = {}) {
    const {
      mode = 'snapshots',
      maxDepth = DEFAULT_JSON_MAX_DEPTH,
      maxLength = DEFAULT_JSON_MAX_LENGTH,
    } = options;
    if (mode !== 'snapshots' && mode !== 'patches') {
      throw new RangeError(
        `partialJson: mode must be 'snapshots' or 'patches', not ${String(mode)}`,
      );
    }
    if (!(Number.isInteger(maxDepth) && maxDepth > 0)) {
      throw new RangeError('partialJson: maxDepth must be a positive integer');
    }
    if (!(maxLength > 0)) throw new RangeError('partialJson: maxLength must be positive');
    this.patchMode = mode === 'patches';
    this.maxDepth = maxDepth;
    this.maxLength = maxLength;
  }

  /**
   * The value so far: an immutable snapshot (`'snapshots'` mode; `undefined` in `'patches'` mode
   * and before anything is visible). Reading it publishes it: later changes copy what they touch.
   */
  get value(): unknown {
    if (this.dirty) {
      this.epoch++;
      this.dirty = false;
    }
    return this.root;
  }

  /** `'patches'` mode: the patches since the last call, in order (an empty array when none). */
  takePatches(): JsonPatch[] {
    const patches = this.patches;
    this.patches = [];
    return patches;
  }

  /** Reads a piece of the text; returns whether the visible value changed. Throws on bad JSON. */
  feed(delta: string): boolean {
    if (this.failure) throw this.failure;
    this.changed = false;
    const n = delta.length;
    if (this.offset + n > this.maxLength) {
      this.fail(
        'validation_error',
        `partialJson: the text is longer than maxLength (${this.maxLength} characters)`,
        delta,
        0,
      );
    }
    let i = 0;
    while (i < n) {
      const state = this.state;
      if (state === STRING || state === KEY) {
        i = this.scanString(delta, i);
        continue;
      }
      if (state === NUMBER) {
        i = this.scanNumber(delta, i);
        continue;
      }
      const c = delta.charCodeAt(i);
      if (state === LITERAL) {
        if (c !== this.literal.charCodeAt(this.literalIndex)) this.unexpected(delta, i);
        i++;
        if (++this.literalIndex === this.literal.length) {
          this.write(this.literalValue);
          this.valueDone();
        }
        continue;
      }
      if (isWhitespace(c)) {
        i++;
        continue;
      }
      switch (state) {
        case VALUE:
          this.startValue(delta, i, c);
          break;
        case ARRAY_FIRST:
          if (c === 93) this.close();
          else this.startValue(delta, i, c);
          break;
        case OBJECT_FIRST:
          if (c === 125) this.close();
          else if (c === 34) this.startString(KEY);
          else this.unexpected(delta, i);
          break;
        case OBJECT_KEY:
          if (c === 34) this.startString(KEY);
          else this.unexpected(delta, i);
          break;
        case COLON:
          if (c === 58) this.state = VALUE;
          else this.unexpected(delta, i);
          break;
        case AFTER: {
          const top = this.stack[this.stack.length - 1]!;
          if (c === 44) this.state = top.kind === ARRAY ? VALUE : OBJECT_KEY;
          else if (c === (top.kind === ARRAY ? 93 : 125)) this.close();
          else this.unexpected(delta, i);
          break;
        }
        default: // DONE
          this.unexpected(delta, i, 'after the end of the JSON value');
      }
      // A number's first character is read by scanNumber.
      if (this.state !== NUMBER) i++;
    }
    if (this.state === STRING) this.showString(false);
    this.offset += n;
    return this.changed;
  }

  /**
   * Says the text is over: completes a number at the very end, and throws a `parse_error` unless
   * the text was exactly one JSON value. Returns whether the visible value changed.
   */
  end(): boolean {
    if (this.failure) throw this.failure;
    this.changed = false;
    if (this.state === NUMBER && isTerminal(this.numState)) {
      this.write(Number(this.numText));
      this.valueDone();
    }
    if (this.state !== DONE) {
      this.fail(
        'parse_error',
        `partialJson: unexpected end of JSON input at position ${this.offset}`,
        '',
        0,
      );
    }
    return this.changed;
  }

  private startValue(delta: string, i: number, c: number): void {
    switch (c) {
      case 123: // {
      case 91: {
        // [
        const depth = this.stack.length + 1;
        if (depth > this.maxDepth) {
          this.fail(
            'validation_error',
            `partialJson: nesting deeper than maxDepth (${this.maxDepth}) at position ${this.offset + i}`,
            delta,
            i,
          );
        }
        const kind = c === 91 ? ARRAY : OBJECT;
        const value = kind === ARRAY ? [] : {};
        const key = this.slotKey();
        this.write(value);
        this.stack.push({ kind, value, epoch: this.epoch, key, length: 0, member: '' });
        this.state = kind === ARRAY ? ARRAY_FIRST : OBJECT_FIRST;
        return;
      }
      case 34: // "
        this.startString(STRING);
        return;
      case 116: // t
        return this.startLiteral('true', true);
      case 102: // f
        return this.startLiteral('false', false);
      case 110: // n
        return this.startLiteral('null', null);
      default:
        if (c === 45 || isDigit(c)) {
          this.state = NUMBER;
          this.numState = N_START;
          this.numText = '';
          return;
        }
        this.unexpected(delta, i);
    }
  }

  private startLiteral(word: string, value: unknown): void {
    this.state = LITERAL;
    this.literal = word;
    this.literalValue = value;
    this.literalIndex = 1;
  }

  private startString(state: typeof KEY | typeof STRING): void {
    this.state = state;
    this.str = '';
    this.added = '';
    this.esc = 0;
    this.announced = false;
  }

  /** Reads string characters from `i`; returns where it stopped (after the closing quote). */
  private scanString(delta: string, i: number): number {
    const n = delta.length;
    let start = i;
    while (i < n) {
      const c = delta.charCodeAt(i);
      const esc = this.esc;
      if (esc === 0) {
        if (c === 34) {
          this.added += delta.slice(start, i);
          this.endString();
          return i + 1;
        }
        if (c === 92) {
          this.added += delta.slice(start, i);
          this.esc = 1;
        } else if (c < 32) {
          this.unexpected(delta, i, 'in a string');
        }
        i++;
        continue;
      }
      if (esc === 1) {
        if (c === 117) {
          this.esc = 2;
          this.hex = 0;
        } else {
          const decoded = ESCAPES[c];
          if (decoded === undefined) this.unexpected(delta, i, 'in an escape');
          this.added += decoded;
          this.esc = 0;
        }
        i++;
        start = i;
        continue;
      }
      const h = hexValue(c);
      if (h < 0) this.unexpected(delta, i, 'in a \\u escape');
      this.hex = this.hex * 16 + h;
      i++;
      if (++this.esc === 6) {
        this.added += String.fromCharCode(this.hex);
        this.esc = 0;
        start = i;
      }
    }
    if (this.esc === 0) this.added += delta.slice(start, n);
    return n;
  }

  private endString(): void {
    if (this.state === KEY) {
      this.stack[this.stack.length - 1]!.member = this.added;
      this.state = COLON;
      return;
    }
    this.showString(true);
    this.valueDone();
  }

  /** Writes the string value's visible prefix (or, when `whole`, all of it) if it grew. */
  private showString(whole: boolean): void {
    let take = this.added;
    let held = '';
    // Never show half a surrogate pair: hold a high surrogate until its pair (or the quote).
    if (!whole && take.length > 0 && isHighSurrogateCode(take.charCodeAt(take.length - 1))) {
      held = take.slice(-1);
      take = take.slice(0, -1);
    }
    if (this.announced && take.length === 0) return;
    this.added = held;
    this.str += take;
    if (this.patchMode && this.announced) {
      this.patches.push({ op: 'append', path: this.pathTo(this.slotKey()), value: take });
      this.changed = true;
    } else {
      this.write(this.str);
    }
    this.announced = true;
  }

  /** Reads number characters from `i`; returns where it stopped (the first one not its own). */
  private scanNumber(delta: string, i: number): number {
    const n = delta.length;
    const start = i;
    let s = this.numState;
    for (; i < n; i++) {
      const c = delta.charCodeAt(i);
      const digit = isDigit(c);
      switch (s) {
        case N_START:
          s = c === 45 ? N_MINUS : c === 48 ? N_ZERO : N_INT;
          continue;
        case N_MINUS:
          if (!digit) break;
          s = c === 48 ? N_ZERO : N_INT;
          continue;
        case N_ZERO:
          if (digit) {
            this.numState = s;
            this.unexpected(delta, i, '(a number cannot have leading zeros)');
          }
          if (c === 46) s = N_DOT;
          else if (c === 101 || c === 69) s = N_EXP;
          else break;
          continue;
        case N_INT:
          if (digit) continue;
          if (c === 46) s = N_DOT;
          else if (c === 101 || c === 69) s = N_EXP;
          else break;
          continue;
        case N_DOT:
          if (!digit) break;
          s = N_FRAC;
          continue;
        case N_FRAC:
          if (digit) continue;
          if (c === 101 || c === 69) s = N_EXP;
          else break;
          continue;
        case N_EXP:
          if (c === 43 || c === 45) s = N_EXP_SIGN;
          else if (digit) s = N_EXP_DIGITS;
          else break;
          continue;
        case N_EXP_SIGN:
          if (!digit) break;
          s = N_EXP_DIGITS;
          continue;
        default: // N_EXP_DIGITS
          if (digit) continue;
      }
      // `c` is not part of the number: it ends here, if it may.
      this.numState = s;
      if (!isTerminal(s)) this.unexpected(delta, i, 'in a number');
      this.numText += delta.slice(start, i);
      this.write(Number(this.numText));
      this.valueDone();
      return i;
    }
    this.numState = s;
    this.numText += delta.slice(start, n);
    return n;
  }

  private close(): void {
    this.stack.pop();
    this.valueDone();
  }

  /** A value just ended: what may come next. */
  private valueDone(): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) {
      this.state = DONE;
      return;
    }
    if (top.kind === ARRAY) top.length++;
    this.state = AFTER;
  }

  /** The key of the value being read in its container (undefined at the top level). */
  private slotKey(): string | number {
    const top = this.stack[this.stack.length - 1];
    return top === undefined ? '' : top.kind === ARRAY ? top.length : top.member;
  }

  private pathTo(key: string | number): JsonPath {
    const path: JsonPath = [];
    for (let d = 1; d < this.stack.length; d++) path.push(this.stack[d]!.key);
    if (this.stack.length > 0) path.push(key);
    return path;
  }

  /** Sets the value being read (at the top of the stack, or the root) to `value`. */
  private write(value: unknown): void {
    this.changed = true;
    const depth = this.stack.length;
    if (this.patchMode) {
      this.patches.push({ op: 'set', path: this.pathTo(this.slotKey()), value });
      return;
    }
    this.dirty = true;
    if (depth === 0) this.root = value;
    else setMember(this.own(depth - 1), this.slotKey(), value);
  }

  /**
   * The container at `depth`, made safe to change: a copy if it was published (so were all its
   * ancestors), put in place of the original in its parent (itself made safe first). O(depth +
   * the widths of the containers copied).
   */
  private own(depth: number): object {
    const frame = this.stack[depth]!;
    if (frame.epoch === this.epoch) return frame.value;
    const copy = frame.kind === ARRAY ? (frame.value as unknown[]).slice() : { ...frame.value };
    frame.value = copy;
    frame.epoch = this.epoch;
    if (depth === 0) this.root = copy;
    else setMember(this.own(depth - 1), frame.key, copy);
    return copy;
  }

  private unexpected(delta: string, i: number, where = ''): never {
    const c = delta.charCodeAt(i);
    return this.fail(
      'parse_error',
      `partialJson: unexpected ${describe(c)}${where ? ` ${where}` : ''} at position ${this.offset + i}`,
      delta,
      i,
    );
  }

  private fail(
    code: 'parse_error' | 'validation_error',
    message: string,
    delta: string,
    i: number,
  ): never {
    this.failure = new RxChatError(code, message, {
      data: excerpt(delta.slice(Math.max(0, i - 40), i + 40)),
    });
    throw this.failure;
  }
}
