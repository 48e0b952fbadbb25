/*
 * Provider dialects: how each provider family writes the same answer on the wire. Every shape
 * here comes from a fact in the shared corpus's QUIRKS.md; the ids in comments (F1, U4, T3, ...)
 * name those facts. Whatever the dialect, rxchat's pipeline reads the same content.
 */
import type { ApiErrorObject } from './api-errors';
import { type PlannedAnswer, type PlannedChoice, type PlannedToolCall } from './answers';
import { groqRequestId, STYLES, type Style } from './dialect-styles';
import { comment, data, DONE, sortKeys, type SseFrame } from './frames';
import { seededRandom } from './pacing';

/**
 * Every dialect the mock server speaks, in the order `DialectName` lists them.
 *
 * @example
 * ```ts
 * for (const dialect of DIALECT_NAMES) {
 *   await lastValueFrom(client.complete(request, { headers: { 'x-mock-dialect': dialect } }));
 * }
 * ```
 */
export const DIALECT_NAMES = [
  'openai',
  'azure',
  'openrouter',
  'groq',
  'deepseek',
  'mistral',
  'vllm',
  'no-done',
  'ollama',
] as const;

/**
 * The provider dialect of a stream (QUIRKS.md ids in brackets):
 *
 * - `openai`: a role chunk with empty content first, an `obfuscation` padding field [F9],
 *   `usage: null` on every chunk and a usage-only chunk only with `include_usage` [U1], tool
 *   calls as a header then argument fragments [T1], n choices interleaved [C12], `[DONE]`.
 * - `azure`: a first chunk with empty `choices`, id, model and object and
 *   `prompt_filter_results` [I1], `content_filter_results` on every choice [C11], keys in
 *   alphabetical order [I9], `obfuscation` [F9]; usage as OpenAI [U1].
 * - `openrouter`: `: OPENROUTER PROCESSING` comments before and between data [F1], `provider`,
 *   the role on every delta [C5], usage always, on a chunk after the finish chunk [C4, U10];
 *   errors as a data chunk with a numeric code, then `[DONE]` [E1].
 * - `groq`: `x_groq.id` on the first chunk; usage in `x_groq.usage` and top-level on the finish
 *   chunk [U3, U4], a third time on its own chunk with `include_usage` [U4]; each tool call
 *   whole in one delta [T2]; errors as `event: error` without `[DONE]` [E2, F2].
 * - `deepseek`: `reasoning_content` deltas before the content [R1]; usage on the finish chunk
 *   [U3], with `prompt_cache_hit_tokens` [U10].
 * - `mistral`: `p` padding [F9]; the last token inside the finish chunk, with the usage [U3];
 *   tool calls without index or type, whole, in the finish chunk [T3].
 * - `vllm`: `prompt_token_ids`/`prompt_text` on the first chunk, `token_ids` on choices and
 *   `stop_reason` on the finish [C10]; a usage-only chunk with `include_usage`, the only one with
 *   a `system_fingerprint` [I8].
 * - `no-done`: OpenAI through Databricks: never sends `[DONE]` and ends after its last chunk [F3];
 *   the usage chunk re-serialised [I9] with `cache_read_input_tokens` [U10].
 * - `ollama`: the role on every delta [C5], whole tool calls [T2], `[DONE]` always, usage only
 *   with `include_usage`, and an error before the stream as a plain JSON response [F5, U8].
 *
 * @example
 * ```ts
 * const server = await startMockServer({ dialect: 'groq' });
 * ```
 */
export type DialectName = (typeof DIALECT_NAMES)[number];

/**
 * A dialect: how to write an answer as a stream, as one JSON completion, and as an error.
 *
 * @example
 * ```ts
 * const frames = dialectOf('openai').stream(planAnswer(request), { includeUsage: true });
 * for (const frame of frames) res.write(frame.text);
 * ```
 */
export interface Dialect {
  name: DialectName;
  /** The `content-type` of its streams (it varies between providers: F8). */
  contentType: string;
  /** Response headers of every answer: the request id (for the client's `requestId`) and more. */
  headers(requestId: string): Record<string, string>;
  /** The whole stream of an answer, `[DONE]` included when the dialect sends it. */
  stream(answer: PlannedAnswer, options: { includeUsage: boolean }): SseFrame[];
  /** The frames that report an error mid-stream (`status` is the HTTP status it stands for). */
  errorFrames(answer: PlannedAnswer, error: ApiErrorObject, status: number): SseFrame[];
  /** The non-streaming answer: one `chat.completion` object. */
  completion(answer: PlannedAnswer): Record<string, unknown>;
  /** Errors before the first chunk are plain JSON responses, not SSE frames (F5). */
  errorsBeforeStreamAreJson: boolean;
}

/**
 * Whether a name is a dialect.
 *
 * @example
 * ```ts
 * isDialectName(request.headers['x-mock-dialect']); // true for 'groq'
 * ```
 */
export function isDialectName(name: unknown): name is DialectName {
  return (DIALECT_NAMES as readonly unknown[]).includes(name);
}

