// The events of one Responses API answer, in OpenAI's order and shapes, before any dialect quirk
// or sequence number: built from the same planned answer as a chat completion.
import { hashText, MOCK_CREATED, type PlannedAnswer } from './answers';
import type { ApiErrorObject } from './api-errors';
import type { ResponsesBody } from './responses-body';

type Fields = Record<string, unknown>;

/**
 * One event of a Responses stream: its `type` (also its SSE event name), its fields but
 * `type` and `sequence_number`, and whether it carries generated tokens (pacing and faults
 * count those).
 *
 * @example
 * ```ts
 * const event: ResponseEvent = {
 *   type: 'response.output_text.delta',
 *   fields: { item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi', logprobs: [] },
 *   tokens: true,
 * };
 * ```
 */
export interface ResponseEvent {
  type: string;
  fields: Fields;
  tokens: boolean;
}

/**
 * What one Responses answer is made of: its id, the accepted request and the planned answer.
 *
 * @example
 * ```ts
 * const plan: ResponsePlan = { id: 'resp_mock1', body, answer: planAnswer(body.answerRequest) };
 * ```
 */
export interface ResponsePlan {
  id: string;
  body: ResponsesBody;
  answer: PlannedAnswer;
}

/**
 * The event types that end a stream: exactly one of them comes last (unless the connection is
 * cut).
 *
 * @example
 * ```ts
 * TERMINAL_TYPES.has('response.incomplete'); // true
 * ```
 */
export const TERMINAL_TYPES: ReadonlySet<string> = new Set([
  'response.completed',
  'response.incomplete',
  'response.failed',
]);

const hex = (n: number) => n.toString(16).padStart(8, '0');
const clone = <T>(value: T): T => structuredClone(value);

/** An item id of the response: `prefix_` and a hash of the response id and the item's place. */
const itemId = (prefix: string, responseId: string, index: number) =>
  `${prefix}_${hex(hashText(`${responseId}:${index}`))}${hex(hashText(`${index}:${responseId}`))}`;

/**
 * The usage object of a Response: reasoning tokens count as output tokens, as OpenAI's do.
 *
 * @example
 * ```ts
 * responseUsage(12, 30, 0); // { input_tokens: 12, ..., output_tokens: 30, total_tokens: 42 }
 * ```
 */
export function responseUsage(input: number, output: number, reasoning: number): Fields {
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: input + output,
  };
}

/**
 * A Response object of a plan, in OpenAI's field order; `status` and whatever `extra` says
 * (output, usage, error, ...) vary while it is generated.
 *
 * @example
 * ```ts
 * responseObject(plan, 'in_progress').usage; // null
 * ```
 */
export function responseObject(plan: ResponsePlan, status: string, extra: Fields = {}): Fields {
  const { body } = plan;
  return {
    id: plan.id,
    object: 'response',
    created_at: MOCK_CREATED,
    status,
    background: body.background,
    error: null,
    incomplete_details: null,
    instructions: body.echo.instructions,
    max_output_tokens: body.echo.max_output_tokens,
    model: body.model,
    output: [],
    parallel_tool_calls: body.echo.parallel_tool_calls,
    previous_response_id: body.echo.previous_response_id,
    reasoning: body.echo.reasoning,
    store: body.store,
    temperature: 1,
    text: body.echo.text,
    tool_choice: body.echo.tool_choice,
    tools: body.echo.tools,
    top_p: 1,
    truncation: 'disabled',
    usage: null,
    user: null,
    metadata: body.echo.metadata,
    ...extra,
  };
}

/**
 * The engine of a Responses answer: {@link ResponseBuilder.events} yields its events in order
 * while the builder keeps the output items as they stand, so a stream cut anywhere (an error
 * fault) can still say what had been generated.
 *
 * @example
 * ```ts
 * const builder = new ResponseBuilder(plan);
 * const events = [...builder.events()]; // response.created ... response.completed
 * ```
 */
export class ResponseBuilder {
  /** The output items as generated so far. */
  readonly output: Fields[] = [];
  private outputTokens = 0;
  private reasoningTokens = 0;

  constructor(private readonly plan: ResponsePlan) {}

  /** Every event of the answer, the terminal one last. */
  *events(): Generator<ResponseEvent> {
    const { plan } = this;
    const choice = plan.answer.choices[0]!;
    const first = plan.body.background ? 'queued' : 'in_progress';
    yield this.event('response.created', { response: responseObject(plan, first) });
    if (plan.body.background) {
      yield this.event('response.queued', { response: responseObject(plan, 'queued') });
    }
    yield this.event('response.in_progress', { response: responseObject(plan, 'in_progress') });
    if (plan.body.reasons) yield* this.reasoningItem(choice.reasoning);
    const cut = choice.finishReason === 'length';
    if (choice.toolCalls.length === 0) yield* this.messageItem(choice.content, cut);
    for (const call of choice.toolCalls) yield* this.functionCallItem(call, cut);
    yield cut
      ? this.event('response.incomplete', {
          response: this.snapshot('incomplete', {
            incomplete_details: { reason: 'max_output_tokens' },
          }),
        })
      : this.event('response.completed', { response: this.snapshot('completed') });
  }

  /**
   * The events that end an answer cut by an error: an `error` event, then `response.failed`
   * with the output as it stood (unfinished items `incomplete`) and the usage so far.
   */
  failed(error: ApiErrorObject): ResponseEvent[] {
    for (const item of this.output) if (item.status === 'in_progress') item.status = 'incomplete';
    return [
      this.event('error', { code: error.code, message: error.message, param: null }),
      this.event('response.failed', {
        response: this.snapshot('failed', { error: { code: error.code, message: error.message } }),
      }),
    ];
  }

