import { concat, defer, from, map, mergeMap, Observable, of } from 'rxjs';
import { CompletionAccumulator } from '../chunks/accumulator';
import type { ChatCompletion, ToolCall, Usage } from '../chunks/types';
import type { ChatMessage, ChatRequest } from '../client/request';
import { RxChatError } from '../errors';
import { attachPartial } from '../operators/accumulate-internals';
import type { ResponseInputItem, ResponsesRequest } from '../responses/types';
import { callName, executeCall, messageOf, type CallOutcome } from './execute';
import { isToolSchema, jsonSchemaOf } from './schema';
import type {
  RunToolsEvent,
  RunToolsOptions,
  RunToolsRequest,
  RunToolsStepFinish,
  ToolDefinition,
  ToolLoopClient,
  ToolSchema,
  ToolStepRequestOptions,
} from './types';

/** Default of {@link RunToolsOptions.maxSteps}. */
export const DEFAULT_MAX_STEPS = 5;
/** Default of {@link RunToolsOptions.maxInvalidCalls}. */
export const DEFAULT_MAX_INVALID_CALLS = 3;

type Fields = Record<string, unknown>;
const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null;

/** The loop's settings once checked. */
interface LoopSettings {
  tools: Readonly<Record<string, ToolDefinition>>;
  maxSteps: number;
  concurrency: number;
  maxInvalidCalls: number;
  toolErrors: 'answer' | 'throw';
  requestOptions: ToolStepRequestOptions;
}

const invalidOption = (message: string) =>
  new RxChatError('validation_error', `runTools: ${message}`, { retryable: false });

function settingsOf(options: RunToolsOptions): LoopSettings {
  if (!isRecord(options)) throw invalidOption('options must be an object with `tools`');
  const {
    tools,
    maxSteps = DEFAULT_MAX_STEPS,
    concurrency = Infinity,
    maxInvalidCalls = DEFAULT_MAX_INVALID_CALLS,
    toolErrors = 'answer',
    ...requestOptions
  } = options;
  if (!isRecord(tools)) throw invalidOption('`tools` must be an object of tools by name');
  for (const [name, tool] of Object.entries(tools as Fields)) {
    if (!isRecord(tool) || typeof tool.execute !== 'function') {
      throw invalidOption(`tool "${name}" needs an execute function`);
    }
    if (!isToolSchema(tool.parameters)) {
      throw invalidOption(
        `the parameters of tool "${name}" must be a zod 4 schema or a Standard Schema`,
      );
    }
  }
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw invalidOption(`maxSteps must be an integer ≥ 1, got ${String(maxSteps)}`);
  }
  if (!(concurrency === Infinity || (Number.isInteger(concurrency) && concurrency >= 1))) {
    throw invalidOption(
      `concurrency must be an integer ≥ 1 or Infinity, got ${String(concurrency)}`,
    );
  }
  if (!Number.isInteger(maxInvalidCalls) || maxInvalidCalls < 0) {
    throw invalidOption(`maxInvalidCalls must be an integer ≥ 0, got ${String(maxInvalidCalls)}`);
  }
  if (toolErrors !== 'answer' && toolErrors !== 'throw') {
    throw invalidOption(`toolErrors must be 'answer' or 'throw', got ${String(toolErrors)}`);
  }
  return {
    tools: tools as Record<string, ToolDefinition>,
    maxSteps,
    concurrency,
    maxInvalidCalls,
    toolErrors,
    requestOptions,
  };
}

/** The request with the loop's tools added (replacing a function tool of the same name). */
function withTools(
  request: RunToolsRequest,
  chat: boolean,
  tools: Readonly<Record<string, ToolDefinition>>,
): RunToolsRequest {
  const names = new Set(Object.keys(tools));
  const own = Object.entries(tools).map(([name, tool]) => {
    const parameters = jsonSchemaOf(name, tool.parameters as ToolSchema);
    const fn: Fields = { name };
    if (tool.description !== undefined) fn.description = tool.description;
    fn.parameters = parameters;
    if (tool.strict !== undefined) fn.strict = tool.strict;
    return chat ? { type: 'function', function: fn } : { type: 'function', ...fn };
  });
  const given = Array.isArray(request.tools) ? (request.tools as Fields[]) : [];
  const kept = given.filter((tool) => {
    if (tool.type !== 'function') return true;
    const name = chat ? (tool.function as Fields | undefined)?.name : tool.name;
    return !(typeof name === 'string' && names.has(name));
  });
  return { ...request, tools: [...kept, ...own] } as RunToolsRequest;
}