// ---------------------------------------------------------------------------------------------
// Steps: the dialect-neutral events of an answer, in stream order

type Step =
  | { kind: 'role'; choice: PlannedChoice }
  | { kind: 'reasoning'; choice: PlannedChoice; text: string }
  | { kind: 'content'; choice: PlannedChoice; text: string; last: boolean }
  | { kind: 'tool-header'; choice: PlannedChoice; call: PlannedToolCall; position: number }
  | { kind: 'tool-arguments'; choice: PlannedChoice; text: string; position: number }
  | { kind: 'finish'; choice: PlannedChoice };

function stepsOf(choice: PlannedChoice, withReasoning: boolean): Step[] {
  const steps: Step[] = [{ kind: 'role', choice }];
  if (withReasoning) {
    for (const text of choice.reasoning) steps.push({ kind: 'reasoning', choice, text });
  }
  choice.content.forEach((text, i) =>
    steps.push({ kind: 'content', choice, text, last: i === choice.content.length - 1 }),
  );
  choice.toolCalls.forEach((call, position) => {
    steps.push({ kind: 'tool-header', choice, call, position });
    for (const text of call.fragments) {
      steps.push({ kind: 'tool-arguments', choice, text, position });
    }
  });
  steps.push({ kind: 'finish', choice });
  return steps;
}

