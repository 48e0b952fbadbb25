import {
  assertInInjectionContext,
  computed,
  inject,
  Injector,
  runInInjectionContext,
  signal,
  type Signal,
} from '@angular/core';
import type { ChatMessage, ChatRequest, RxChatError, ToolCall, Usage } from 'rxchat';
import {
  chatResource,
  type ChatResource,
  type ChatResourceOptions,
  type ChatResourceStatus,
} from './chat-resource';

/** One message of an {@link injectChat} conversation, as a screen shows it. */
export interface ChatTurnMessage {
  /** A stable id (`'m1'`, `'m2'`, …), for `@for (…; track message.id)`. */
  readonly id: string;
  /** Who wrote it. */
  readonly role: 'user' | 'assistant';
  /** The text: the user's, or the assistant's so far (it grows while streaming). */
  readonly content: string;
  /** The assistant's reasoning so far; `''` for user messages and models that show none. */
  readonly reasoning: string;
  /** The tool calls the assistant made (complete ones once it finished); empty when none. */
  readonly toolCalls: readonly ToolCall[];
  /** The usage of this assistant turn, once the server reported it; `null` otherwise. */
  readonly usage: Usage | null;
  /** The assistant turn's finish reason (`'stop'`, `'length'`, `'tool_calls'`); else `null`. */
  readonly finishReason: string | null;
  /** True while this assistant message is still arriving. */
  readonly streaming: boolean;
}

/** Options of {@link injectChat}: the model and what {@link chatResource} takes, but `request`. */
export interface InjectChatOptions extends Omit<ChatResourceOptions, 'request'> {
  /** The model to ask, or a function of signals giving it (read at each send). */
  model: string | (() => string);
  /** A system message sent first with every request; none by default. */
  system?: string;
  /** More request fields (`tools`, `temperature`, …), sent with every request. */
  defaults?: Partial<ChatRequest>;
}

/** A conversation as signals: what {@link injectChat} returns. */
export interface Chat {
  /** The conversation, oldest first; the last assistant message grows while streaming. */
  readonly messages: Signal<readonly ChatTurnMessage[]>;
  /** The status of the latest answer (see {@link ChatResourceStatus}). */
  readonly status: Signal<ChatResourceStatus>;
  /** Why the latest answer failed; `undefined` unless `status` is `'error'`. */
  readonly error: Signal<RxChatError | undefined>;
  /** True while an answer is being requested or streamed. */
  readonly isLoading: Signal<boolean>;
  /** The usage of every assistant turn added up (turns without usage count as 0). */
  readonly totalUsage: Signal<Usage>;
  /**
   * Adds a user message and asks for the answer (cancelling one still streaming, which keeps
   * what it got). Blank text sends nothing and returns false.
   */
  send(text: string): boolean;
  /** Stops the answer being streamed and keeps what arrived. Returns false if none was. */
  stop(): boolean;
  /**
   * Asks again for the last answer: drops the last assistant message and resends the
   * conversation up to the last user message. Returns false when there is nothing to resend.
   */
  regenerate(): boolean;
}

/**
 * A small conversation on {@link chatResource}: `messages` (user and assistant, the assistant's
 * growing while it streams, with its tool calls and usage), `send`, `stop`, `regenerate`. The
 * conversation so far is sent with each request (assistant messages by their text; running the
 * tools the model calls is the app's). Destroying the injection context aborts the request.
 *
 * @example
 * ```ts
 * readonly chat = injectChat({ model: 'gpt-4o-mini', system: 'Be brief.' });
 * // (submit)="chat.send(box.value)"  ·  @for (m of chat.messages(); track m.id) { … }
 * ```
 */
export function injectChat(options: InjectChatOptions): Chat {
  if (!options.injector) assertInInjectionContext(injectChat);
  const injector = options.injector ?? inject(Injector);
  return runInInjectionContext(injector, () => createChat(options));
}

