/*
 * The mock server's answers: pure functions of the request, so a prompt always gets the same
 * reply, tool calls and token counts, and different prompts get different replies. No model and
 * no randomness are involved.
 */

/**
 * A chat request body once validated (see `validate.ts`): only the fields answers read.
 *
 * @example
 * ```ts
 * const request: AnswerRequest = { model: 'mock-1', messages: [{ role: 'user', content: 'Hi' }], n: 2 };
 * ```
 */
export interface AnswerRequest {
  model: string;
  messages: readonly Record<string, unknown>[];
  n?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  tools?: readonly Record<string, unknown>[];
  tool_choice?: unknown;
  parallel_tool_calls?: boolean;
}

/**
 * One planned tool call: its whole arguments and the fragments they stream in.
 *
 * @example
 * ```ts
 * const call: PlannedToolCall = {
 *   id: 'call_mock_0c5c8518',
 *   name: 'get_weather',
 *   arguments: '{"city":"Paris"}',
 *   fragments: ['{"city', '":"Par', 'is"}'],
 * };
 * ```
 */
export interface PlannedToolCall {
  id: string;
  name: string;
  /** The complete JSON arguments (cut short when `max_tokens` ran out). */
  arguments: string;
  /** The argument fragments, one token each, whose concatenation is `arguments`. */
  fragments: string[];
}

/**
 * One planned choice: its tokens, tool calls and finish reason.
 *
 * @example
 * ```ts
 * const text = planAnswer(request).choices[0].content.join('');
 * ```
 */
export interface PlannedChoice {
  index: number;
  /** Reasoning tokens, for dialects that stream reasoning (they do not count for max_tokens). */
  reasoning: string[];
  /** Content tokens, one content delta each. */
  content: string[];
  toolCalls: PlannedToolCall[];
  finishReason: 'stop' | 'length' | 'tool_calls';
}

/**
 * Everything a dialect needs to write one answer, derived from the request alone.
 *
 * @example
 * ```ts
 * const answer: PlannedAnswer = planAnswer(request);
 * const frames = dialectOf('openai').stream(answer, { includeUsage: true });
 * ```
 */
export interface PlannedAnswer {
  /** `chatcmpl-mock` and a hash of the request: the same request gets the same id. */
  id: string;
  model: string;
  /** Fixed ({@link MOCK_CREATED}), so that answers compare equal across runs. */
  created: number;
  /** A hash of the request, seeding padding and (unless told otherwise) the pace jitter. */
  seed: number;
  promptTokens: number;
  choices: PlannedChoice[];
}

/**
 * The `created` of every mock answer: 2026-01-01T00:00:00Z.
 *
 * @example
 * ```ts
 * expect(completion.created).toBe(MOCK_CREATED);
 * ```
 */
export const MOCK_CREATED = 1_767_225_600;

const OPENERS = ['Hello!', 'Hi there!', 'Greetings!', 'Hey!', 'Bonjour!'];

const MIDDLES = [
  'That is a fine question.',
  'Here is a short answer from the mock server.',
  'Every word of it arrives as its own token.',
  'Nothing here comes from a real model.',
  'The same prompt always gets this same reply.',
  'Replies like this one make good test fixtures.',
  'Thanks for trying rxchat.',
  'Take your time reading it.',
];

/** Ends every reply, so that clients always meet accents, CJK and an emoji (four UTF-8 bytes). */
const CLOSING = 'Voilà: café, 世界 and 🚀.';

/** The longest quote, in characters; longer messages are cut and end with `…`. */
const MAX_QUOTE = 120;

/**
 * FNV-1a over UTF-16 code units: a small, stable hash for deriving variants and ids.
 *
 * @example
 * ```ts
 * hashText('hello') === hashText('hello'); // true, on every run and platform
 * ```
 */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const hex = (n: number) => n.toString(16).padStart(8, '0');

/**
 * Splits text into word-ish tokens: each is a run of non-space characters with the spaces before
 * it, so that the tokens concatenate back to the text exactly.
 *
 * @example
 * ```ts
 * tokenize('Hi there, 世界!'); // ['Hi', ' there,', ' 世界!']
 * ```
 */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+|\s+$/gu) ?? [];
}

