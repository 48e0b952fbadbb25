import { ResponseFold } from '../responses/response-fold';
import type { ResponseStreamEvent } from '../responses/types';
import { contentOf, reasoningOf } from './delta-text';
import { reportedUsage } from './reported-usage';
import type { CallState } from './call-state';
import { TextBuilder } from './text-builder';
import type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ToolCall,
  ToolCallDelta,
  Usage,
} from './types';

/*
 * Folds chunks into a ChatCompletion. Text is appended through TextBuilders (linear time, memory
 * near the text's own size), tool calls are looked up through Maps (so ids such as
 * "__proto__" or "constructor" are plain keys), and nothing from provider JSON is ever copied
 * into our objects by key.
 */

interface ChoiceState {
  index: number;
  role: string;
  content: TextBuilder;
  reasoning: TextBuilder;
  refusal: TextBuilder;
  finish: string | null;
  calls: CallState[];
  byId: Map<string, CallState>;
  byIndex: Map<number, CallState>;
  logprobsContent: unknown[] | null;
  logprobsRefusal: unknown[] | null;
  /** The snapshot built for the current state; cleared by every change. */
  view: ChatCompletionChoice | undefined;
}

const newChoice = (index: number): ChoiceState => ({
  index,
  role: '',
  content: new TextBuilder(),
  reasoning: new TextBuilder(),
  refusal: new TextBuilder(),
  finish: null,
  calls: [],
  byId: new Map(),
  byIndex: new Map(),
  logprobsContent: null,
  logprobsRefusal: null,
  view: undefined,
});

export type { CallState } from './call-state';

/** What the operators read of one choice in progress, for either protocol. */
export interface ChoiceProgress {
  readonly content: TextBuilder;
  readonly reasoning: TextBuilder;
  readonly finish: string | null;
  readonly calls: readonly CallState[];
}

/**
 * Incremental state behind {@link accumulate}, {@link finalCompletion} and {@link toolCalls}:
 * chat chunks, or Responses events (folded by a {@link ResponseFold} into the same completion).
 */
export class CompletionAccumulator {
  /** The fold of a Responses stream, once one of its events came. */
  responses: ResponseFold | undefined;
  private id = '';
  private model = '';
  private created = 0;
  private usage: Usage | null = null;
  /** Sorted by index; almost always appended in order. */
  private readonly choices: ChoiceState[] = [];

  /** Merges one chunk. */
  add(chunk: ChatCompletionChunk): void {
    if (!this.id && chunk.id) this.id = chunk.id;
    if (!this.model && chunk.model) this.model = chunk.model;
    if (!this.created && typeof chunk.created === 'number' && Number.isFinite(chunk.created))
      this.created = chunk.created;
    const reported = reportedUsage(chunk);
    if (reported) this.usage = reported;
    const choices = chunk.choices;
    if (choices) for (const choice of choices) this.mergeChoice(choice);
  }

  /** Merges one Responses event. */
  addResponseEvent(event: ResponseStreamEvent): void {
    (this.responses ??= new ResponseFold()).add(event);
  }

  /** Sets the usage the stream finally reported (the `usage` event). */
  setUsage(usage: Usage | null): void {
    if (usage) this.usage = usage;
  }

  /** The state of the choice with this index, if any arrived. */
  choice(index: number): ChoiceProgress | undefined {
    if (this.responses) return index === 0 ? this.responses : undefined;
    return this.find(index);
  }

  /** The tool calls of a choice so far (the last one may still be growing). */
  toolCallsOf(index: number): ToolCall[] {
    const state = this.choice(index);
    return state ? state.calls.map(toToolCall) : [];
  }

  /**
   * An immutable view of the completion so far. Unchanged choices are shared with the previous
   * snapshot; text is shared, and at most the deltas since the last block are joined.
   */
  snapshot(): ChatCompletion {
    if (this.responses) return this.responses.snapshot(this.usage);
    return {
      id: this.id,
      model: this.model,
      created: this.created,
      choices: this.choices.map(viewOf),
      usage: this.usage,
    };
  }

  private find(index: number): ChoiceState | undefined {
    const choices = this.choices;
    // Fast path: the last choice, or position == index (n choices numbered 0..n-1).
    const last = choices[choices.length - 1];
    if (last && last.index === index) return last;
    const at = choices[index];
    if (at && at.index === index) return at;
    return choices.find((c) => c.index === index);
  }

  private mergeChoice(choice: ChatCompletionChunkChoice): void {
    const index = typeof choice.index === 'number' ? choice.index : 0;
    let state = this.find(index);
    if (!state) {
      state = newChoice(index);
      const at = this.choices.findIndex((c) => c.index > index);
      if (at === -1) this.choices.push(state);
      else this.choices.splice(at, 0, state);
    }
    state.view = undefined;

    const delta = choice.delta;
    if (delta) {
      if (!state.role && delta.role) state.role = delta.role;
      const content = contentOf(delta);
      if (content) state.content.append(content);
      const reasoning = reasoningOf(delta);
      if (reasoning) state.reasoning.append(reasoning);
      if (delta.refusal) state.refusal.append(delta.refusal);
      if (delta.tool_calls) for (const call of delta.tool_calls) mergeToolCall(state, call);
    }
    if (choice.finish_reason) state.finish = choice.finish_reason;
    const logprobs = choice.logprobs;
    if (logprobs) {
      if (Array.isArray(logprobs.content))
        state.logprobsContent = appendAll(state.logprobsContent, logprobs.content);
      if (Array.isArray(logprobs.refusal))
        state.logprobsRefusal = appendAll(state.logprobsRefusal, logprobs.refusal);
    }
  }
}