/** A tool's result as the text the model reads: strings as they are, anything else as JSON. */
export function resultText(outcome: CallOutcome): string {
  if (outcome.kind === 'invalid') return outcome.message;
  if (outcome.kind === 'failed') return `Error: ${messageOf(outcome.error)}`;
  const value = outcome.value;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? '';
  } catch (error) {
    return `Error: the result could not be written as JSON (${messageOf(error)})`;
  }
}

/** The conversation after a step: its answer and the calls' results, in the request's protocol. */
function nextRequest(
  request: RunToolsRequest,
  chat: boolean,
  completion: ChatCompletion,
  calls: readonly ToolCall[],
  outcomes: readonly CallOutcome[],
): RunToolsRequest {
  const message = completion.choices.find((c) => c.index === 0)?.message;
  const content = message?.content ?? null;
  if (chat) {
    const messages: ChatMessage[] = [
      ...(request as ChatRequest).messages,
      { role: 'assistant', content, tool_calls: calls.map((call) => ({ ...call })) },
      ...calls.map((call, i): ChatMessage => ({
        role: 'tool',
        tool_call_id: call.id,
        content: resultText(outcomes[i]!),
      })),
    ];
    return { ...(request as ChatRequest), messages };
  }
  const given = (request as ResponsesRequest).input;
  const input: ResponseInputItem[] =
    typeof given === 'string' ? [{ role: 'user', content: given }] : [...(given ?? [])];
  if (content !== null) input.push({ role: 'assistant', content });
  for (const call of calls) {
    input.push(
      call.type === 'function'
        ? {
            type: 'function_call',
            call_id: call.id,
            name: call.function.name,
            arguments: call.function.arguments,
          }
        : {
            type: 'custom_tool_call',
            call_id: call.id,
            name: call.custom.name,
            input: call.custom.input,
          },
    );
  }
  calls.forEach((call, i) =>
    input.push({
      type: call.type === 'function' ? 'function_call_output' : 'custom_tool_call_output',
      call_id: call.id,
      output: resultText(outcomes[i]!),
    }),
  );
  return { ...(request as ResponsesRequest), input };
}

/** Every step's usage summed, field by field (a field no step reported is `null`). */
export function totalUsage(usages: readonly (Usage | null)[]): Usage | null {
  const reported = usages.filter((u): u is Usage => u !== null);
  if (reported.length === 0) return null;
  const sum = (key: 'prompt_tokens' | 'completion_tokens' | 'total_tokens') => {
    let any = false;
    let total = 0;
    for (const usage of reported) {
      const value = usage[key];
      if (typeof value === 'number' && Number.isFinite(value)) {
        any = true;
        total += value;
      }
    }
    return any ? total : null;
  };
  return {
    prompt_tokens: sum('prompt_tokens'),
    completion_tokens: sum('completion_tokens'),
    total_tokens: sum('total_tokens'),
  };
}

/** A step's failure, with its step: `step` set, and the message prefixed with it. */
function stepError(error: unknown, step: number): unknown {
  if (RxChatError.isInstance(error)) {
    Object.defineProperty(error, 'message', {
      value: `runTools step ${step}: ${error.message}`,
      configurable: true,
      writable: true,
    });
    Object.defineProperty(error, 'step', { value: step, enumerable: true, configurable: true });
  }
  return error;
}

/**
 * The multi-step tool loop as one cold Observable: stream a step, run the tools its answer
 * calls, send their results, ask again, until an answer calls none or `maxSteps` is reached.
 * See `ChatClient.runTools`.
 */
