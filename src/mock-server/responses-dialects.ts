// How Responses API servers put the same events on the wire: OpenAI exactly, or with one real
// server's quirk; then numbered (`sequence_number` counts what was sent) and framed as SSE.
import { hashText } from './answers';
import type { DialectName } from './dialect-names';
import { DONE, type SseFrame } from './frames';
import type { ResponseEvent } from './responses-events';
import { sseEvent } from '../testing/wire';

/** One quirk: a rewrite of the event list (OpenAI's is none). */
type Quirk = (events: readonly ResponseEvent[]) => ResponseEvent[];

const indexOf = (event: ResponseEvent) => event.fields.output_index as number | undefined;

/** vLLM: an item that streamed no tokens (a reasoning item without summary) sends no events. */
const skipEmptyItems: Quirk = (events) => {
  const withTokens = new Set(events.filter((e) => e.tokens).map(indexOf));
  return events.filter((event) => {
    const index = indexOf(event);
    return index === undefined || withTokens.has(index);
  });
};

/** LiteLLM: content events for an item that was never announced. */
const noItemAdded: Quirk = (events) =>
  events.filter((event) => event.type !== 'response.output_item.added');

/** OpenRouter: item 0's `output_item.done` arrives after item 1's last event. */
const lateFirstDone: Quirk = (events) => {
  const done = events.findIndex((e) => e.type === 'response.output_item.done' && indexOf(e) === 0);
  let lastOfSecond = -1;
  events.forEach((event, i) => {
    if (indexOf(event) === 1) lastOfSecond = i;
  });
  if (done === -1 || lastOfSecond < done) return [...events];
  const out = events.filter((_event, i) => i !== done);
  out.splice(lastOfSecond, 0, events[done]!);
  return out;
};

/** Copilot: each delta after an item's first carries an item id of its own. */
const driftingItemIds: Quirk = (events) => {
  const seen = new Map<string, number>();
  return events.map((event) => {
    const id = event.fields.item_id;
    if (!event.type.endsWith('.delta') || typeof id !== 'string') return event;
    const count = seen.get(id) ?? 0;
    seen.set(id, count + 1);
    if (count === 0) return event;
    const drifted = `${id.split('_')[0]}_${hashText(`${id}:${count}`).toString(36)}`;
    return { ...event, fields: { ...event.fields, item_id: drifted } };
  });
};

const QUIRKS: Partial<Record<DialectName, Quirk>> = {
  'vllm-responses': skipEmptyItems,
  'litellm-responses': noItemAdded,
  'openrouter-responses': lateFirstDone,
  'copilot-responses': driftingItemIds,
};

/**
 * A Responses event as it goes out: `event: <type>` and its JSON with `type` first and
 * `sequence_number` next.
 *
 * @example
 * ```ts
 * responseFrame(event, 0).text; // 'event: response.created\ndata: {"type":"response.created",...}\n\n'
 * ```
 */
export function responseFrame(event: ResponseEvent, sequenceNumber: number): SseFrame {
  return {
    text: sseEvent(
      { type: event.type, sequence_number: sequenceNumber, ...event.fields },
      { event: event.type },
    ),
    kind: 'data',
    tokens: event.tokens,
  };
}

/**
 * The frames of a Responses stream in a dialect: the quirk applied, the events numbered from 0
 * in the order they go out, and `[DONE]` last for `vllm-responses`.
 *
 * @example
 * ```ts
 * responsesWire('openai', answerEvents(plan)).at(-1)!.text; // 'event: response.completed\n...'
 * ```
 */
export function responsesWire(dialect: DialectName, events: readonly ResponseEvent[]): SseFrame[] {
  const shaped = QUIRKS[dialect]?.(events) ?? events;
  const frames = shaped.map(responseFrame);
  if (dialect === 'vllm-responses') frames.push(DONE);
  return frames;
}
