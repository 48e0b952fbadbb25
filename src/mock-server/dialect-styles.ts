/*
 * How each provider family shapes its chunks: the facts of the shared corpus's QUIRKS.md (the ids
 * in comments, F1, U4, T3, ..., name them), as settings of the generic writer in dialects.ts.
 */
import { completionTokens, type PlannedAnswer, type PlannedChoice } from './answers';
import type { DialectName } from './dialects';
import { data, sortKeys, type SseFrame } from './frames';

// ---------------------------------------------------------------------------------------------
// Usage objects

export const baseUsage = (answer: PlannedAnswer, withReasoning = false) => {
  const completion = completionTokens(answer, withReasoning);
  return {
    prompt_tokens: answer.promptTokens,
    completion_tokens: completion,
    total_tokens: answer.promptTokens + completion,
  };
};

const openaiUsage = (answer: PlannedAnswer) => ({
  ...baseUsage(answer),
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
});

/** Groq's timing fields next to the counts (U10): made up, but stable. */
const groqUsage = (answer: PlannedAnswer) => {
  const { prompt_tokens, completion_tokens, total_tokens } = baseUsage(answer);
  const promptTime = prompt_tokens / 20_000;
  const completionTime = completion_tokens / 250;
  return {
    queue_time: 0.01,
    prompt_tokens,
    prompt_time: promptTime,
    completion_tokens,
    completion_time: completionTime,
    total_tokens,
    total_time: promptTime + completionTime,
  };
};

// ---------------------------------------------------------------------------------------------
// The settings of the generic writer, per dialect

/** How a dialect writes: read by the generic writer in dialects.ts. */
export interface Style {
  contentType: string;
  /** Fields before `choices` on every chunk. */
  head(answer: PlannedAnswer): Record<string, unknown>;
  /** Fields after `choices` on every chunk (`seq` counts chunks from 0, `random` is seeded). */
  tail?(seq: number, random: () => number, answer: PlannedAnswer): Record<string, unknown>;
  /** Extra fields of every choice, by the kind of its chunk. */
  choiceFields?(kind: 'role' | 'token' | 'finish'): Record<string, unknown>;
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
   * finish chunk (U3); `groq`: U4; `after-finish`: always, on a chunk after the finish (C4).
   */
  usage: 'when-asked' | 'on-finish' | 'groq' | 'after-finish';
  usageOf(answer: PlannedAnswer): Record<string, unknown>;
  /** The last content token travels in the finish chunk (Mistral). */
  lastTokenInFinish?: boolean;
  /** Chunks before the answer (Azure's prompt filter chunk: I1). */
  preamble?(answer: PlannedAnswer): SseFrame[];
  /** Processing comments: this many before the first data, and one after every `every` data (F1). */
  comments?: { text: string; before: number; every: number };
  /** Extra fields of the usage-only chunk. */
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

export const groqRequestId = (answer: PlannedAnswer) => `req_${answer.seed.toString(36)}mock`;

/** Random-length padding of random letters (OpenAI's `obfuscation`: F9). */
const obfuscation = (random: () => number) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let text = '';
  const length = 3 + Math.floor(random() * 10);
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
  return text;
};

/** Mistral's `p`: a prefix of the alphabet, of random length (F9). */
const alphabetPadding = (random: () => number) =>
  'abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, 1 + Math.floor(random() * 36));

const openaiHead = (answer: PlannedAnswer) => ({
  id: answer.id,
  object: 'chat.completion.chunk',
  created: answer.created,
  model: answer.model,
  service_tier: 'default',
  system_fingerprint: 'fp_mock',
});

const noFilter = { filtered: false, severity: 'safe' };
const contentFilterResults = {
  hate: noFilter,
  self_harm: noFilter,
  sexual: noFilter,
  violence: noFilter,
};