function createChat(options: InjectChatOptions): Chat {
  const { model, system, defaults, ...resourceOptions } = options;
  let ids = 0;
  const nextId = () => `m${++ids}`;
  /** Messages whose answer is over (every user message, and finished assistant ones). */
  const settled = signal<readonly ChatTurnMessage[]>([]);
  /** The request of the latest answer, and the id its assistant message gets. */
  const asked = signal<{ request: ChatRequest; id: string } | undefined>(undefined);
  const answer = chatResource({ ...resourceOptions, request: () => asked()?.request });

  /** The latest answer as a message, or undefined while none was sent. */
  const live = computed((): ChatTurnMessage | undefined => {
    const turn = asked();
    if (!turn) return undefined;
    // Until the resource sent this request (its effect runs with change detection), the answer
    // it shows is the previous one: the new message starts empty.
    if (answer.request() !== turn.request) return waiting(turn.id);
    return assistantMessage(turn.id, answer);
  });

  const messages = computed(() => {
    const message = live();
    return message ? [...settled(), message] : settled();
  });

  const totalUsage = computed(() => {
    let prompt = 0;
    let completion = 0;
    for (const message of messages()) {
      prompt += message.usage?.prompt_tokens ?? 0;
      completion += message.usage?.completion_tokens ?? 0;
    }
    return {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
    };
  });

  /** Whether the resource shows the latest request (false while its effect has yet to run). */
  const current = computed(() => {
    const turn = asked();
    return turn === undefined || answer.request() === turn.request;
  });
  const status = computed(() => (current() ? answer.status() : 'loading'));

  /** Sends `history` (which ends with a user message). */
  const ask = (history: readonly ChatTurnMessage[]) => {
    const wire: ChatMessage[] = history.map(({ role, content }) => ({ role, content }));
    if (system !== undefined) wire.unshift({ role: 'system', content: system });
    const request: ChatRequest = {
      ...defaults,
      model: typeof model === 'function' ? model() : model,
      messages: wire,
    };
    asked.set({ request, id: nextId() });
  };

  /** Moves the latest answer into the settled messages (it stops, if still streaming). */
  const settle = () => {
    answer.stop();
    const message = live();
    asked.set(undefined);
    if (message && (message.content !== '' || message.toolCalls.length > 0)) {
      settled.update((all) => [...all, { ...message, streaming: false }]);
    }
  };

  return {
    messages,
    status,
    error: computed(() => (current() ? answer.error() : undefined)),
    isLoading: computed(() => status() === 'loading' || answer.isLoading()),
    totalUsage,
    send(text: string): boolean {
      if (text.trim() === '') return false;
      settle();
      const user: ChatTurnMessage = {
        id: nextId(),
        role: 'user',
        content: text,
        reasoning: '',
        toolCalls: [],
        usage: null,
        finishReason: null,
        streaming: false,
      };
      settled.update((all) => [...all, user]);
      ask(settled());
      return true;
    },
    stop: () => answer.stop(),
    regenerate(): boolean {
      answer.stop();
      asked.set(undefined);
      const history = settled();
      let lastUser = history.length - 1;
      while (lastUser >= 0 && history[lastUser]!.role !== 'user') lastUser--;
      if (lastUser < 0) return false;
      const kept = history.slice(0, lastUser + 1);
      settled.set(kept);
      ask(kept);
      return true;
    },
  };
}

function waiting(id: string): ChatTurnMessage {
  return {
    id,
    role: 'assistant',
    content: '',
    reasoning: '',
    toolCalls: [],
    usage: null,
    finishReason: null,
    streaming: true,
  };
}

function assistantMessage(id: string, answer: ChatResource): ChatTurnMessage {
  const choice = answer.completion()?.choices[0];
  return {
    id,
    role: 'assistant',
    content: answer.text(),
    reasoning: answer.reasoning(),
    toolCalls: choice?.message.tool_calls ?? [],
    usage: answer.usage(),
    finishReason: choice?.finish_reason ?? null,
    streaming: answer.isLoading(),
  };
}
