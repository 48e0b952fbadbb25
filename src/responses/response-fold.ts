import type { CallState } from '../chunks/call-state';
import { TextBuilder } from '../chunks/text-builder';
import type { ChatCompletion, ChatCompletionChoice, ToolCall, Usage } from '../chunks/types';
import { isResponsesOutput } from './lifecycle';
import { ResponseTexts } from './response-texts';
import type { ResponseObject, ResponseOutputItem, ResponseStreamEvent } from './types';

/** A tool call of a Responses stream: a `function_call` or `custom_tool_call` item. */
export interface ResponseCallState extends CallState {
  /** The item's `output_index` (calls are kept in this order). */
  outputIndex: number;
  /** The item's id (`fc_…`), as a second key. */
  itemId: string;
  /** Whether its arguments (input) are whole: their `.done` event, or the item's. */
  done: boolean;
  /** Whether deltas built `args` (a `.done` then only confirms them). */
  streamed: boolean;
}

/** `incomplete_details.reason` as a chat `finish_reason`. */
const FINISH: ReadonlyMap<string, string> = new Map([
  ['max_output_tokens', 'length'],
  ['max_tokens', 'length'],
  ['content_filter', 'content_filter'],
]);

/**
 * Folds Responses events into the normalised {@link ChatCompletion} of a chat stream: one choice
 * (index 0) whose `content`, `reasoning` and `refusal` are what {@link ResponseTexts} reads (so
 * they equal the joined deltas of `contentDeltas` and `reasoningDeltas`), `tool_calls` the
 * function and custom tool call items in `output_index` order (`call_id` as `id`), and
 * `finish_reason` from the terminal event: `tool_calls` when the answer holds such calls, `stop`
 * otherwise (hosted tools included), `length` for `max_output_tokens`, `content_filter`, and any
 * other incomplete reason as given. `id`, `model` and `created` come from the first response the
 * stream names (`response.created`), whatever a later event says.
 */
export class ResponseFold {
  id = '';
  model = '';
  created = 0;
  content = new TextBuilder();
  reasoning = new TextBuilder();
  refusal = new TextBuilder();
  /** By output index. */
  readonly calls: ResponseCallState[] = [];
  finish: string | null = null;
  private texts = new ResponseTexts();
  private started = false;
  private sawCreated = false;
  private view: ChatCompletionChoice | undefined;

  /** Folds one event. */
  add(event: ResponseStreamEvent): void {
    const type = event.type;
    if (type === 'response.created') {
      // A second `response.created` is a retried attempt (retries come only before output).
      if (this.sawCreated) this.reset();
      this.sawCreated = true;
    }
    const response = event.response;
    if (response) this.named(response);
    if (!isResponsesOutput(type)) return;
    this.started = true;
    this.view = undefined;
    const texts = this.texts;
    texts.read(event);
    if (texts.content) this.content.append(texts.content);
    if (texts.reasoning) this.reasoning.append(texts.reasoning);
    if (texts.refusal) this.refusal.append(texts.refusal);

    switch (type) {
      case 'response.output_text.delta':
        return;
      case 'response.output_item.added':
      case 'response.output_item.done':
        return this.item(event.item, event.output_index, type === 'response.output_item.done');
      case 'response.function_call_arguments.delta':
      case 'response.custom_tool_call_input.delta': {
        if (!event.delta) return;
        const call = this.callAt(event.output_index, event.item_id, kindOf(type));
        if (!call.streamed) {
          call.streamed = true;
          call.args = '';
        }
        call.args += event.delta;
        return;
      }
      case 'response.function_call_arguments.done':
      case 'response.custom_tool_call_input.done': {
        const call = this.callAt(event.output_index, event.item_id, kindOf(type));
        const whole =
          type === 'response.function_call_arguments.done' ? event.arguments : event.input;
        if (typeof whole === 'string') call.args = whole;
        if (!call.name && event.name) call.name = event.name;
        call.done = true;
        return;
      }
      case 'response.completed':
      case 'response.incomplete': {
        const output = response?.output;
        if (output) for (let i = 0; i < output.length; i++) this.item(output[i], i, true);
        for (const call of this.calls) call.done = true;
        this.finish =
          type === 'response.completed'
            ? this.calls.length > 0
              ? 'tool_calls'
              : 'stop'
            : finishOf(response);
        return;
      }
    }
  }

