/*
 * How each provider family shapes its chunks: the facts of the shared corpus's QUIRKS.md (the ids
 * in comments, F1, U4, T3, ..., name them), as settings of the generic writers
 * (stream-writer.ts, completion.ts, error-frames.ts).
 */
import type { PlannedAnswer, PlannedChoice } from './answers';
import type { ChatDialectName } from './dialect-names';
import { data, sortKeys } from './frames';
import {
  baseUsage,
  databricksUsage,
  deepseekUsage,
  groqUsage,
  mistralUsage,
  openaiUsage,
  openrouterUsage,
  vllmUsage,
} from './provider-usage';
import type { Style } from './style';

const groqRequestId = (answer: PlannedAnswer) => `req_${answer.seed.toString(36)}mock`;

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

/** The fields most providers open a chunk with, in this order; `id` when they rewrite it. */
const chunkHead = (answer: PlannedAnswer, id = answer.id) => ({
  id,
  object: 'chat.completion.chunk',
  created: answer.created,
  model: answer.model,
});

const openaiHead = (answer: PlannedAnswer) => ({
  ...chunkHead(answer),
  service_tier: 'default',
  system_fingerprint: 'fp_mock',
});

/** U1: `usage: null` on every chunk; F9: `obfuscation` padding. */
const openaiTail = (_seq: number, random: () => number) => ({
  usage: null,
  obfuscation: obfuscation(random),
});

/** OpenAI's role chunk: empty content, or null when tool calls follow. */
const openaiRoleDelta = (choice: PlannedChoice) => ({
  role: 'assistant',
  content: choice.toolCalls.length > 0 ? null : '',
  refusal: null,
});

/** The role chunk of the providers that always start with empty content. */
const emptyRoleDelta = () => ({ role: 'assistant', content: '' });

const nullLogprobs = () => ({ logprobs: null });

const noFilter = { filtered: false, severity: 'safe' };
const contentFilterResults = {
  hate: noFilter,
  self_harm: noFilter,
  sexual: noFilter,
  violence: noFilter,
};

/** OpenAI's own stream; Azure serves the same with its filters on top. */
const openai: Style = {
  contentType: 'text/event-stream; charset=utf-8',
  head: openaiHead,
  tail: openaiTail,
  choiceFields: nullLogprobs,
  roleDelta: openaiRoleDelta,
  finishDelta: {},
  tools: 'incremental', // T1
  usage: 'when-asked', // U1
  usageOf: openaiUsage,
  done: true,
  errorStyle: 'data',
};

/**
 * The settings of every dialect.
 *
 * @example
 * ```ts
 * const frames = writeStream(STYLES.mistral, answer, { includeUsage: false });
 * ```
 */