/** With n > 1, choices take turns, one chunk each; each has its own role and finish chunk (C12). */
function interleave(answer: PlannedAnswer, withReasoning: boolean): Step[] {
  const lists = answer.choices.map((choice) => stepsOf(choice, withReasoning));
  const longest = Math.max(0, ...lists.map((list) => list.length));
  const steps: Step[] = [];
  for (let i = 0; i < longest; i++) {
    for (const list of lists) if (i < list.length) steps.push(list[i]!);
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------
// The generic writer, configured per dialect

const toolHeader = (call: PlannedToolCall, position: number, whole: boolean) => ({
  index: position,
  id: call.id,
  type: 'function',
  function: { name: call.name, arguments: whole ? call.arguments : '' },
});

/** The kind of a chunk, for {@link Style.choiceFields}. */
type ChunkKind = 'role' | 'token' | 'finish';

function writeStream(
  style: Style,
  answer: PlannedAnswer,
  options: { includeUsage: boolean },
): SseFrame[] {
  const frames: SseFrame[] = [];
  const random = seededRandom(answer.seed);
  let seq = 0;
  let dataFrames = 0;

  const push = (frame: SseFrame) => {
    frames.push(frame);
    if (frame.kind !== 'data' || !style.comments) return;
    dataFrames++;
    if (dataFrames % style.comments.every === 0) frames.push(comment(style.comments.text));
  };
  const chunk = (
    choices: unknown[],
    {
      extra = {},
      tokens = false,
      reorder = (value: Record<string, unknown>): unknown => value,
    } = {},
  ) => {
    const value = {
      ...style.head(answer),
      choices,
      ...style.tail?.(seq, random, answer),
      ...extra,
    };
    seq++;
    push(data(style.sortKeys ? sortKeys(value) : reorder(value), tokens));
  };
  const choiceOf = (
    index: number,
    kind: ChunkKind,
    delta: Record<string, unknown>,
    finish: string | null = null,
  ) => ({
    index,
    delta,
    ...style.choiceFields?.(kind),
    finish_reason: finish,
    ...(finish ? style.finishFields?.(finish) : {}),
  });
  const withDeltaFields = (fields: Record<string, unknown>) => ({
    ...style.deltaFields,
    ...fields,
  });

  const leadingComments = style.comments?.before ?? 0;
  for (let i = 0; i < leadingComments; i++) frames.push(comment(style.comments!.text));
  for (const frame of style.preamble?.(answer) ?? []) push(frame);

  const steps = interleave(answer, style.reasoningDelta !== undefined);
  let lastFinish = steps.length - 1;
  while (lastFinish >= 0 && steps[lastFinish]!.kind !== 'finish') lastFinish--;
  // Mistral's last content token, held back for the finish chunk.
  const held = new Map<number, string>();

  steps.forEach((step, i) => {
    const index = step.choice.index;
    const token = (delta: Record<string, unknown>) =>
      chunk([choiceOf(index, 'token', withDeltaFields(delta))], { tokens: true });
    switch (step.kind) {
      case 'role':
        return chunk([choiceOf(index, 'role', style.roleDelta(step.choice))]);
      case 'reasoning':
        return token(style.reasoningDelta!(step.text));
      case 'content':
        if (step.last && style.lastTokenInFinish) {
          held.set(index, step.text);
          return;
        }
        return token(style.contentDelta?.(step.text) ?? { content: step.text });
      case 'tool-header': {
        if (style.tools === 'in-finish') return;
        const whole = style.tools === 'whole';
        const delta = withDeltaFields({
          tool_calls: [toolHeader(step.call, step.position, whole)],
        });
        return chunk([choiceOf(index, 'token', delta)], { tokens: whole });
      }
      case 'tool-arguments':
        if (style.tools !== 'incremental') return;
        return token({
          tool_calls: [{ index: step.position, function: { arguments: step.text } }],
        });
      case 'finish': {
        let delta: Record<string, unknown> = { ...style.finishDelta };
        let tokens = false;
        if (held.has(index)) {
          delta = { ...delta, content: held.get(index) };
          tokens = true;
        }
        if (style.tools === 'in-finish' && step.choice.toolCalls.length > 0) {
          // T3: no index, no type, the whole call, in the finish chunk.
          const calls = step.choice.toolCalls.map((call) => ({
            id: call.id,
            function: { name: call.name, arguments: call.arguments },
          }));
          delta = { ...delta, content: null, tool_calls: calls };
          tokens = true;
        }
        const extra: Record<string, unknown> = {};
        if (i === lastFinish && style.usage === 'on-finish') extra.usage = style.usageOf(answer);
        if (i === lastFinish && style.usage === 'groq') {
          const usage = style.usageOf(answer);
          extra.x_groq = { id: groqRequestId(answer), usage };
          extra.usage = usage;
        }
        const choice = choiceOf(index, 'finish', delta, step.choice.finishReason);
        return chunk([choice], { extra, tokens });
      }
    }
  });

  if (style.usage === 'after-finish') {
    // C4: the usage rides on a chunk with a non-empty choice and no finish_reason.
    chunk([choiceOf(0, 'token', withDeltaFields({ content: '' }))], {
      extra: { usage: style.usageOf(answer) },
    });
  } else if (options.includeUsage && (style.usage === 'when-asked' || style.usage === 'groq')) {
    const extra: Record<string, unknown> = {
      usage: style.usageOf(answer),
      ...style.usageChunkFields,
    };
    if (style.usage === 'groq') extra.service_tier = 'on_demand'; // U4
    chunk([], {
      extra,
      reorder: (value) => {
        if (!style.reorderUsageChunk) return value;
        const { id, created, ...rest } = value;
        return { ...rest, id, created };
      },
    });
  }
  if (style.done) frames.push(DONE);
  return frames;
}

function writeErrorFrames(
  style: Style,
  answer: PlannedAnswer,
  error: ApiErrorObject,
  status: number,
): SseFrame[] {
  switch (style.errorStyle) {
    case 'event':
      // E2 / F2: an `event: error` frame, then the connection closes without [DONE].
      return [
        {
          text: `event: error\ndata: ${JSON.stringify({ error: { ...error, status_code: status } })}\n\n`,
          kind: 'data',
          tokens: false,
        },
      ];
    case 'openrouter':
      // E1: a data chunk with a top-level error (numeric code) and a choice, then [DONE].
      return [
        data({
          ...style.head(answer),
          error: { code: status, message: error.message },
          choices: [
            {
              index: 0,
              delta: { role: 'assistant', content: '' },
              finish_reason: null,
              native_finish_reason: null,
              logprobs: null,
            },
          ],
        }),
        DONE,
      ];
    default:
      return [data({ error })];
  }
}

function writeCompletion(style: Style, answer: PlannedAnswer): Record<string, unknown> {
  const withReasoning = style.reasoningDelta !== undefined;
  const value = {
    id: answer.id,
    object: 'chat.completion',
    created: answer.created,
    model: answer.model,
    choices: answer.choices.map((choice) => ({
      index: choice.index,
      message: {
        role: 'assistant',
        content: choice.toolCalls.length > 0 ? null : choice.content.join(''),
        ...(withReasoning ? { reasoning_content: choice.reasoning.join('') } : {}),
        ...(choice.toolCalls.length > 0
          ? {
              tool_calls: choice.toolCalls.map((call) => ({
                id: call.id,
                type: 'function',
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      },
      logprobs: null,
      finish_reason: choice.finishReason,
    })),
    usage: style.usageOf(answer),
    ...style.completionFields?.(answer),
  };
  return style.sortKeys ? (sortKeys(value) as Record<string, unknown>) : value;
}

const dialects = new Map<DialectName, Dialect>();

/**
 * The {@link Dialect} of a name.
 *
 * @example
 * ```ts
 * const frames = dialectOf('mistral').stream(answer, { includeUsage: false });
 * ```
 */
export function dialectOf(name: DialectName): Dialect {
  let dialect = dialects.get(name);
  if (!dialect) {
    const style = STYLES[name];
    dialect = {
      name,
      contentType: style.contentType,
      headers: (requestId) => ({ 'x-request-id': requestId, ...style.headers?.(requestId) }),
      stream: (answer, options) => writeStream(style, answer, options),
      errorFrames: (answer, error, status) => writeErrorFrames(style, answer, error, status),
      completion: (answer) => writeCompletion(style, answer),
      errorsBeforeStreamAreJson: style.errorsBeforeStreamAreJson ?? false,
    };
    dialects.set(name, dialect);
  }
  return dialect;
}