export const STYLES: Record<DialectName, Style> = {
  openai: {
    contentType: 'text/event-stream; charset=utf-8',
    head: openaiHead,
    // U1: `usage: null` on every chunk; F9: `obfuscation` padding.
    tail: (_seq, random) => ({ usage: null, obfuscation: obfuscation(random) }),
    choiceFields: () => ({ logprobs: null }),
    roleDelta: (choice) => ({
      role: 'assistant',
      content: choice.toolCalls.length > 0 ? null : '',
      refusal: null,
    }),
    finishDelta: {},
    tools: 'incremental', // T1
    usage: 'when-asked', // U1
    usageOf: openaiUsage,
    done: true,
    errorStyle: 'data',
  },
  azure: {
    contentType: 'text/event-stream; charset=utf-8',
    head: openaiHead,
    tail: (_seq, random) => ({ usage: null, obfuscation: obfuscation(random) }), // U1, F9
    // C11: content_filter_results on every choice: `{}` on role and finish, severities on content.
    choiceFields: (kind) => ({
      logprobs: null,
      content_filter_results: kind === 'token' ? contentFilterResults : {},
    }),
    roleDelta: (choice) => ({
      role: 'assistant',
      content: choice.toolCalls.length > 0 ? null : '',
      refusal: null,
    }),
    finishDelta: {},
    tools: 'incremental', // T1
    usage: 'when-asked', // U1
    usageOf: openaiUsage,
    // I1: the first chunk is no completion chunk: empty choices, id, model and object.
    preamble: () => [
      data(
        sortKeys({
          choices: [],
          created: 0,
          id: '',
          model: '',
          object: '',
          prompt_filter_results: [
            {
              prompt_index: 0,
              content_filter_results: {
                ...contentFilterResults,
                jailbreak: { detected: false, filtered: false },
              },
            },
          ],
        }),
      ),
    ],
    sortKeys: true, // I9
    done: true,
    errorStyle: 'data',
    completionFields: () => ({
      prompt_filter_results: [{ prompt_index: 0, content_filter_results: contentFilterResults }],
    }),
    headers: (requestId) => ({ 'apim-request-id': requestId }),
  },
  openrouter: {
    contentType: 'text/event-stream',
    head: (answer) => ({
      id: `gen-${answer.created}-mock${answer.seed.toString(36)}`,
      provider: 'Mock',
      model: answer.model,
      object: 'chat.completion.chunk',
      created: answer.created,
    }),
    choiceFields: () => ({ native_finish_reason: null, logprobs: null }),
    roleDelta: () => ({ role: 'assistant', content: '' }),
    deltaFields: { role: 'assistant' }, // C5: the role on every delta
    finishDelta: { role: 'assistant', content: '' },
    finishFields: (reason) => ({ native_finish_reason: reason }),
    tools: 'incremental', // T1
    usage: 'after-finish', // C4, always
    usageOf: (answer) => ({
      ...baseUsage(answer),
      cost: 0, // U10
      is_byok: false,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, image_tokens: 0 },
    }),
    comments: { text: 'OPENROUTER PROCESSING', before: 2, every: 10 }, // F1
    done: true,
    errorStyle: 'openrouter', // E1
    completionFields: () => ({ provider: 'Mock' }),
  },
  groq: {
    contentType: 'text/event-stream',
    head: (answer) => ({
      id: answer.id,
      object: 'chat.completion.chunk',
      created: answer.created,
      model: answer.model,
      system_fingerprint: 'fp_mock',
    }),
    // x_groq.id on the first chunk (groq captures; its usage is added on the finish: U4).
    tail: (seq, _random, answer) =>
      seq === 0 ? { x_groq: { id: groqRequestId(answer), seed: answer.seed } } : {},
    choiceFields: () => ({ logprobs: null }),
    roleDelta: () => ({ role: 'assistant', content: '' }),
    finishDelta: {},
    tools: 'whole', // T2
    usage: 'groq', // U3, U4
    usageOf: groqUsage,
    done: true,
    errorStyle: 'event', // E2
    completionFields: (answer) => ({ x_groq: { id: groqRequestId(answer) } }),
  },
  deepseek: {
    contentType: 'text/event-stream; charset=utf-8',
    head: (answer) => ({
      id: answer.id.replace(/^chatcmpl-/, ''),
      object: 'chat.completion.chunk',
      created: answer.created,
      model: answer.model,
      system_fingerprint: 'fp_mock',
    }),
    tail: () => ({ usage: null }),
    choiceFields: () => ({ logprobs: null }),
    // R1: reasoning_content first, the other field null while one streams.
    roleDelta: () => ({ role: 'assistant', content: null, reasoning_content: '' }),
    reasoningDelta: (text) => ({ content: null, reasoning_content: text }),
    contentDelta: (text) => ({ content: text, reasoning_content: null }),
    finishDelta: { content: '', reasoning_content: null },
    tools: 'incremental', // T1
    usage: 'on-finish', // U3
    usageOf: (answer) => {
      const usage = baseUsage(answer, true);
      const reasoning = completionTokens(answer, true) - completionTokens(answer, false);
      return {
        ...usage,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: reasoning },
        prompt_cache_hit_tokens: 0, // U10
        prompt_cache_miss_tokens: usage.prompt_tokens,
      };
    },
    done: true,
    errorStyle: 'data',
  },
  mistral: {
    contentType: 'text/event-stream',
    head: (answer) => ({
      id: answer.id.replace(/^chatcmpl-/, '').padEnd(32, '0'),
      object: 'chat.completion.chunk',
      created: answer.created,
      model: answer.model,
    }),
    // F9: `p` padding, on every chunk but the first.
    tail: (seq, random) => (seq === 0 ? {} : { p: alphabetPadding(random) }),
    choiceFields: () => ({ logprobs: null }),
    roleDelta: () => ({ role: 'assistant', content: '' }),
    finishDelta: {},
    tools: 'in-finish', // T3
    usage: 'on-finish', // U3
    usageOf: (answer) => {
      const { prompt_tokens, completion_tokens, total_tokens } = baseUsage(answer);
      return { prompt_tokens, total_tokens, completion_tokens };
    },
    lastTokenInFinish: true, // U3: the finish chunk still carries content
    done: true,
    errorStyle: 'data',
  },
  vllm: {
    contentType: 'text/event-stream; charset=utf-8',
    head: (answer) => ({
      id: answer.id,
      object: 'chat.completion.chunk',
      created: answer.created,
      model: answer.model,
    }),
    // C10: prompt_token_ids / prompt_text on the first chunk, token_ids on every later choice.
    tail: (seq) => (seq === 0 ? { prompt_token_ids: null, prompt_text: null } : {}),
    choiceFields: (kind) =>
      kind === 'role' ? { logprobs: null } : { logprobs: null, token_ids: null },
    roleDelta: () => ({ role: 'assistant', content: '' }),
    finishDelta: {},
    finishFields: () => ({ stop_reason: null }), // C10
    tools: 'incremental',
    usage: 'when-asked',
    usageOf: (answer) => {
      const { prompt_tokens, completion_tokens, total_tokens } = baseUsage(answer);
      return {
        prompt_tokens,
        total_tokens,
        completion_tokens,
        prompt_tokens_details: { cached_tokens: 0 },
      };
    },
    usageChunkFields: { system_fingerprint: 'vllm-mock' }, // I8: only on the usage chunk
    done: true,
    errorStyle: 'data',
  },
  'no-done': {
    contentType: 'text/event-stream',
    head: (answer) => ({ ...openaiHead(answer), system_fingerprint: null }),
    tail: (_seq, random) => ({ usage: null, obfuscation: obfuscation(random) }), // F9 passed through
    roleDelta: (choice) => ({
      role: 'assistant',
      content: choice.toolCalls.length > 0 ? null : '',
      refusal: null,
    }),
    finishDelta: {},
    tools: 'incremental',
    usage: 'when-asked',
    usageOf: (answer) => ({ cache_read_input_tokens: 0, ...openaiUsage(answer) }), // U10
    reorderUsageChunk: true, // I9: the final usage chunk is re-serialised
    done: false, // F3: no [DONE]; the stream ends after its last chunk
    errorStyle: 'data',
  },
  ollama: {
    contentType: 'text/event-stream',
    head: (answer) => ({
      id: `chatcmpl-${answer.seed % 1000}`,
      object: 'chat.completion.chunk',
      created: answer.created,
      model: answer.model,
      system_fingerprint: 'fp_ollama',
    }),
    roleDelta: () => ({ role: 'assistant', content: '' }),
    deltaFields: { role: 'assistant' }, // C5
    finishDelta: { role: 'assistant', content: '' },
    tools: 'whole', // T2
    usage: 'when-asked', // F5, U8
    usageOf: baseUsage,
    done: true, // F5
    errorStyle: 'data',
    errorsBeforeStreamAreJson: true, // F5
  },
};
