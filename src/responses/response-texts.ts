import type { ResponseContentPart, ResponseOutputItem, ResponseStreamEvent } from './types';

/*
 * Where text lives in a Responses stream, read the same way by every operator (contentDeltas,
 * reasoningDeltas, the accumulator), so that they all agree:
 *
 * - Text comes from `*.delta` events; a part that got no delta counts with its whole text from
 *   the first of its `.done` event, `content_part.done` / `reasoning_summary_part.done`,
 *   `output_item.done`, or the terminal event's `response.output` (servers that skip deltas or
 *   whole lifecycles, as vLLM does for some items).
 * - Parts are keyed by `output_index` (and by `item_id` too, whichever matches): some servers
 *   change item ids mid-item, others send content for an item never announced.
 * - Reasoning: summary parts are joined with a blank line; `reasoning_text` deltas join in
 *   arrival order whatever their `content_index`; reasoning items are joined with a blank line.
 */

type Stream = 'content' | 'reasoning' | 'refusal';

/**
 * The text events: which stream, the key prefix of their parts, the field that numbers the part,
 * the field that holds the text, and whether it is a delta (else a part's whole text).
 */
const TEXT_EVENTS: ReadonlyMap<
  string,
  readonly [
    Stream,
    string,
    'content_index' | 'summary_index',
    'delta' | 'text' | 'refusal',
    boolean,
  ]
> = new Map([
  ['response.output_text.delta', ['content', 'c', 'content_index', 'delta', true]],
  ['response.output_text.done', ['content', 'c', 'content_index', 'text', false]],
  ['response.refusal.delta', ['refusal', 'f', 'content_index', 'delta', true]],
  ['response.refusal.done', ['refusal', 'f', 'content_index', 'refusal', false]],
  ['response.reasoning_summary_text.delta', ['reasoning', 's', 'summary_index', 'delta', true]],
  ['response.reasoning_summary_text.done', ['reasoning', 's', 'summary_index', 'text', false]],
  ['response.reasoning_text.delta', ['reasoning', 'r', 'content_index', 'delta', true]],
  ['response.reasoning_text.done', ['reasoning', 'r', 'content_index', 'text', false]],
]);

/** The per-stream state of which parts showed text; one per operator subscription. */
export class ResponseTexts {
  /** What the last event read added to the answer text. */
  content = '';
  /** What the last event read added to the reasoning. */
  reasoning = '';
  /** What the last event read added to the refusal. */
  refusal = '';
  /** Keys of the parts that showed some text (`c3:0`, `c#msg_1:0`, …). */
  private readonly seen = new Set<string>();
  /** The last delta's part: the next delta of the same part skips the lookups. */
  private lastDelta = '';
  private lastDeltaIndex: unknown = undefined;
  private lastDeltaPart: unknown = undefined;
  /** The reasoning part text was last added to, for the blank line between parts. */
  private reasoningPart = '';

  /** Reads one event: afterwards, `content`, `reasoning` and `refusal` hold what it added. */
  read(event: ResponseStreamEvent): void {
    this.content = this.reasoning = this.refusal = '';
    const type = event.type;
    const rule = TEXT_EVENTS.get(type);
    if (rule) {
      const [stream, prefix, partField, textField, isDelta] = rule;
      const part = event[partField];
      if (isDelta) this.streamed(stream, prefix, event, part, event.delta);
      else this.whole(stream, prefix, event.output_index, event.item_id, part, event[textField]);
    } else if (type === 'response.content_part.done') {
      this.part(event.part, event.output_index, event.item_id, event.content_index);
    } else if (type === 'response.reasoning_summary_part.done') {
      const at = event.summary_index;
      this.whole('reasoning', 's', event.output_index, event.item_id, at, event.part?.text);
    } else if (type === 'response.output_item.done') {
      this.item(event.item, event.output_index);
    } else if (type === 'response.completed' || type === 'response.incomplete') {
      const output = event.response?.output;
      if (output) for (let i = 0; i < output.length; i++) this.item(output[i], i);
    }
  }

