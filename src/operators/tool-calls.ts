import { Observable, type OperatorFunction } from 'rxjs';
import { CompletionAccumulator, type CallState } from '../chunks/accumulator';
import type { ChatStreamEvent, ToolCall } from '../chunks/types';
import type { DeltaOptions } from './content-deltas';

/**
 * Emits each tool call of a choice once it is complete, with its whole `arguments` (function
 * calls) or `input` (custom tool calls), in the order the calls started. Fragments are merged as
 * {@link finalCompletion} merges them, so every emitted call equals the final completion's call
 * at that position.
 *
 * A call is complete:
 * - when its choice gets a `finish_reason`, or when the stream ends successfully (then every
 *   call still held goes out);
 * - earlier, when a later call of the choice has received arguments of its own (its header
 *   alone is not enough) **and** the call's own arguments already form a closed JSON object,
 *   array or string. The second condition is the safe rule for servers that interleave
 *   fragments across calls (several calls opened in one delta, fragments for call 0 after call
 *   1 got some): anything more for a closed value could only be whitespace or make it invalid,
 *   so such a call cannot be cut short. A call whose arguments are empty, not closed, or not an
 *   object, array or string, and every custom call (free-form input has no end to see), waits
 *   for the finish. Calls never overtake one another: a held call holds the ones after it.
 *
 * A stream that fails emits no call that was still held.
 *
 * @example
 * ```ts
 * client.stream(request).pipe(toolCalls()).subscribe((call) => {
 *   if (call.type === 'function') runTool(call.function.name, JSON.parse(call.function.arguments));
 *   else runCustomTool(call.custom.name, call.custom.input);
 * });
 * ```
 */
export function toolCalls(options: DeltaOptions = {}): OperatorFunction<ChatStreamEvent, ToolCall> {
  const wanted = options.choice ?? 0;
  return (source) =>
    new Observable<ToolCall>((subscriber) => {
      const accumulator = new CompletionAccumulator();
      // Per call, by position: how far its arguments have been read for the closing bracket.
      const scans: ArgumentScan[] = [];
      let emitted = 0;

      const emitUpTo = (count: number) => {
        if (count <= emitted) return;
        const calls = accumulator.toolCallsOf(wanted);
        for (; emitted < count && !subscriber.closed; emitted++) subscriber.next(calls[emitted]!);
      };
      const emitAll = () => emitUpTo(accumulator.choice(wanted)?.calls.length ?? 0);

      /** How many calls, from the first, are complete before the finish. */
      const completeEarly = (calls: readonly CallState[]): number => {
        // The last call with arguments of its own completes the closed calls before it.
        let last = calls.length - 1;
        while (last > emitted && !calls[last]!.args) last--;
        let count = emitted;
        while (count < last && isClosed(calls[count]!, (scans[count] ??= newScan()))) count++;
        return count;
      };

      return source.subscribe({
        next(event) {
          if (event.type === 'usage') return emitAll();
          if (event.type === 'responses') {
            // Responses: a call is whole at its arguments' `.done` (or its item's).
            if (wanted !== 0) return;
            accumulator.addResponseEvent(event.event);
            return emitUpTo(accumulator.responses!.doneCalls());
          }
          if (event.type !== 'chunk') return;
          const touches = event.chunk.choices?.some((c) => (c.index ?? 0) === wanted);
          if (!touches) return;
          accumulator.add(event.chunk);
          const state = accumulator.choice(wanted);
          if (!state) return;
          emitUpTo(state.finish ? state.calls.length : completeEarly(state.calls));
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          emitAll();
          subscriber.complete();
        },
      });
    });
}

/*
 * Reading a call's arguments for the end of a JSON value, incrementally (each character once):
 * only brackets, strings and escapes are tracked, not full JSON validity. Anything but
 * whitespace after the value closed means the arguments are not one value, so the call waits for
 * the finish like one that never closes.
 */
const START = 0;
const OPEN = 1;
const CLOSED = 2;
/** Not a value whose end can be seen (a number, a literal, garbage): wait for the finish. */
const NEVER = 3;

interface ArgumentScan {
  state: typeof START | typeof OPEN | typeof CLOSED | typeof NEVER;
  /** Characters of the arguments read so far. */
  read: number;
  depth: number;
  inString: boolean;
  escaped: boolean;
}

const newScan = (): ArgumentScan => ({
  state: START,
  read: 0,
  depth: 0,
  inString: false,
  escaped: false,
});

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isOpening = (c: number) => c === 0x7b || c === 0x5b; // { [
const isClosing = (c: number) => c === 0x7d || c === 0x5d; // } ]

/** Whether a function call's arguments so far are one closed JSON object, array or string. */
function isClosed(call: CallState, scan: ArgumentScan): boolean {
  if (call.kind !== 'function') return false;
  const text = call.args;
  for (let i = scan.read; i < text.length && scan.state !== NEVER; i++) {
    const c = text.charCodeAt(i);
    if (scan.state === OPEN) {
      if (scan.inString) {
        if (scan.escaped) scan.escaped = false;
        else if (c === BACKSLASH) scan.escaped = true;
        else if (c === QUOTE) {
          scan.inString = false;
          if (scan.depth === 0) scan.state = CLOSED; // the value was a string
        }
      } else if (c === QUOTE) scan.inString = true;
      else if (isOpening(c)) scan.depth++;
      else if (isClosing(c) && --scan.depth === 0) scan.state = CLOSED;
    } else if (isSpace(c)) {
      // Whitespace before or after the value.
    } else if (scan.state === START && isOpening(c)) {
      scan.state = OPEN;
      scan.depth = 1;
    } else if (scan.state === START && c === QUOTE) {
      scan.state = OPEN;
      scan.inString = true;
    } else {
      scan.state = NEVER;
    }
  }
  scan.read = text.length;
  return scan.state === CLOSED;
}