/**
 * The message text a quote or a token count reads: string content, or its text parts joined
 * with spaces (other parts, such as images, are left out).
 *
 * @example
 * ```ts
 * messageText({ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }); // 'a b'
 * ```
 */
export function messageText(message: Record<string, unknown>): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) =>
      typeof part === 'object' &&
      part !== null &&
      typeof (part as { text?: unknown }).text === 'string'
        ? (part as { text: string }).text
        : '',
    )
    .filter((text) => text !== '')
    .join(' ');
}

/** The last user message's text, whitespace collapsed, at most {@link MAX_QUOTE} characters. */
function quoteOf(prompt: string): string {
  const collapsed = prompt.replace(/\s+/g, ' ').trim();
  const chars = Array.from(collapsed);
  return chars.length <= MAX_QUOTE ? collapsed : `${chars.slice(0, MAX_QUOTE).join('')}…`;
}

/**
 * The reply the mock server gives to a prompt (the text of the last user message), for choice
 * `choiceIndex` (0 unless `n` > 1), before any `max_tokens` cut:
 *
 * `<opener> You said: "<quote>". <sentence A> <sentence B> Voilà: café, 世界 and 🚀.`
 *
 * The opener is `Hello!`, `Hi there!`, `Greetings!`, `Hey!`, `Bonjour!` for choices 0 to 4 (then
 * again with ` (#N)` appended); the quote is the prompt with whitespace collapsed (cut at 120
 * characters with `…`; an empty prompt gives `You sent an empty message.` instead); the two
 * middle sentences are picked from a fixed list by a hash of the choice index and the quote.
 * It is streamed as word-ish tokens: each a run of non-space characters with the spaces
 * before it.
 *
 * @example
 * ```ts
 * import { mockAnswerText } from 'rxchat/mock-server';
 *
 * const expected = mockAnswerText('Tell me a joke');
 * // 'Hello! You said: "Tell me a joke". … Voilà: café, 世界 and 🚀.'
 * expect(completion.choices[0].message.content).toBe(expected);
 * ```
 */
export function mockAnswerText(prompt: string, choiceIndex = 0): string {
  const quote = quoteOf(prompt);
  const opener =
    OPENERS[choiceIndex % OPENERS.length]! +
    (choiceIndex >= OPENERS.length ? ` (#${choiceIndex + 1})` : '');
  const said = quote === '' ? 'You sent an empty message.' : `You said: "${quote}".`;
  const hash = hashText(`${choiceIndex}\u0000${quote}`);
  const first = hash % MIDDLES.length;
  const second = (first + 1 + ((hash >>> 8) % (MIDDLES.length - 1))) % MIDDLES.length;
  return `${opener} ${said} ${MIDDLES[first]} ${MIDDLES[second]} ${CLOSING}`;
}

/**
 * The reply to a conversation whose tool results already follow the last user message, when
 * the prompt would call tools again: a text answer that quotes the results (each whitespace
 * collapsed and cut at 120 characters), so that a tool loop ends after one round:
 *
 * `<opener> You asked: "<quote>". The tools answered: "<result 1>"; "<result 2>". Voilà: café, 世界 and 🚀.`
 *
 * @example
 * ```ts
 * mockToolAnswerText('Weather in Paris? Use get_weather', ['{"temp":21}']);
 * // 'Hello! You asked: "Weather in Paris? Use get_weather". The tools answered: "{"temp":21}". Voilà: …'
 * ```
 */
export function mockToolAnswerText(
  prompt: string,
  results: readonly string[],
  choiceIndex = 0,
): string {
  const quote = quoteOf(prompt);
  const opener =
    OPENERS[choiceIndex % OPENERS.length]! +
    (choiceIndex >= OPENERS.length ? ` (#${choiceIndex + 1})` : '');
  const asked = quote === '' ? 'You sent an empty message.' : `You asked: "${quote}".`;
  const answered = results.map((result) => `"${quoteOf(result)}"`).join('; ');
  return `${opener} ${asked} The tools answered: ${answered}. ${CLOSING}`;
}

/**
 * The texts of the tool results (`role: 'tool'` messages) after the last user message; empty
 * when there are none (or no user message).
 *
 * @example
 * ```ts
 * toolResultsAfterLastUser([{ role: 'user', content: 'Hi' }, { role: 'tool', tool_call_id: 'c', content: 'sunny' }]); // ['sunny']
 * ```
 */
