/*
 * The settings of the generic stream writer: what the writer (stream-writer.ts) reads and the
 * dialect table (dialect-styles.ts) fills in, so that neither knows the other.
 */
import type { PlannedAnswer, PlannedChoice } from './answers';
import type { SseFrame } from './frames';

/**
 * The kind of a chunk, for {@link Style.choiceFields}.
 *
 * @example
 * ```ts
 * const fields = style.choiceFields?.('token'); // Azure: severities on content chunks only
 * ```
 */
export type ChunkKind = 'role' | 'token' | 'finish';

/**
 * How a dialect writes its chunks, completions and errors: read by the generic writers.
 *
 * @example
 * ```ts
 * const frames = writeStream(STYLES.groq, planAnswer(request), { includeUsage: true });
 * ```
 */
export interface Style {
  contentType: string;
  /** Fields before `choices` on every chunk. */
  head(answer: PlannedAnswer): Record<string, unknown>;
  /** Fields after `choices` on every chunk (`seq` counts chunks from 0, `random` is seeded). */
  tail?(seq: number, random: () => number, answer: PlannedAnswer): Record<string, unknown>;
  /** Extra fields of every choice, by the kind of its chunk. */
  choiceFields?(kind: ChunkKind): Record<string, unknown>;
  roleDelta(choice: PlannedChoice): Record<string, unknown>;
  /** Fields repeated on every later delta. */
  deltaFields?: Record<string, unknown>;
  /** Reasoning is streamed with this delta; absent: not streamed. */
  reasoningDelta?(text: string): Record<string, unknown>;
  contentDelta?(text: string): Record<string, unknown>;
  finishDelta: Record<string, unknown>;
  finishFields?(reason: string): Record<string, unknown>;
  /** `incremental`: header then fragments (T1); `whole`: one delta per call (T2); `in-finish`: T3. */
  tools: 'incremental' | 'whole' | 'in-finish';
  /**
   * `when-asked`: a `choices: []` chunk only with include_usage (U1); `on-finish`: on the last
   * finish chunk (U3); `on-finish-and-when-asked`: both (U4); `after-finish`: always, on a chunk
   * after the finish (C4).
   */
  usage: 'when-asked' | 'on-finish' | 'on-finish-and-when-asked' | 'after-finish';
  usageOf(answer: PlannedAnswer): Record<string, unknown>;
  /** What the last finish chunk adds when usage goes there; default `{ usage }` (U3). */
  finishUsageFields?(answer: PlannedAnswer): Record<string, unknown>;
  /** The last content token travels in the finish chunk (Mistral). */
  lastTokenInFinish?: boolean;
  /** Chunks before the answer (Azure's prompt filter chunk: I1). */
  preamble?(answer: PlannedAnswer): SseFrame[];
  /** Processing comments: this many before the first data, and one after every `every` data (F1). */
  comments?: { text: string; before: number; every: number };
  /** Extra fields of the usage-only chunk, after its `usage`. */
  usageChunkFields?: Record<string, unknown>;
  /** The usage-only chunk is re-serialised with its keys in another order (I9). */
  reorderUsageChunk?: boolean;
  sortKeys?: boolean;
  done: boolean;
  errorStyle: 'data' | 'event' | 'openrouter';
  errorsBeforeStreamAreJson?: boolean;
  completionFields?(answer: PlannedAnswer): Record<string, unknown>;
  /** Extra response headers. */
  headers?(requestId: string): Record<string, string>;
}
