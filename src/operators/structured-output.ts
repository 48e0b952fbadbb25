import { Observable, type OperatorFunction } from 'rxjs';
import { CompletionAccumulator } from '../chunks/accumulator';
import { contentOf } from '../chunks/delta-text';
import type { ChatStreamEvent } from '../chunks/types';
import { RxChatError } from '../errors';
import { PartialJsonParser } from '../json/partial-json-parser';
import { ResponseTexts } from '../responses/response-texts';
import { FencedJson } from '../structured/code-fence';
import {
  checkSchema,
  schemaError,
  type SchemaOutput,
  type SchemaResult,
  type StandardSchema,
} from '../structured/standard-schema';
import { attachPartial } from './accumulate-internals';

/** A value still being written: objects with some keys, arrays with some elements. */
export type DeepPartial<T> = T extends (infer E)[]
  ? DeepPartial<E>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** Options of {@link structuredOutput}. */
export interface StructuredOutputOptions {
  /** Which choice to follow when the request asked for `n > 1`. Default 0. */
  choice?: number;
  /** The deepest nesting allowed in the answer's JSON; default 64 (`validation_error` beyond). */
  maxDepth?: number;
  /** The most JSON text accepted, in characters; default 16 MiB (`validation_error` beyond). */
  maxLength?: number;
}

/**
 * The answer as a typed object: while it streams, the JSON parsed so far after each delta that
 * changed it (as {@link partialJson} snapshots it: open strings, arrays and objects shown closed,
 * numbers only once complete, unchanged parts shared between snapshots), then, as the last
 * emission, the whole answer validated by `schema` (zod 4, or any Standard Schema): the schema's
 * output, defaults and transforms applied. Works on chat and Responses streams alike; pair it
 * with {@link responseFormat} / {@link textFormat} in the request.
 *
 * - A Markdown code fence around the JSON (```` ```json ```` … ```` ``` ````) is tolerated;
 *   any other text around it fails with `parse_error`, as does JSON that is not valid.
 * - An answer that does not match the schema fails with `validation_error`, the schema's issues
 *   in `error.issues`.
 * - An answer that stopped at `finish_reason: 'length'` fails with `truncated`.
 * - Errors carry the completion so far as `partial`, as {@link finalCompletion}'s do.
 *
 * @example
 * ```ts
 * const Recipe = z.object({ title: z.string(), steps: z.array(z.string()) });
 * client
 *   .stream({ model, messages, response_format: responseFormat(Recipe, { name: 'recipe' }) })
 *   .pipe(structuredOutput(Recipe))
 *   .subscribe((recipe) => render(recipe)); // partial recipes, then the validated one
 * ```
 */
export function structuredOutput<S extends StandardSchema>(
  schema: S,
  options: StructuredOutputOptions = {},
): OperatorFunction<ChatStreamEvent, DeepPartial<SchemaOutput<S>>> {
  checkSchema(schema, 'structuredOutput');
  const wanted = options.choice ?? 0;
  return (source) =>
    new Observable<DeepPartial<SchemaOutput<S>>>((subscriber) => {
      const accumulator = new CompletionAccumulator();
      const parser = new PartialJsonParser({
        maxDepth: options.maxDepth,
        maxLength: options.maxLength,
      });
      const fence = new FencedJson((text) => {
        if (parser.feed(text)) subscriber.next(parser.value as DeepPartial<SchemaOutput<S>>);
      });
      let texts: ResponseTexts | undefined;
      let ended = false;
      const fail = (error: unknown) => {
        if (ended) return;
        ended = true;
        subscriber.error(attachPartial(error, accumulator));
      };
      const finish = () => {
        const reason = accumulator.choice(wanted)?.finish;
        if (reason === 'length') {
          return fail(
            new RxChatError(
              'truncated',
              'The answer stopped at its token limit (finish_reason length) before its JSON was done',
              { retryable: false },
            ),
          );
        }
        let value: unknown;
        try {
          fence.end();
          parser.end();
          value = parser.value;
        } catch (error) {
          return fail(error);
        }
        let result: SchemaResult<unknown> | Promise<SchemaResult<unknown>>;
        try {
          result = schema['~standard'].validate(value);
        } catch (error) {
          return fail(error);
        }
        const settle = (outcome: SchemaResult<unknown>) => {
          if (ended || subscriber.closed) return;
          if (outcome.issues) return fail(schemaError('The answer', outcome.issues));
          ended = true;
          subscriber.next(outcome.value as DeepPartial<SchemaOutput<S>>);
          subscriber.complete();
        };
        if (result instanceof Promise) result.then(settle, fail);
        else settle(result);
      };
      return source.subscribe({
        next(event) {
          if (ended) return;
          let text = '';
          if (event.type === 'chunk') {
            accumulator.add(event.chunk);
            const choices = event.chunk.choices;
            if (choices) {
              for (const choice of choices) {
                if ((choice.index ?? 0) === wanted && choice.delta) text += contentOf(choice.delta);
              }
            }
          } else if (event.type === 'responses') {
            accumulator.addResponseEvent(event.event);
            if (wanted === 0) {
              texts ??= new ResponseTexts();
              texts.read(event.event);
              text = texts.content;
            }
          } else if (event.type === 'usage') {
            accumulator.setUsage(event.usage);
          }
          if (!text) return;
          try {
            fence.push(text);
          } catch (error) {
            // Failing the subscriber also unsubscribes from the source (the request stops).
            fail(error);
          }
        },
        error: fail,
        complete: finish,
      });
    });
}