  /** A delta: always text, and its part has now shown some. */
  private streamed(
    stream: Stream,
    prefix: string,
    event: ResponseStreamEvent,
    part: number | null | undefined,
    delta: string | null | undefined,
  ): void {
    if (!delta) return;
    const index = event.output_index;
    // The common case: another delta of the same part as the last one.
    if (!(
      prefix === this.lastDelta &&
      index === this.lastDeltaIndex &&
      part === this.lastDeltaPart
    )) {
      this.mark(prefix, index, event.item_id, part);
      this.lastDelta = prefix;
      this.lastDeltaIndex = index;
      this.lastDeltaPart = part;
    }
    this.add(stream, prefix, index, event.item_id, part, delta);
  }

  /** A part's whole text: counts only when none of it was shown before. */
  private whole(
    stream: Stream,
    prefix: string,
    index: number | null | undefined,
    itemId: string | null | undefined,
    part: number | null | undefined,
    text: string | null | undefined,
  ): void {
    if (!text || this.wasSeen(prefix, index, itemId, part)) return;
    this.mark(prefix, index, itemId, part);
    this.add(stream, prefix, index, itemId, part, text);
  }

  private part(
    part: ResponseContentPart | null | undefined,
    index: number | null | undefined,
    itemId: string | null | undefined,
    at: number | null | undefined,
  ): void {
    if (!part) return;
    if (part.type === 'output_text') this.whole('content', 'c', index, itemId, at, part.text);
    else if (part.type === 'refusal') this.whole('refusal', 'f', index, itemId, at, part.refusal);
  }

  /** An item as a whole (`output_item.done`, the terminal event's output): its unseen parts. */
  private item(
    item: ResponseOutputItem | null | undefined,
    index: number | null | undefined,
  ): void {
    if (!item) return;
    const id = item.id;
    if (item.type === 'message' && item.content) {
      for (let i = 0; i < item.content.length; i++) this.part(item.content[i], index, id, i);
    } else if (item.type === 'reasoning') {
      const summary = item.summary;
      if (summary) {
        for (let i = 0; i < summary.length; i++) {
          this.whole('reasoning', 's', index, id, i, summary[i]?.text);
        }
      }
      const content = item.content;
      if (content) {
        for (let i = 0; i < content.length; i++) {
          if (content[i]?.type === 'reasoning_text') {
            this.whole('reasoning', 'r', index, id, i, content[i]?.text);
          }
        }
      }
    }
  }

  private add(
    stream: Stream,
    prefix: string,
    index: number | null | undefined,
    itemId: string | null | undefined,
    part: number | null | undefined,
    text: string,
  ): void {
    if (stream === 'reasoning') {
      // Summary parts are separate paragraphs; reasoning text is one per item.
      const at = `${prefix}${index ?? `#${itemId ?? ''}`}${prefix === 's' ? `:${part ?? 0}` : ''}`;
      if (this.reasoningPart !== at) {
        if (this.reasoningPart !== '') text = `\n\n${text}`;
        this.reasoningPart = at;
      }
      this.reasoning += text;
    } else if (stream === 'content') {
      this.content += text;
    } else {
      this.refusal += text;
    }
  }

  private mark(
    prefix: string,
    index: number | null | undefined,
    itemId: string | null | undefined,
    part: number | null | undefined,
  ): void {
    if (typeof index === 'number') this.seen.add(`${prefix}${index}:${part ?? 0}`);
    if (itemId) this.seen.add(`${prefix}#${itemId}:${part ?? 0}`);
  }

  private wasSeen(
    prefix: string,
    index: number | null | undefined,
    itemId: string | null | undefined,
    part: number | null | undefined,
  ): boolean {
    return (
      (typeof index === 'number' && this.seen.has(`${prefix}${index}:${part ?? 0}`)) ||
      (!!itemId && this.seen.has(`${prefix}#${itemId}:${part ?? 0}`))
    );
  }
}
