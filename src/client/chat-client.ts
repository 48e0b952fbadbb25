import { asyncScheduler, throwError, type Observable } from 'rxjs';
import { RxChatError } from '../errors';
import type { ChatCompletion, ChatStreamEvent } from '../chunks/types';
import { timeoutSettings, type ChatTimeoutConfig } from '../operators/chat-timeout';
import { finalCompletion } from '../operators/final-completion';
import {
  isRetryableError,
  retrySettings,
  type RetryConfig,
  type RetrySettings,
} from '../operators/retry-before-output';
import { isErrorResponse, isNotResponseEvent } from '../operators/response-internals';
import { ERROR_BODY_WAIT } from '../response/read-response';
import { DEFAULT_MAX_EVENT_BYTES } from '../sse/decode-sse';
import type { ChatTransport } from '../transport/types';
import { checkClientOptions, checkHeader, checkRequestOptions } from './check-options';
import { joinURL, mergeHeaders, type HeaderValue, type QueryParams } from './http-request';
import { serialiseRequest, type ChatRequest } from './request';
import {
  createHttpRequest,
  redactError,
  redactHeaders,
  redactURL,
  secretHeaderTest,
  secretsOf,
} from './secrets';
import { streamChain, type StreamChainSettings } from './stream-chain';
import type { ResponseReader } from './attempt';
import { chatResponseEvents } from '../response/chat';
import { resumeInBackground } from '../responses/background';
import { responsesResponseEvents } from '../responses/protocol';
import { serialiseResponsesRequest } from '../responses/request';
import type { ResponsesRequest } from '../responses/types';
import { runTools } from '../tools/run-tools';
import type { RunToolsEvent, RunToolsOptions, RunToolsRequest, ToolSchema } from '../tools/types';

/** OpenAI's endpoint, used when no `baseURL` is given. */
export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/**
 * Default timeouts: generous enough for slow reasoning models, short enough that a dead stream
 * (one that only sends keep-alive comments) cannot hang forever. Pass `timeout: false` to turn
 * them off.
 */
export const DEFAULT_TIMEOUT: Readonly<ChatTimeoutConfig> = { headers: 600_000, idle: 600_000 };

/** Options of {@link createChatClient}. */
export interface ChatClientOptions {
  /** The API root, e.g. `https://api.openai.com/v1` (the default) or `http://127.0.0.1:8000/v1`. */
  baseURL?: string;
  /** Sent as `Authorization: Bearer <apiKey>`. Never shown in errors, logs or inspections. */
  apiKey?: string;
  /** Headers for every request (`null` removes a default one, e.g. `authorization`). */
  headers?: Record<string, HeaderValue>;
  /** Query parameters for every request, for example `{ 'api-version': '2024-10-21' }`. */
  query?: QueryParams;
  /** How requests are sent. Default: undici in Node (`rxchat/node`), `fetch` elsewhere. */
  transport?: ChatTransport;
  /**
   * Retry before any output ({@link retryBeforeOutput}); default `{}` (2 retries with backoff).
   * `false` turns retries off.
   */
  retry?: RetryConfig<ChatStreamEvent> | false;
  /**
   * Timeouts per phase ({@link chatTimeout}), default {@link DEFAULT_TIMEOUT}. `headers`,
   * `firstChunk` and `idle` apply to each attempt; `total` covers all attempts and their waits.
   * `false` turns them off.
   */
  timeout?: ChatTimeoutConfig | false;
  /** Sends `stream_options.include_usage: true` (default). Turn off for providers that reject it. */
  includeUsage?: boolean;
  /** Aborts every request of this client: they fail with `aborted`. */
  signal?: AbortSignal;
  /** The largest single server-sent event (and JSON response), in characters. Default 4 MiB. */
  maxEventBytes?: number;
  /** Fail with `truncated` when a stream ends without `[DONE]`, even after a finish reason. */
  requireDone?: boolean;
  /**
   * Names of request headers whose values are secrets, like the API key: never shown in errors,
   * `response` events, logged requests or inspections (e.g. `['x-portkey-api-key']`).
   * `authorization`, `api-key`, `x-api-key`, `cookie` and names shaped like `*-api-key`,
   * `*-key`, `*-token`, `*-secret`, `*-password` or `*-auth` are secret already.
   */
  secretHeaders?: string[];
}

/** Options of one request; they override the client's. */
export interface ChatRequestOptions {
  /** Extra headers for this request only, e.g. `{ 'FC-Customer': 'acme', 'FC-Tag': 'beta' }`. */
  headers?: Record<string, HeaderValue>;
  /** Query parameters for this request, added to the client's (a name given here wins; `null` removes it). */
  query?: QueryParams;
  /**
   * Retry settings for this request, merged over the client's ({@link ChatClientOptions.retry});
   * `false` turns retries off for it.
   */
  retry?: RetryConfig<ChatStreamEvent> | false;
  /**
   * Timeouts for this request, merged over the client's ({@link ChatClientOptions.timeout});
   * `false` turns them all off for it.
   */
  timeout?: ChatTimeoutConfig | false;
  /** Aborts this request (the client's signal still applies too). */
  signal?: AbortSignal;
  /** More secret header names for this request (see {@link ChatClientOptions.secretHeaders}). */
  secretHeaders?: string[];
}