export function toolResultsAfterLastUser(messages: readonly Record<string, unknown>[]): string[] {
  const results: string[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role === 'user') return results.reverse();
    if (message.role === 'tool') results.push(messageText(message));
  }
  return [];
}

/**
 * What a reasoning dialect (`deepseek`) thinks before it answers, streamed as reasoning, never as
 * content: `The user wrote N words. A friendly reply that quotes them fits best.`
 *
 * @example
 * ```ts
 * mockReasoningText('Tell me a joke'); // 'The user wrote 4 words. A friendly reply that quotes them fits best.'
 * ```
 */
export function mockReasoningText(prompt: string): string {
  const words = tokenize(quoteOf(prompt)).length;
  return `The user wrote ${words} ${words === 1 ? 'word' : 'words'}. A friendly reply that quotes them fits best.`;
}

/**
 * The text of the last message with role `user` (the prompt the reply quotes); `''` when there
 * is none.
 *
 * @example
 * ```ts
 * lastUserText([{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Hi' }]); // 'Hi'
 * ```
 */
export function lastUserText(messages: readonly Record<string, unknown>[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role === 'user') return messageText(message);
  }
  return '';
}

/**
 * Prompt tokens, counted like completion tokens: the {@link tokenize} tokens of every message's
 * text (string content or text parts) and of the arguments of tool calls in the conversation.
 *
 * @example
 * ```ts
 * countPromptTokens([{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Hi' }]); // 3
 * ```
 */
export function countPromptTokens(messages: readonly Record<string, unknown>[]): number {
  let tokens = 0;
  for (const message of messages) {
    tokens += tokenize(messageText(message)).length;
    if (Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls as { function?: { arguments?: unknown } }[]) {
        const args = call?.function?.arguments;
        if (typeof args === 'string') tokens += tokenize(args).length;
      }
    }
  }
  return tokens;
}

interface FunctionTool {
  name: string;
  parameters: unknown;
}

const functionTools = (tools: readonly Record<string, unknown>[] | undefined): FunctionTool[] =>
  (tools ?? []).flatMap((tool) => {
    const fn = tool.function as { name?: unknown; parameters?: unknown } | undefined;
    return tool.type === 'function' && fn && typeof fn.name === 'string' && fn.name !== ''
      ? [{ name: fn.name, parameters: fn.parameters }]
      : [];
  });

/** Whether the prompt names a tool: `get_weather` also matches "get weather" (any case). */
const mentions = (prompt: string, name: string) => {
  const text = prompt.toLowerCase();
  const lower = name.toLowerCase();
  return text.includes(lower) || text.includes(lower.replace(/[_-]+/g, ' '));
};

/**
 * The tools the answer calls: the one `tool_choice` names; else, unless `tool_choice` is
 * `'none'`, every tool the prompt mentions (only the first when `parallel_tool_calls` is false),
 * and with `'required'` the first tool when none is mentioned.
 */
function toolsToCall(request: AnswerRequest, prompt: string): FunctionTool[] {
  const tools = functionTools(request.tools);
  if (tools.length === 0) return [];
  const choice = request.tool_choice;
  if (choice === 'none') return [];
  if (typeof choice === 'object' && choice !== null) {
    const name = (choice as { function?: { name?: unknown } }).function?.name;
    return tools.filter((tool) => tool.name === name).slice(0, 1);
  }
  let chosen = tools.filter((tool) => mentions(prompt, tool.name));
  if (chosen.length === 0 && choice === 'required') chosen = tools.slice(0, 1);
  return request.parallel_tool_calls === false ? chosen.slice(0, 1) : chosen;
}

/**
 * Arguments derived from the prompt and the tool's JSON schema: each property (up to 8) gets the
 * quote if it is a string (the first value of an `enum`), the quote's word count if it is a
 * number, `true` if boolean, `[quote]` if an array, `{}` if an object; a tool without properties
 * gets `{"input": quote}`.
 */
