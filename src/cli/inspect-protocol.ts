import {
  defer,
  from,
  map,
  mergeMap,
  Observable,
  reduce,
  Subject,
  type OperatorFunction,
} from 'rxjs';
import { eventsFromJsonCompletion } from '../response/chat-json';
import { eventsFromJsonResponse } from '../responses/protocol';
import {
  decodeSse,
  parseChunks,
  parseResponseEvents,
  type ChatStreamEvent,
  type SseEvent,
} from '../node';

/*
 * Which API a recorded body speaks, for `rxchat inspect`: Chat Completions chunks or Responses
 * API events. A recording carries no request line, so the body itself is read: the first event
 * (or the whole JSON body) that says one or the other decides, and a body that says neither is
 * read as chat, as `inspect` read every file before it knew the Responses API.
 */

/** The protocols `rxchat inspect` reads. */
export type InspectProtocol = 'chat' | 'responses';

export const INSPECT_PROTOCOLS: readonly InspectProtocol[] = ['chat', 'responses'];

/**
 * How many SSE events may pass without saying which protocol they are before the body is read
 * as chat: enough for comments, `retry:` lines and a few keepalives, while a long recording of
 * something else is not held in memory.
 */
const UNDECIDED_EVENTS = 32;

/**
 * The protocol a parsed JSON value (an event's data, or a whole body) belongs to, or undefined
 * when it does not say. Chat: a `choices` array, or `object` `chat.completion(.chunk)`. Responses:
 * `object` `response`, or a string `type` that starts with `response.` or is `error` or
 * `keepalive` (a chat error frame is `{"error": …}`, with no `type` of its own beside it).
 */
export function protocolOfValue(value: unknown): InspectProtocol | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.choices)) return 'chat';
  if (record.object === 'chat.completion.chunk' || record.object === 'chat.completion') {
    return 'chat';
  }
  if (record.object === 'response') return 'responses';
  const type = record.type;
  if (typeof type !== 'string') return undefined;
  if (type.startsWith('response.') || type === 'keepalive') return 'responses';
  if (type === 'error' && record.error === undefined) return 'responses';
  return undefined;
}

/** The protocol one SSE event says it belongs to: its `event:` name, else its data. */
export function protocolOfEvent(event: SseEvent): InspectProtocol | undefined {
  if (event.type !== 'message') return undefined;
  // Responses servers name each event after its type; chat servers name none (or `error`).
  if (event.event?.startsWith('response.')) return 'responses';
  try {
    return protocolOfValue(JSON.parse(event.data));
  } catch {
    return undefined;
  }
}

/**
 * A recorded body (bytes) as the stream events the client would have made of it: an SSE body
 * through `decodeSse()` and `parseChunks()` or `parseResponseEvents()`, a whole JSON body (a
 * server that did not stream) through the client's JSON readers. `protocol` forces one;
 * otherwise the body decides (see {@link protocolOfEvent}). `onProtocol` hears which one was
 * used, before the first event.
 */
export function readRecording(
  protocol: InspectProtocol | undefined,
  onProtocol: (protocol: InspectProtocol) => void,
): OperatorFunction<Uint8Array, ChatStreamEvent> {
  const sse: OperatorFunction<Uint8Array, ChatStreamEvent> = (bytes) =>
    bytes.pipe(
      decodeSse(),
      decideThen(
        (event) => protocol ?? protocolOfEvent(event),
        UNDECIDED_EVENTS,
        (decided: InspectProtocol) => {
          onProtocol(decided);
          return decided === 'responses' ? parseResponseEvents() : parseChunks();
        },
        'chat',
      ),
    );
  return decideThen(
    (piece: Uint8Array) => firstSignificantByte(piece),
    Infinity,
    (first: number | undefined) => (first === OPEN_BRACE ? wholeJson(protocol, onProtocol) : sse),
    undefined,
  );
}

const OPEN_BRACE = 0x7b;
const BOM = [0xef, 0xbb, 0xbf];

/**
 * The first byte of a piece that is neither whitespace nor part of a byte order mark, or
 * `undefined` when the piece holds none (the next piece decides).
 */
function firstSignificantByte(piece: Uint8Array): number | undefined {
  for (let i = 0; i < piece.length; i++) {
    const byte = piece[i]!;
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    if (BOM.includes(byte)) continue;
    return byte;
  }
  return undefined;
}

/** A whole JSON body: read to its end, then turned into events as the client turns one. */
function wholeJson(
  protocol: InspectProtocol | undefined,
  onProtocol: (protocol: InspectProtocol) => void,
): OperatorFunction<Uint8Array, ChatStreamEvent> {
  return (bytes) =>
    bytes.pipe(
      reduce((pieces: Uint8Array[], piece) => {
        pieces.push(piece);
        return pieces;
      }, []),
      map((pieces) => new TextDecoder().decode(Buffer.concat(pieces))),
      mergeMap((text) =>
        defer(() => {
          let decided = protocol;
          if (decided === undefined) {
            try {
              decided = protocolOfValue(JSON.parse(text)) ?? 'chat';
            } catch {
              decided = 'chat'; // the reader says what is wrong with it
            }
          }
          onProtocol(decided);
          return from(
            decided === 'responses' ? eventsFromJsonResponse(text) : eventsFromJsonCompletion(text),
          );
        }),
      ),
    );
}

/**
 * Holds a source's values until `choose` names a decision for one of them (or `limit` values,
 * or the end, passed undecided: then `fallback`), then sends the held values and the rest
 * through the operator `run` makes of the decision. One subscription to the source; nothing is
 * read twice.
 */
function decideThen<T, D, R>(
  choose: (value: T) => D | undefined,
  limit: number,
  run: (decision: D) => OperatorFunction<T, R>,
  fallback: D,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const input = new Subject<T>();
      let held: T[] | undefined = [];
      const start = (decision: D) => {
        const values = held ?? [];
        held = undefined;
        input.pipe(run(decision)).subscribe(subscriber);
        for (const value of values) input.next(value);
      };
      subscriber.add(
        source.subscribe({
          next(value) {
            if (!held) return input.next(value);
            held.push(value);
            const decision = choose(value);
            if (decision !== undefined) start(decision);
            else if (held.length >= limit) start(fallback);
          },
          error(error: unknown) {
            if (held) start(fallback);
            input.error(error);
          },
          complete() {
            if (held) start(fallback);
            input.complete();
          },
        }),
      );
    });
}
