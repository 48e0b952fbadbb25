// The generic stream writer: one answer's steps as the SSE frames of a dialect, shaped by its
// Style alone, so that no provider is named here.
import { answerSteps, lastFinishOf, type Step } from './answer-steps';
import type { PlannedAnswer, PlannedToolCall } from './answers';
import { comment, data, DONE, sortKeys, type SseFrame } from './frames';
import { seededRandom } from './pacing';
import type { ChunkKind, Style } from './style';

type Fields = Record<string, unknown>;

/** How {@link StreamWriter} writes one chunk besides its choices. */
interface ChunkOptions {
  /** Fields after the style's tail. */
  extra?: Fields;
  /** Whether the chunk carries generated tokens (pacing and faults count these). */
  tokens?: boolean;
  /** Puts the keys in another order (only when the style does not sort them). */
  reorder?: (value: Fields) => unknown;
}

/** A tool call's first delta: its header, with the whole arguments or none yet. */
const toolHeader = (call: PlannedToolCall, position: number, whole: boolean) => ({
  index: position,
  id: call.id,
  type: 'function',
  function: { name: call.name, arguments: whole ? call.arguments : '' },
});

/** I9: the re-serialised usage chunk moves `id` and `created` last. */
const idAndCreatedLast = (value: Fields): unknown => {
  const { id, created, ...rest } = value;
  return { ...rest, id, created };
};

/**
 * The engine of {@link writeStream}: the frames of one answer's stream in the making, and what
 * they depend on so far: the chunks written (the style's tail varies with it and draws from the
 * seeded random), the data frames since the last processing comment (F1), and the last content
 * token of each choice that waits for its finish chunk (Mistral: U3).
 */
export class StreamWriter {
  /** The frames written so far. */
  readonly frames: SseFrame[] = [];
  private readonly random: () => number;
  private chunks = 0;
  private dataFrames = 0;
  private readonly heldTokens = new Map<number, string>();

  constructor(
    private readonly style: Style,
    private readonly answer: PlannedAnswer,
  ) {
    this.random = seededRandom(answer.seed);
  }

  /** What comes before the answer: leading processing comments (F1) and any preamble (I1). */
  begin(): void {
    const comments = this.style.comments;
    for (let i = 0; i < (comments?.before ?? 0); i++) this.frames.push(comment(comments!.text));
    for (const frame of this.style.preamble?.(this.answer) ?? []) this.push(frame);
  }

  /** One step of the answer; `lastFinish` when it is the answer's last finish step. */
  step(step: Step, lastFinish: boolean): void {
    const { style } = this;
    const index = step.choice.index;
    switch (step.kind) {
      case 'role':
        return this.chunk([this.choice(index, 'role', style.roleDelta(step.choice))]);
      case 'reasoning':
        return this.token(index, style.reasoningDelta!(step.text));
      case 'content':
        if (step.last && style.lastTokenInFinish) {
          this.heldTokens.set(index, step.text);
          return;
        }
        return this.token(index, style.contentDelta?.(step.text) ?? { content: step.text });
      case 'tool-header': {
        if (style.tools === 'in-finish') return;
        const whole = style.tools === 'whole';
        const delta = this.withDeltaFields({
          tool_calls: [toolHeader(step.call, step.position, whole)],
        });
        return this.chunk([this.choice(index, 'token', delta)], { tokens: whole });
      }
      case 'tool-arguments':
        if (style.tools !== 'incremental') return;
        return this.token(index, {
          tool_calls: [{ index: step.position, function: { arguments: step.text } }],
        });
      case 'finish':
        return this.finish(step, lastFinish);
    }
  }

  /** What comes after the answer: a usage chunk if the style sends one, then `[DONE]`. */
  end(includeUsage: boolean): SseFrame[] {
    const { style, answer } = this;
    if (style.usage === 'after-finish') {
      // C4: the usage rides on a chunk with a non-empty choice and no finish_reason.
      this.chunk([this.choice(0, 'token', this.withDeltaFields({ content: '' }))], {
        extra: { usage: style.usageOf(answer) },
      });
    } else if (
      includeUsage &&
      (style.usage === 'when-asked' || style.usage === 'on-finish-and-when-asked')
    ) {
      this.chunk([], {
        extra: { usage: style.usageOf(answer), ...style.usageChunkFields },
        reorder: style.reorderUsageChunk ? idAndCreatedLast : undefined,
      });
    }
    if (style.done) this.frames.push(DONE);
    return this.frames;
  }

  private finish(step: Extract<Step, { kind: 'finish' }>, lastFinish: boolean): void {
    const { style, answer } = this;
    const index = step.choice.index;
    let delta: Fields = { ...style.finishDelta };
    let tokens = false;
    if (this.heldTokens.has(index)) {
      delta = { ...delta, content: this.heldTokens.get(index) };
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
    const usageHere =
      lastFinish && (style.usage === 'on-finish' || style.usage === 'on-finish-and-when-asked');
    const extra = usageHere
      ? (style.finishUsageFields?.(answer) ?? { usage: style.usageOf(answer) })
      : {};
    const choice = this.choice(index, 'finish', delta, step.choice.finishReason);
    this.chunk([choice], { extra, tokens });
  }

  /** A chunk of one choice carrying generated tokens. */
  private token(index: number, delta: Fields): void {
    this.chunk([this.choice(index, 'token', this.withDeltaFields(delta))], { tokens: true });
  }

  private chunk(choices: unknown[], { extra = {}, tokens = false, reorder }: ChunkOptions = {}) {
    const { style, answer } = this;
    const value = {
      ...style.head(answer),
      choices,
      ...style.tail?.(this.chunks, this.random, answer),
      ...extra,
    };
    this.chunks++;
    const ordered = style.sortKeys ? sortKeys(value) : reorder ? reorder(value) : value;
    this.push(data(ordered, tokens));
  }

  private choice(index: number, kind: ChunkKind, delta: Fields, finish: string | null = null) {
    return {
      index,
      delta,
      ...this.style.choiceFields?.(kind),
      finish_reason: finish,
      ...(finish ? this.style.finishFields?.(finish) : {}),
    };
  }

  private withDeltaFields(fields: Fields): Fields {
    return { ...this.style.deltaFields, ...fields };
  }

  /** Adds a frame, and a processing comment after every `every` data frames (F1). */
  private push(frame: SseFrame): void {
    this.frames.push(frame);
    const comments = this.style.comments;
    if (frame.kind !== 'data' || !comments) return;
    this.dataFrames++;
    if (this.dataFrames % comments.every === 0) this.frames.push(comment(comments.text));
  }
}

/**
 * Writes an answer as the whole stream of a dialect, `[DONE]` included when the style sends it.
 *
 * @example
 * ```ts
 * const frames = writeStream(STYLES.openai, planAnswer(request), { includeUsage: true });
 * for (const frame of frames) res.write(frame.text);
 * ```
 */
export function writeStream(
  style: Style,
  answer: PlannedAnswer,
  options: { includeUsage: boolean },
): SseFrame[] {
  const writer = new StreamWriter(style, answer);
  writer.begin();
  const steps = answerSteps(answer, style.reasoningDelta !== undefined);
  const lastFinish = lastFinishOf(steps);
  steps.forEach((step, i) => writer.step(step, i === lastFinish));
  return writer.end(options.includeUsage);
}