  /** The Response as it stands, with its usage. */
  private snapshot(status: string, extra: Fields = {}): Fields {
    const usage = responseUsage(
      this.plan.answer.promptTokens,
      this.outputTokens,
      this.reasoningTokens,
    );
    return responseObject(this.plan, status, { output: clone(this.output), usage, ...extra });
  }

  private event(type: string, fields: Fields, tokens = false): ResponseEvent {
    return { type, fields: clone(fields), tokens };
  }

  /** Adds an item; its events are built from its place and id. */
  private add(item: Fields): { index: number; id: string } {
    this.output.push(item);
    return { index: this.output.length - 1, id: item.id as string };
  }

  /**
   * A reasoning item: its summary streams only when the request asks for one; without, OpenAI
   * still sends the item, with an empty summary (what `vllm-responses` leaves out).
   */
  private *reasoningItem(tokens: readonly string[]): Generator<ResponseEvent> {
    const item: Fields = {
      type: 'reasoning',
      id: itemId('rs', this.plan.id, this.output.length),
      summary: [],
    };
    const { index, id } = this.add(item);
    yield this.event('response.output_item.added', { output_index: index, item });
    this.reasoningTokens = tokens.length;
    this.outputTokens += tokens.length;
    if (this.plan.body.summarizes) {
      const at = { item_id: id, output_index: index, summary_index: 0 };
      const part = { type: 'summary_text', text: '' };
      item.summary = [part];
      yield this.event('response.reasoning_summary_part.added', { ...at, part });
      for (const delta of tokens) {
        yield this.event('response.reasoning_summary_text.delta', { ...at, delta }, true);
        part.text += delta;
      }
      yield this.event('response.reasoning_summary_text.done', { ...at, text: part.text });
      yield this.event('response.reasoning_summary_part.done', { ...at, part });
    }
    yield this.event('response.output_item.done', { output_index: index, item });
  }

  /** The assistant's message: one output_text part streamed as deltas. */
  private *messageItem(tokens: readonly string[], cut: boolean): Generator<ResponseEvent> {
    const item: Fields = {
      type: 'message',
      id: itemId('msg', this.plan.id, this.output.length),
      status: 'in_progress',
      role: 'assistant',
      content: [],
    };
    const { index, id } = this.add(item);
    yield this.event('response.output_item.added', { output_index: index, item });
    const at = { item_id: id, output_index: index, content_index: 0 };
    const part = { type: 'output_text', text: '', annotations: [] as unknown[] };
    item.content = [part];
    yield this.event('response.content_part.added', { ...at, part });
    for (const delta of tokens) {
      yield this.event('response.output_text.delta', { ...at, delta, logprobs: [] }, true);
      part.text += delta;
      this.outputTokens++;
    }
    yield this.event('response.output_text.done', { ...at, text: part.text });
    yield this.event('response.content_part.done', { ...at, part });
    item.status = cut ? 'incomplete' : 'completed';
    yield this.event('response.output_item.done', { output_index: index, item });
  }

  /** A function call: its arguments streamed in the planned fragments. */
  private *functionCallItem(
    call: { id: string; name: string; fragments: readonly string[] },
    cut: boolean,
  ): Generator<ResponseEvent> {
    const item: Fields = {
      type: 'function_call',
      id: itemId('fc', this.plan.id, this.output.length),
      call_id: call.id,
      name: call.name,
      arguments: '',
      status: 'in_progress',
    };
    const { index, id } = this.add(item);
    yield this.event('response.output_item.added', { output_index: index, item });
    const at = { item_id: id, output_index: index };
    for (const delta of call.fragments) {
      yield this.event('response.function_call_arguments.delta', { ...at, delta }, true);
      item.arguments = `${item.arguments as string}${delta}`;
      this.outputTokens++;
    }
    yield this.event('response.function_call_arguments.done', {
      ...at,
      arguments: item.arguments,
    });
    item.status = cut ? 'incomplete' : 'completed';
    yield this.event('response.output_item.done', { output_index: index, item });
  }
}

/**
 * Where an error fault cuts an answer: before the first item (`error-before`), or before the
 * token event after `after` tokens (`error-after:N`; past the last token: before the terminal).
 *
 * @example
 * ```ts
 * const cut: ErrorCut = { after: 3, error: serverError(' (mock fault error-after:3)') };
 * ```
 */
export interface ErrorCut {
  /** `'start'`: before the first output item; a number: after that many token events. */
  after: number | 'start';
  error: ApiErrorObject;
}

/**
 * Every event of a plan's answer, cut by an error when `cut` says so (then ending with `error`
 * and `response.failed`).
 *
 * @example
 * ```ts
 * answerEvents(plan).at(-1)!.type; // 'response.completed'
 * answerEvents(plan, { after: 2, error }).slice(-2).map((e) => e.type); // ['error', 'response.failed']
 * ```
 */
export function answerEvents(plan: ResponsePlan, cut?: ErrorCut): ResponseEvent[] {
  const builder = new ResponseBuilder(plan);
  const events: ResponseEvent[] = [];
  let tokens = 0;
  for (const event of builder.events()) {
    if (cut) {
      const atCut =
        TERMINAL_TYPES.has(event.type) ||
        (cut.after === 'start'
          ? event.type === 'response.output_item.added'
          : event.tokens && tokens === cut.after);
      if (atCut) return [...events, ...builder.failed(cut.error)];
    }
    events.push(event);
    if (event.tokens) tokens++;
  }
  return events;
}