  /** How many calls, from the first, have whole arguments. */
  doneCalls(): number {
    let count = 0;
    while (count < this.calls.length && this.calls[count]!.done) count++;
    return count;
  }

  /** The completion so far; unchanged parts are shared with the previous snapshot. */
  snapshot(usage: Usage | null): ChatCompletion {
    return {
      id: this.id,
      model: this.model,
      created: this.created,
      choices: this.started ? [this.choiceView()] : [],
      usage,
    };
  }

  private choiceView(): ChatCompletionChoice {
    this.view ??= {
      index: 0,
      message: {
        role: 'assistant',
        content: this.content.toString() || null,
        reasoning: this.reasoning.toString() || null,
        refusal: this.refusal.toString() || null,
        tool_calls: this.calls.map(toToolCall),
      },
      finish_reason: this.finish,
    };
    return this.view;
  }

  private named(response: ResponseObject): void {
    if (!this.id && response.id) this.id = response.id;
    if (!this.model && response.model) this.model = response.model;
    const created = response.created_at;
    if (!this.created && typeof created === 'number' && Number.isFinite(created)) {
      this.created = created;
    }
  }

  /** A function or custom tool call item, as announced or as finished. */
  private item(
    item: ResponseOutputItem | null | undefined,
    index: number | null | undefined,
    done: boolean,
  ) {
    if (!item || (item.type !== 'function_call' && item.type !== 'custom_tool_call')) return;
    const kind = item.type === 'custom_tool_call' ? 'custom' : 'function';
    const call = this.callAt(index, item.id, kind);
    if (!call.id && item.call_id) call.id = item.call_id;
    if (!call.name && item.name) call.name = item.name;
    const whole = kind === 'custom' ? item.input : item.arguments;
    // The item's own text counts when no delta and no `.done` event gave any.
    if (typeof whole === 'string' && whole !== '' && !call.streamed && !call.done)
      call.args = whole;
    if (done) call.done = true;
  }

  /** The call at `index` (or with item id `itemId`), made when new; kept in index order. */
  private callAt(
    index: number | null | undefined,
    itemId: string | null | undefined,
    kind: 'function' | 'custom',
  ): ResponseCallState {
    const calls = this.calls;
    let call = typeof index === 'number' ? calls.find((c) => c.outputIndex === index) : undefined;
    if (!call && itemId) call = calls.find((c) => c.itemId === itemId);
    if (!call) {
      const outputIndex = typeof index === 'number' ? index : Number.MAX_SAFE_INTEGER;
      call = {
        id: '',
        index: undefined,
        kind,
        name: '',
        args: '',
        outputIndex,
        itemId: itemId ?? '',
        done: false,
        streamed: false,
      };
      const at = calls.findIndex((c) => c.outputIndex > outputIndex);
      if (at === -1) calls.push(call);
      else calls.splice(at, 0, call);
    }
    if (!call.itemId && itemId) call.itemId = itemId;
    if (kind === 'custom') call.kind = 'custom';
    return call;
  }

  private reset(): void {
    this.id = this.model = '';
    this.created = 0;
    this.content = new TextBuilder();
    this.reasoning = new TextBuilder();
    this.refusal = new TextBuilder();
    this.calls.length = 0;
    this.finish = null;
    this.texts = new ResponseTexts();
    this.started = false;
    this.view = undefined;
  }
}

const kindOf = (type: string): 'function' | 'custom' =>
  type.startsWith('response.custom_tool_call') ? 'custom' : 'function';

function finishOf(response: ResponseObject | null | undefined): string {
  const reason = response?.incomplete_details?.reason;
  if (!reason) return 'length';
  return FINISH.get(reason) ?? reason;
}

function toToolCall(call: ResponseCallState): ToolCall {
  return call.kind === 'custom'
    ? { id: call.id, type: 'custom', custom: { name: call.name, input: call.args } }
    : { id: call.id, type: 'function', function: { name: call.name, arguments: call.args } };
}