export const STYLES: Record<ChatDialectName, Style> = {
  openai,
  azure: {
    ...openai,
    // C11: content_filter_results on every choice: `{}` on role and finish, severities on content.
    choiceFields: (kind) => ({
      logprobs: null,
      content_filter_results: kind === 'token' ? contentFilterResults : {},
    }),
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
    roleDelta: emptyRoleDelta,
    deltaFields: { role: 'assistant' }, // C5: the role on every delta
    finishDelta: { role: 'assistant', content: '' },
    finishFields: (reason) => ({ native_finish_reason: reason }),
    tools: 'incremental', // T1
    usage: 'after-finish', // C4, always
    usageOf: openrouterUsage,
    comments: { text: 'OPENROUTER PROCESSING', before: 2, every: 10 }, // F1
    done: true,
    errorStyle: 'openrouter', // E1
    completionFields: () => ({ provider: 'Mock' }),
  },
  groq: {
    contentType: 'text/event-stream',
    head: (answer) => ({ ...chunkHead(answer), system_fingerprint: 'fp_mock' }),
    // x_groq.id on the first chunk (groq captures; its usage is added on the finish: U4).
    tail: (seq, _random, answer) =>
      seq === 0 ? { x_groq: { id: groqRequestId(answer), seed: answer.seed } } : {},
    choiceFields: nullLogprobs,
    roleDelta: emptyRoleDelta,
    finishDelta: {},
    tools: 'whole', // T2
    usage: 'on-finish-and-when-asked', // U3, U4
    usageOf: groqUsage,
    // U4: the finish chunk carries the usage twice, in x_groq and top-level.
    finishUsageFields: (answer) => {
      const usage = groqUsage(answer);
      return { x_groq: { id: groqRequestId(answer), usage }, usage };
    },
    usageChunkFields: { service_tier: 'on_demand' }, // U4
    done: true,
    errorStyle: 'event', // E2
    completionFields: (answer) => ({ x_groq: { id: groqRequestId(answer) } }),
  },
  deepseek: {
    contentType: 'text/event-stream; charset=utf-8',
    head: (answer) => ({
      ...chunkHead(answer, answer.id.replace(/^chatcmpl-/, '')),
      system_fingerprint: 'fp_mock',
    }),
    tail: () => ({ usage: null }),
    choiceFields: nullLogprobs,
    // R1: reasoning_content first, the other field null while one streams.
    roleDelta: () => ({ role: 'assistant', content: null, reasoning_content: '' }),
    reasoningDelta: (text) => ({ content: null, reasoning_content: text }),
    contentDelta: (text) => ({ content: text, reasoning_content: null }),
    finishDelta: { content: '', reasoning_content: null },
    tools: 'incremental', // T1
    usage: 'on-finish', // U3
    usageOf: deepseekUsage, // U10
    done: true,
    errorStyle: 'data',
  },
  mistral: {
    contentType: 'text/event-stream',
    head: (answer) => chunkHead(answer, answer.id.replace(/^chatcmpl-/, '').padEnd(32, '0')),
    // F9: `p` padding, on every chunk but the first.
    tail: (seq, random) => (seq === 0 ? {} : { p: alphabetPadding(random) }),
    choiceFields: nullLogprobs,
    roleDelta: emptyRoleDelta,
    finishDelta: {},
    tools: 'in-finish', // T3
    usage: 'on-finish', // U3
    usageOf: mistralUsage,
    lastTokenInFinish: true, // U3: the finish chunk still carries content
    done: true,
    errorStyle: 'data',
  },
  vllm: {
    contentType: 'text/event-stream; charset=utf-8',
    head: (answer) => chunkHead(answer),
    // C10: prompt_token_ids / prompt_text on the first chunk, token_ids on every later choice.
    tail: (seq) => (seq === 0 ? { prompt_token_ids: null, prompt_text: null } : {}),
    choiceFields: (kind) =>
      kind === 'role' ? { logprobs: null } : { logprobs: null, token_ids: null },
    roleDelta: emptyRoleDelta,
    finishDelta: {},
    finishFields: () => ({ stop_reason: null }), // C10
    tools: 'incremental',
    usage: 'when-asked',
    usageOf: vllmUsage,
    usageChunkFields: { system_fingerprint: 'vllm-mock' }, // I8: only on the usage chunk
    done: true,
    errorStyle: 'data',
  },
  'no-done': {
    contentType: 'text/event-stream',
    head: (answer) => ({ ...openaiHead(answer), system_fingerprint: null }),
    tail: openaiTail, // F9 passed through
    roleDelta: openaiRoleDelta,
    finishDelta: {},
    tools: 'incremental',
    usage: 'when-asked',
    usageOf: databricksUsage, // U10
    reorderUsageChunk: true, // I9: the final usage chunk is re-serialised
    done: false, // F3: no [DONE]; the stream ends after its last chunk
    errorStyle: 'data',
  },
  ollama: {
    contentType: 'text/event-stream',
    head: (answer) => ({
      ...chunkHead(answer, `chatcmpl-${answer.seed % 1000}`),
      system_fingerprint: 'fp_ollama',
    }),
    roleDelta: emptyRoleDelta,
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