export function runTools<T extends Record<string, ToolSchema>>(
  client: ToolLoopClient,
  request: RunToolsRequest,
  options: RunToolsOptions<T>,
  clientSignal?: AbortSignal,
): Observable<RunToolsEvent> {
  const loop = defer((): Observable<RunToolsEvent> => {
    const settings = settingsOf(options as RunToolsOptions);
    const { tools, maxSteps, concurrency, maxInvalidCalls, toolErrors, requestOptions } = settings;
    if (!isRecord(request)) throw invalidOption('the request must be an object');
    const chat = Array.isArray(request.messages);
    if (!chat && request.input === undefined) {
      throw invalidOption('the request needs `messages` (chat) or `input` (Responses)');
    }
    const usages: (Usage | null)[] = [];
    let invalidCalls = 0;

    /** Runs a step's calls; emits their results in call order and hands the outcomes on. */
    const runCalls = (
      calls: readonly ToolCall[],
      step: number,
      done: (outcomes: CallOutcome[]) => void,
    ) =>
      new Observable<RunToolsEvent>((subscriber) => {
        const outcomes: (CallOutcome | undefined)[] = calls.map(() => undefined);
        let emitted = 0;
        return from(calls.map((call, i) => [call, i] as const))
          .pipe(
            mergeMap(
              ([call, i]) => executeCall(call, step, tools).pipe(map((o) => [i, o] as const)),
              concurrency,
            ),
          )
          .subscribe({
            next([i, outcome]) {
              if (outcome.kind === 'invalid' && ++invalidCalls > maxInvalidCalls) {
                return subscriber.error(
                  new RxChatError(
                    'validation_error',
                    `runTools step ${step}: more than ${maxInvalidCalls} invalid tool calls; the last: ${outcome.message}`,
                    { retryable: false },
                  ),
                );
              }
              if (outcome.kind === 'failed' && toolErrors === 'throw') {
                return subscriber.error(outcome.error);
              }
              outcomes[i] = outcome;
              for (; emitted < calls.length && outcomes[emitted]; emitted++) {
                const call = calls[emitted]!;
                const got = outcomes[emitted]!;
                const base = {
                  type: 'tool_result',
                  step,
                  id: call.id,
                  name: callName(call),
                } as const;
                subscriber.next(
                  got.kind === 'result'
                    ? { ...base, result: got.value }
                    : {
                        ...base,
                        error: got.kind === 'invalid' ? got.message : messageOf(got.error),
                      },
                );
              }
            },
            error: (error: unknown) => subscriber.error(error),
            complete: () => {
              done(outcomes as CallOutcome[]);
              subscriber.complete();
            },
          });
      });

    const runStep = (step: number, stepRequest: RunToolsRequest): Observable<RunToolsEvent> =>
      defer(() => {
        const accumulator = new CompletionAccumulator();
        let stepUsage: Usage | null = null;
        const source = chat
          ? client.stream(stepRequest as ChatRequest, requestOptions)
          : client.responses(stepRequest as ResponsesRequest, requestOptions);
        const streamed = new Observable<RunToolsEvent>((subscriber) =>
          source.subscribe({
            next(event) {
              if (event.type === 'usage') {
                accumulator.setUsage(event.usage);
                stepUsage = event.usage;
                return;
              }
              // Literal shapes, one per kind (a spread of mixed kinds is several times slower).
              if (event.type === 'chunk') {
                accumulator.add(event.chunk);
                subscriber.next({ type: 'chunk', chunk: event.chunk, step });
              } else if (event.type === 'responses') {
                accumulator.addResponseEvent(event.event);
                subscriber.next({ type: 'responses', event: event.event, step });
              } else {
                subscriber.next({ ...event, step });
              }
            },
            error: (error: unknown) =>
              subscriber.error(stepError(attachPartial(error, accumulator), step)),
            complete: () => subscriber.complete(),
          }),
        );
        const after = defer(() => {
          const completion = accumulator.snapshot();
          usages.push(stepUsage);
          const choice = completion.choices.find((c) => c.index === 0);
          const calls = choice?.message.tool_calls ?? [];
          const finish: RunToolsStepFinish = {
            type: 'step_finish',
            step,
            usage: stepUsage,
            finishReason: choice?.finish_reason ?? null,
            completion,
          };
          if (calls.length === 0 || step >= maxSteps) return of(finish);
          let outcomes: CallOutcome[] = [];
          return concat(
            of(finish),
            runCalls(calls, step, (all) => (outcomes = all)),
            defer(() =>
              runStep(step + 1, nextRequest(stepRequest, chat, completion, calls, outcomes)),
            ),
          );
        });
        return concat(streamed, after);
      });

    const first = withTools(request as RunToolsRequest, chat, tools);
    return concat(
      runStep(1, first),
      defer(() => of<RunToolsEvent>({ type: 'usage', usage: totalUsage(usages) })),
    );
  });

  const own = isRecord(options) ? (options as ToolStepRequestOptions).signal : undefined;
  const signals = [own, clientSignal].filter((s): s is AbortSignal => s !== undefined);
  if (signals.length === 0) return loop;
  // The caller's signal (this loop's, or the client's) also stops the tools: the request in
  // flight fails by itself (the client's own listener comes first), a running tool is aborted
  // with the loop.
  return new Observable<RunToolsEvent>((subscriber) => {
    const subscription = loop.subscribe(subscriber);
    for (const signal of signals) {
      const onAbort = () =>
        subscriber.error(
          new RxChatError('aborted', 'runTools: aborted by the caller', {
            cause: signal.reason,
            retryable: false,
          }),
        );
      if (signal.aborted) {
        onAbort();
        break;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      subscription.add(() => signal.removeEventListener('abort', onAbort));
    }
    return subscription;
  });
}