function argumentsFor(tool: FunctionTool, quote: string): string {
  const properties = (tool.parameters as { properties?: unknown } | undefined)?.properties;
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    return JSON.stringify({ input: quote });
  }
  const words = tokenize(quote).length;
  // No prototype: a property named "__proto__" stays a plain key.
  const args = Object.create(null) as Record<string, unknown>;
  for (const [name, schema] of Object.entries(properties).slice(0, 8)) {
    const { type, enum: options } = (schema ?? {}) as { type?: unknown; enum?: unknown };
    if (Array.isArray(options) && options.length > 0) args[name] = options[0];
    else if (type === 'number' || type === 'integer') args[name] = words;
    else if (type === 'boolean') args[name] = true;
    else if (type === 'array') args[name] = [quote];
    else if (type === 'object') args[name] = {};
    else args[name] = quote;
  }
  return JSON.stringify(args);
}

/** Cuts JSON text into fragments of up to 6 characters (never inside a surrogate pair). */
function fragmentsOf(text: string): string[] {
  const chars = Array.from(text);
  const fragments: string[] = [];
  for (let i = 0; i < chars.length; i += 6) fragments.push(chars.slice(i, i + 6).join(''));
  return fragments;
}

/**
 * Plans the answer to a validated request: `n` choices, each its own deterministic variant, cut
 * at `max_completion_tokens` (or `max_tokens`) tokens with finish reason `length`; tool calls
 * when the request's tools call for them (finish reason `tool_calls`), unless tool results
 * already follow the last user message: then {@link mockToolAnswerText}, so tool loops end.
 *
 * @example
 * ```ts
 * const answer = planAnswer({ model: 'mock-1', messages: [{ role: 'user', content: 'Hi' }] });
 * answer.choices[0].content.join(''); // mockAnswerText('Hi')
 * ```
 */
export function planAnswer(request: AnswerRequest): PlannedAnswer {
  const prompt = lastUserText(request.messages);
  const quote = quoteOf(prompt);
  const seed = hashText(`${request.model}\u0000${JSON.stringify(request.messages)}`);
  const limit = request.max_completion_tokens ?? request.max_tokens ?? Infinity;
  let tools = toolsToCall(request, prompt);
  // A tool loop's next round: the results are in, so the answer is text that uses them.
  const results = tools.length > 0 ? toolResultsAfterLastUser(request.messages) : [];
  if (results.length > 0) tools = [];
  const choices: PlannedChoice[] = [];

  for (let index = 0; index < (request.n ?? 1); index++) {
    const reasoning = tokenize(mockReasoningText(prompt));
    if (tools.length > 0) {
      let budget = limit;
      let cut = false;
      const toolCalls = tools.map((tool, call): PlannedToolCall => {
        const all = fragmentsOf(argumentsFor(tool, quote));
        const fragments = all.slice(0, Math.max(0, budget));
        budget -= fragments.length;
        if (fragments.length < all.length) cut = true;
        return {
          id: `call_mock_${hex(hashText(`${index}:${call}:${tool.name}:${quote}`))}`,
          name: tool.name,
          arguments: fragments.join(''),
          fragments,
        };
      });
      const finishReason = cut ? 'length' : 'tool_calls';
      choices.push({ index, reasoning, content: [], toolCalls, finishReason });
      continue;
    }
    const all = tokenize(
      results.length > 0
        ? mockToolAnswerText(prompt, results, index)
        : mockAnswerText(prompt, index),
    );
    const content = all.slice(0, limit);
    choices.push({
      index,
      reasoning,
      content,
      toolCalls: [],
      finishReason: content.length < all.length ? 'length' : 'stop',
    });
  }

  return {
    id: `chatcmpl-mock${hex(seed)}`,
    model: request.model,
    created: MOCK_CREATED,
    seed,
    promptTokens: countPromptTokens(request.messages),
    choices,
  };
}

/**
 * Completion tokens of an answer: every content token and tool-argument fragment of every
 * choice, plus the reasoning tokens when the dialect streams them.
 *
 * @example
 * ```ts
 * completionTokens(planAnswer(request), false); // tokenize(mockAnswerText(prompt)).length
 * ```
 */
export function completionTokens(answer: PlannedAnswer, withReasoning: boolean): number {
  let tokens = 0;
  for (const choice of answer.choices) {
    tokens += choice.content.length;
    for (const call of choice.toolCalls) tokens += call.fragments.length;
    if (withReasoning) tokens += choice.reasoning.length;
  }
  return tokens;
}
