import type { ChatCompletionChunk, ToolCallDelta, Usage } from '../chunks/types';

/** Options of {@link makeChunk}. */
export interface ChunkOptions {
  /** Sent as `delta.content`; absent by default. */
  content?: string;
  /** Sent as `delta.reasoning_content`. */
  reasoning?: string;
  /** Sent as `delta.role` (`'assistant'` on a first chunk); absent by default. */
  role?: string;
  /** Sent as `delta.refusal`; absent by default. */
  refusal?: string;
  /** Sent as `delta.tool_calls`, as given; absent by default. */
  toolCalls?: ToolCallDelta[];
  /** The choice's `finish_reason`; default `null` (more chunks follow). */
  finishReason?: string | null;
  /** The choice index; default 0. */
  index?: number;
  /** The chunk's `id`; default `'chatcmpl-test'`. */
  id?: string;
  /** The chunk's `model`; default `'test-model'`. */
  model?: string;
  /** The chunk's `created`, in Unix seconds; default 1 700 000 000. */
  created?: number;
  /** A top-level usage (as the final usage chunk or providers that repeat it carry). */
  usage?: Usage | null;
}

/**
 * A streamed chunk with one choice, valid against rxchat's own chunk schema.
 *
 * @example
 * ```ts
 * makeChunk({ content: 'Hel' });
 * makeChunk({ finishReason: 'stop' });
 * ```
 */
export function makeChunk(options: ChunkOptions = {}): ChatCompletionChunk {
  const delta: Record<string, unknown> = {};
  if (options.role !== undefined) delta.role = options.role;
  if (options.content !== undefined) delta.content = options.content;
  if (options.reasoning !== undefined) delta.reasoning_content = options.reasoning;
  if (options.refusal !== undefined) delta.refusal = options.refusal;
  if (options.toolCalls !== undefined) delta.tool_calls = options.toolCalls;
  const chunk: Record<string, unknown> = {
    id: options.id ?? 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: options.created ?? 1_700_000_000,
    model: options.model ?? 'test-model',
    choices: [{ index: options.index ?? 0, delta, finish_reason: options.finishReason ?? null }],
  };
  if (options.usage !== undefined) chunk.usage = options.usage;
  return chunk as ChatCompletionChunk;
}

/** The usage chunk sent after the last choice when `stream_options.include_usage` is set. */
export function makeUsageChunk(usage: Usage, options: Omit<ChunkOptions, 'usage'> = {}) {
  const chunk = makeChunk(options) as Record<string, unknown>;
  chunk.choices = [];
  chunk.usage = usage;
  return chunk as ChatCompletionChunk;
}

/** Token usage; `total_tokens` is the sum unless given. */
export function makeUsage(
  promptTokens = 10,
  completionTokens = 5,
  extra: Partial<Usage> = {},
): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    ...extra,
  } as Usage;
}

/** Options of {@link textChunks}. */
export interface TextChunksOptions extends Pick<ChunkOptions, 'id' | 'model' | 'index'> {
  /** Start with a `role: 'assistant'` chunk with empty content, as OpenAI does. Default true. */
  roleChunk?: boolean;
  /** The finish reason of the last text chunk. Default `'stop'`; `null` for none. */
  finishReason?: string | null;
  /** End with a usage chunk. */
  usage?: Usage;
}

/**
 * The chunks of a plain text answer, one per piece, as a provider streams it.
 *
 * @example
 * ```ts
 * sseWire(textChunks(['Hel', 'lo'], { usage: makeUsage(3, 2) }));
 * ```
 */
export function textChunks(
  pieces: readonly string[],
  options: TextChunksOptions = {},
): ChatCompletionChunk[] {
  const base = { id: options.id, model: options.model, index: options.index };
  const chunks: ChatCompletionChunk[] = [];
  if (options.roleChunk ?? true)
    chunks.push(makeChunk({ ...base, role: 'assistant', content: '' }));
  pieces.forEach((content, i) =>
    chunks.push(
      makeChunk({
        ...base,
        content,
        finishReason: i === pieces.length - 1 ? (options.finishReason ?? 'stop') : null,
      }),
    ),
  );
  if (options.usage) chunks.push(makeUsageChunk(options.usage, base));
  return chunks;
}

/** Options of {@link toolCallChunks}. */
export interface ToolCallChunksOptions extends Pick<ChunkOptions, 'id' | 'model' | 'index'> {
  /** Which tool call of the message this is (its `index`). Default 0. */
  callIndex?: number;
  /** End with `finish_reason: 'tool_calls'`. Default true. */
  finish?: boolean;
}

/**
 * The chunks of one tool call streamed as argument fragments: the first carries id, type and
 * name, the rest only `arguments` pieces (the OpenAI shape).
 */
export function toolCallChunks(
  call: { id: string; name: string; argumentPieces: readonly string[] },
  options: ToolCallChunksOptions = {},
): ChatCompletionChunk[] {
  const base = { id: options.id, model: options.model, index: options.index };
  const index = options.callIndex ?? 0;
  const chunks = [
    makeChunk({
      ...base,
      toolCalls: [
        { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
      ],
    }),
    ...call.argumentPieces.map((piece) =>
      makeChunk({ ...base, toolCalls: [{ index, function: { arguments: piece } }] }),
    ),
  ];
  if (options.finish ?? true) chunks.push(makeChunk({ ...base, finishReason: 'tool_calls' }));
  return chunks;
}
