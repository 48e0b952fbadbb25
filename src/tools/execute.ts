import {
  catchError,
  defer,
  from,
  isObservable,
  last,
  map,
  Observable,
  of,
  switchMap,
  type ObservableInput,
} from 'rxjs';
import type { ToolCall } from '../chunks/types';
import { checkedOf, type Checked } from './schema';
import type { ToolDefinition, ToolSchema } from './types';
import type { SchemaResult } from '../structured/standard-schema';

/** How one call ended: its result, an error to tell the model, or an invalid call. */
export type CallOutcome =
  | { kind: 'result'; value: unknown }
  | { kind: 'failed'; error: unknown }
  | { kind: 'invalid'; message: string };

const NO_VALUE = Symbol('no value');

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') &&
  v !== null &&
  typeof (v as { then?: unknown }).then === 'function';

/** A value, a Promise or an Observable as an Observable (synchronous for a plain value). */
function observe<T>(value: T | PromiseLike<T> | Observable<T>): Observable<T> {
  if (isObservable(value)) return value;
  if (isThenable(value)) return from(value as ObservableInput<T>);
  return of(value);
}

/** The call's name and arguments text, whichever kind it is. */
export const callName = (call: ToolCall) =>
  call.type === 'function' ? call.function.name : call.custom.name;

/** Checks a call against the tools: a known function tool, JSON arguments its schema accepts. */
function checkCall(
  call: ToolCall,
  tools: Readonly<Record<string, ToolDefinition>>,
): Observable<Checked & { tool?: ToolDefinition }> {
  const name = callName(call);
  const tool = Object.prototype.hasOwnProperty.call(tools, name) ? tools[name] : undefined;
  if (!tool || call.type !== 'function') {
    const known = Object.keys(tools).join(', ');
    const listed = known ? `The tools are: ${known}.` : 'There are no tools.';
    return of({ ok: false, message: `Unknown tool "${name}". ${listed}` });
  }
  let args: unknown;
  const text = call.function.arguments.trim();
  try {
    // No arguments at all (some servers send '' for a tool without parameters): an empty object.
    args = text === '' ? {} : JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return of({
      ok: false,
      message: `Invalid arguments for tool "${name}": not JSON (${reason})`,
    });
  }
  const schema: ToolSchema = tool.parameters;
  return defer(() => observe<SchemaResult<unknown>>(schema['~standard'].validate(args))).pipe(
    map((result) => ({ ...checkedOf(name, result), tool })),
  );
}

/** A failure's message, as told to the model. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * Runs one call: validates it, then runs its tool with an AbortSignal that is aborted if the
 * subscription ends before the tool does. Never errors: every outcome is a value.
 */
export function executeCall(
  call: ToolCall,
  step: number,
  tools: Readonly<Record<string, ToolDefinition>>,
): Observable<CallOutcome> {
  return new Observable<CallOutcome>((subscriber) => {
    const controller = new AbortController();
    let settled = false;
    const subscription = checkCall(call, tools)
      .pipe(
        // A schema whose validate throws: the call is invalid.
        catchError((error: unknown) => of<Checked>({ ok: false, message: messageOf(error) })),
        switchMap((check): Observable<CallOutcome> => {
          if (!check.ok) return of({ kind: 'invalid', message: check.message });
          const tool = (check as { tool: ToolDefinition }).tool;
          const context = { signal: controller.signal, toolCallId: call.id, step };
          return defer(() => observe(tool.execute(check.value as never, context))).pipe(
            last(undefined, NO_VALUE as unknown),
            map((value): CallOutcome =>
              value === NO_VALUE
                ? {
                    kind: 'failed',
                    error: new Error(`The tool "${callName(call)}" gave no result`),
                  }
                : { kind: 'result', value },
            ),
            catchError((error: unknown) => of<CallOutcome>({ kind: 'failed', error })),
          );
        }),
      )
      .subscribe({
        next: (outcome) => subscriber.next(outcome),
        complete: () => {
          settled = true;
          subscriber.complete();
        },
      });
    return () => {
      subscription.unsubscribe();
      if (!settled) controller.abort();
    };
  });
}