function appendAll(target: unknown[] | null, items: unknown[]): unknown[] {
  const out = target ?? [];
  for (const item of items) out.push(item);
  return out;
}

/*
 * Which call a `delta.tool_calls` entry belongs to (the order test/conformance/README.md
 * documents). The numeric index is what OpenAI's wire format keys calls by (openai-node
 * accumulates by index alone), so it is never crossed: an id only finds its call at the same
 * index, or where one side has no index. Two calls that share an id at two indexes stay two
 * calls (no recorded stream does it; merging them would concatenate two argument strings into
 * invalid JSON such as `{}{}`). The id still tells calls apart where the index cannot: calls
 * that reuse one index (QUIRKS T7 gateways) and index-less calls (Mistral, Gemini, Ollama).
 *
 * 1. A non-empty id: the most recent call with that id whose index agrees; failing that (with
 *    an index), the most recent call at that index whose id is still empty; failing that, a
 *    new call.
 * 2. No id, an index: the most recent call at that index, or a new one.
 * 3. Neither: the most recent call of the choice, or a new one.
 */
function mergeToolCall(state: ChoiceState, delta: ToolCallDelta): void {
  const id = delta.id || '';
  const index = typeof delta.index === 'number' ? delta.index : undefined;
  let call: CallState | undefined;
  if (id) {
    call = callWithId(state, id, index);
    if (call && restates(call, delta)) {
      // The whole call again (header and arguments) after its arguments already closed: the
      // same arguments are a repeat, dropped; others are a call of their own. Appending either
      // would give one call with two JSON values run together (`{}{}`).
      if (delta.function!.arguments === call.args) return;
      call = undefined;
    }
    if (!call && index !== undefined) {
      // A call that started by index alone gets its id late.
      const byIndex = state.byIndex.get(index);
      if (byIndex && !byIndex.id) call = byIndex;
    }
  } else if (index !== undefined) {
    call = state.byIndex.get(index);
  } else {
    call = state.calls[state.calls.length - 1];
  }
  if (!call) {
    call = { id: '', index, kind: 'function', name: '', args: '' };
    state.calls.push(call);
    if (index !== undefined) state.byIndex.set(index, call);
  } else if (call.index === undefined && index !== undefined) {
    // An index-less call whose id now comes with an index takes it, so that the index-only
    // fragments after it find it, and the same id at another index is another call.
    call.index = index;
    state.byIndex.set(index, call);
  }
  if (id && !call.id) {
    call.id = id;
    state.byId.set(id, call);
  }
  const fn = delta.function;
  if (fn) {
    if (!call.name && fn.name) call.name = fn.name;
    if (fn.arguments) call.args += fn.arguments;
  }
  const custom = delta.custom;
  if (custom || delta.type === 'custom') call.kind = 'custom';
  if (custom) {
    if (!call.name && custom.name) call.name = custom.name;
    if (custom.input) call.args += custom.input;
  }
}

/**
 * Whether a fragment with an id restates a function call that is already whole: it names the
 * call again and brings arguments, while the call's arguments already form a closed JSON object
 * or array. Servers that stream each call once never come here (continuations carry no name).
 */
function restates(call: CallState, delta: ToolCallDelta): boolean {
  const fn = delta.function;
  if (call.kind !== 'function' || !call.name || !fn?.name || !fn.arguments) return false;
  const args = call.args.trim();
  const open = args.charAt(0);
  const close = args.charAt(args.length - 1);
  if (!((open === '{' && close === '}') || (open === '[' && close === ']'))) return false;
  try {
    JSON.parse(args);
    return true;
  } catch {
    return false;
  }
}

/** Whether an index from a delta and a call's index may be the same call's. */
const sameSlot = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || a === b;

function callWithId(state: ChoiceState, id: string, index: number | undefined) {
  const latest = state.byId.get(id);
  if (!latest || sameSlot(latest.index, index)) return latest;
  // The id's latest call sits at another index; an earlier one with this id may sit at ours.
  // Only streams that repeat an id across indexes ever come here.
  for (let i = state.calls.length - 1; i >= 0; i--) {
    const call = state.calls[i]!;
    if (call.id === id && sameSlot(call.index, index)) return call;
  }
  return undefined;
}

function toToolCall(call: CallState): ToolCall {
  return call.kind === 'custom'
    ? { id: call.id, type: 'custom', custom: { name: call.name, input: call.args } }
    : { id: call.id, type: 'function', function: { name: call.name, arguments: call.args } };
}

function viewOf(state: ChoiceState): ChatCompletionChoice {
  if (state.view) return state.view;
  const view: ChatCompletionChoice = {
    index: state.index,
    message: {
      role: state.role || 'assistant',
      content: state.content.toString() || null,
      reasoning: state.reasoning.toString() || null,
      refusal: state.refusal.toString() || null,
      tool_calls: state.calls.map(toToolCall),
    },
    finish_reason: state.finish,
  };
  if (state.logprobsContent || state.logprobsRefusal) {
    // Copied so that earlier snapshots do not grow with later chunks.
    view.logprobs = {
      content: state.logprobsContent ? state.logprobsContent.slice() : null,
      refusal: state.logprobsRefusal ? state.logprobsRefusal.slice() : null,
    };
  }
  state.view = view;
  return view;
}