/** A client for one OpenAI-compatible endpoint. Every method returns a cold Observable. */
export interface ChatClient {
  /**
   * Streams a chat completion: a `response` event per attempt, every chunk as received, then one
   * `usage` event, then completion. Cold: each subscription sends its own request; unsubscribing
   * aborts it and closes the socket.
   */
  stream(request: ChatRequest, options?: ChatRequestOptions): Observable<ChatStreamEvent>;
  /** The whole answer as one normalised {@link ChatCompletion}: `stream()` folded by `finalCompletion()`. */
  complete(request: ChatRequest, options?: ChatRequestOptions): Observable<ChatCompletion>;
  /**
   * Streams a response of the Responses API (`POST {baseURL}/responses` with `stream: true`): a
   * `response` event per attempt, every server event as `{ type: 'responses', event }`, then one
   * `usage` event (the terminal event's, under the chat names), then completion. The same options,
   * retries, timeouts and operators as {@link stream}; `finalCompletion()` folds it into the same
   * normalised completion. With `background: true`, a stream cut after output resumes where it
   * stopped, and unsubscribing cancels the response on the server.
   */
  responses(request: ResponsesRequest, options?: ChatRequestOptions): Observable<ChatStreamEvent>;
  /**
   * The multi-step tool loop as one cold Observable: streams a step (`stream()` for a request
   * with `messages`, `responses()` for one with `input`), runs the tools its answer calls
   * (validated by their schemas), sends the results, and asks again, until an answer calls no
   * tool or `maxSteps` (default 5) is reached. Emits each step's events tagged with `step`, a
   * `step_finish` per step, a `tool_result` per call, then one `usage` totalling every step.
   * Unsubscribing aborts the request in flight and every running tool.
   */
  runTools<T extends Record<string, ToolSchema>>(
    request: RunToolsRequest,
    options: RunToolsOptions<T>,
  ): Observable<RunToolsEvent>;
}

/**
 * Builds a client. Used by `createChatClient` from `rxchat` (fetch by default) and `rxchat/node`
 * (undici by default).
 */
export function buildChatClient(
  options: ChatClientOptions,
  defaultTransport: () => ChatTransport,
): ChatClient {
  const transport = options.transport ?? defaultTransport();
  const url = (path: string, query: QueryParams | undefined) =>
    joinURL(options.baseURL ?? DEFAULT_BASE_URL, path, options.query, query);
  const includeUsage = options.includeUsage ?? true;
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  if (!(maxEventBytes > 0)) {
    throw new RangeError(
      `createChatClient: maxEventBytes must be a positive number, got ${String(maxEventBytes)}`,
    );
  }
  // A bad client option fails every stream with it, as a notification like any other.
  const clientProblem = problemOf(() => checkClientOptions(options as Record<string, unknown>));
  const keyOnly = typeof options.apiKey === 'string' ? [options.apiKey] : [];

  /** One exchange's whole pipeline: `method` on `path`, its body, and how its answer is read. */
  const run = (
    perRequest: ChatRequestOptions,
    path: string,
    method: 'POST' | 'GET',
    body: (() => string) | undefined,
    read: ResponseReader,
    withSignals = true,
  ): Observable<ChatStreamEvent> => {
    let plan: StreamPlan;
    try {
      if (clientProblem) throw clientProblem;
      plan = planStream(perRequest, path);
    } catch (error) {
      return throwError(() => redactError(error, keyOnly));
    }
    const { httpTarget, headers, secrets, isSecretHeader, timeout, retry } = plan;
    const { total, ...perAttempt } = timeout || {};
    // Limits left out or Infinity are off.
    const on = (limit: number | undefined) => limit !== undefined && limit !== Infinity;
    const settings: StreamChainSettings = {
      transport,
      request: () => {
        checkURL(httpTarget, secrets);
        return createHttpRequest(method, httpTarget, headers, body?.(), secrets, isSecretHeader);
      },
      read,
      response: {
        maxEventBytes,
        requireDone: options.requireDone ?? false,
        scheduler: schedulerOf(timeout),
        errorBodyWait: Math.min(ERROR_BODY_WAIT, timeout ? (timeout.idle ?? Infinity) : Infinity),
      },
      showHeaders: (shown) => redactHeaders(shown, secrets, isSecretHeader),
      // The client tells the generic engines what its events mean: a `response` event with an
      // error status ends the data phases; `response` events are metadata, not output.
      attemptTimeout: [perAttempt.headers, perAttempt.firstChunk, perAttempt.idle].some(on)
        ? timeoutSettings({ endsData: isErrorResponse, ...perAttempt })
        : undefined,
      totalTimeout:
        timeout && on(total) ? timeoutSettings({ total, scheduler: timeout.scheduler }) : undefined,
      retry: retry ? clientRetry(retry, secrets) : undefined,
      signals: withSignals
        ? [options.signal, perRequest.signal].filter((s): s is AbortSignal => !!s)
        : [],
      secrets,
    };
    return streamChain(settings);
  };

  /** Everything `run` works out before subscribe; throws `validation_error` for bad options. */
  const planStream = (perRequest: ChatRequestOptions, path: string): StreamPlan => {
    checkRequestOptions(perRequest);
    const headers = mergeHeaders(
      { 'content-type': 'application/json', accept: 'text/event-stream' },
      options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : undefined,
      options.headers,
      perRequest.headers,
    );
    for (const [name, value] of Object.entries(headers)) checkHeader(name, value, 'headers');
    const httpTarget = url(path, perRequest.query);
    const isSecretHeader = secretHeaderTest(options.secretHeaders, perRequest.secretHeaders);
    return {
      httpTarget,
      headers,
      isSecretHeader,
      secrets: secretsOf(options.apiKey, headers, httpTarget, isSecretHeader),
      timeout: layeredConfig(perRequest.timeout, options.timeout, DEFAULT_TIMEOUT),
      retry: layeredConfig(perRequest.retry, options.retry, {}),
    };
  };

  const stream = (request: ChatRequest, perRequest: ChatRequestOptions = {}) =>
    run(
      perRequest,
      'chat/completions',
      'POST',
      () => serialiseRequest(request, includeUsage),
      chatResponseEvents,
    );

  const responses = (
    request: ResponsesRequest,
    perRequest: ChatRequestOptions = {},
  ): Observable<ChatStreamEvent> => {
    const first = run(
      perRequest,
      'responses',
      'POST',
      () => serialiseResponsesRequest(request),
      responsesResponseEvents,
    );
    if (!isRecord(request) || request.background !== true) return first;
    const retry = layeredConfig(perRequest.retry, options.retry, {});
    const timeout = layeredConfig(perRequest.timeout, options.timeout, DEFAULT_TIMEOUT);
    return resumeInBackground(first, {
      // Each resume is one attempt: the resuming loop counts them against the retry limit.
      resume: (id, after) =>
        run(
          {
            ...perRequest,
            retry: false,
            query: { ...perRequest.query, stream: 'true', starting_after: String(after) },
          },
          `responses/${encodeURIComponent(id)}`,
          'GET',
          undefined,
          responsesResponseEvents,
        ),
      cancel: (id) =>
        run(
          {
            ...perRequest,
            retry: false,
            timeout: { total: CANCEL_WAIT, scheduler: schedulerOf(timeout) },
          },
          `responses/${encodeURIComponent(id)}/cancel`,
          'POST',
          () => '{}',
          responsesResponseEvents,
          // Sent because the consumer left, often by aborting: its signal must not stop this.
          false,
        ),
      maxResumes: retry ? (retry.maxRetries ?? 2) : 0,
      baseDelay: (retry ? retry.baseDelay : undefined) ?? 500,
      maxDelay: (retry ? retry.maxDelay : undefined) ?? 8000,
      scheduler: schedulerOf(timeout),
    });
  };

  return {
    stream,
    complete: (request, perRequest) => stream(request, perRequest).pipe(finalCompletion()),
    responses,
    runTools: (request, runOptions) =>
      runTools({ stream, responses }, request, runOptions, options.signal),
  };
}

/** What one call of `stream` works out before anything is sent. */
interface StreamPlan {
  httpTarget: string;
  headers: Record<string, string>;
  secrets: readonly string[];
  isSecretHeader: (name: string) => boolean;
  timeout: ChatTimeoutConfig | false;
  retry: RetryConfig<ChatStreamEvent> | false;
}

/** How long a background response's cancel request may take before it is given up. */
const CANCEL_WAIT = 10_000;

const schedulerOf = (timeout: ChatTimeoutConfig | false) =>
  (timeout && timeout.scheduler) || asyncScheduler;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function problemOf(check: () => void): unknown {
  try {
    check();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** Retry as the client runs it: `response` events are not output, and `shouldRetry` (perhaps
 * the caller's) only ever sees an error without secrets. */
function clientRetry(
  retry: RetryConfig<ChatStreamEvent>,
  secrets: readonly string[],
): RetrySettings<ChatStreamEvent> {
  const shouldRetry = retry.shouldRetry ?? isRetryableError;
  return retrySettings({
    isOutput: isNotResponseEvent,
    ...retry,
    shouldRetry: (error, attempt) => shouldRetry(redactError(error, secrets), attempt),
  });
}

/**
 * A feature's config from its layers (per request, client, default): later layers refine earlier
 * ones field by field; `false` turns the feature off.
 */
function layeredConfig<T extends object>(
  perRequest: T | false | undefined,
  client: T | false | undefined,
  fallback: T,
): T | false {
  if (perRequest === false) return false;
  const base = client === undefined ? fallback : client;
  if (perRequest === undefined) return base;
  return { ...(base || {}), ...perRequest } as T;
}

/** A URL the transports can send to: absolute, http or https. Anything else is a caller's mistake. */
function checkURL(target: string, secrets: readonly string[]): void {
  let protocol: string;
  try {
    protocol = new URL(target).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new RxChatError(
      'validation_error',
      `Invalid baseURL: "${redactURL(target, secrets)}" is not an absolute http or https URL`,
    );
  }
}
