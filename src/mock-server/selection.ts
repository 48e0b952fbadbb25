// One request's choices: the server's defaults, overridden by its `x-mock-*` headers.
import type { IncomingHttpHeaders } from 'node:http';
import { invalidRequest, type ApiErrorObject } from './api-errors';
import type { Defaults } from './defaults';
import { DIALECT_NAMES, isDialectName, type DialectName } from './dialect-names';
import { parseFaults, type Fault } from './faults';
import { header } from './http';
import { resolvePace, type PaceOptions } from './pacing';

/**
 * One request's choices, after the `x-mock-*` headers; `problem` when a header is invalid.
 *
 * @example
 * ```ts
 * const selection: Selection = selectionOf(req.headers, defaults);
 * if (selection.problem) return sendError(res, 400, selection.problem, requestId);
 * ```
 */
export interface Selection {
  dialect: DialectName;
  faults: Fault[];
  pace: PaceOptions;
  problem?: ApiErrorObject;
}

/** The 400 of an `x-mock-*` header naming no known value. */
const unknownValue = (name: string, value: string, known: string) =>
  invalidRequest(`Unknown ${name} "${value}": use ${known}`, name);

/**
 * The choices of a request: `x-mock-dialect`, `x-mock-fault` and `x-mock-pace` override the
 * server's dialect, faults and pace. An invalid header is reported as `problem` (a 400 naming the
 * header), not thrown, so that the request is still recorded and answered in order.
 *
 * @example
 * ```ts
 * selectionOf({ 'x-mock-dialect': 'groq' }, defaults).dialect; // 'groq'
 * ```
 */
export function selectionOf(headers: IncomingHttpHeaders, defaults: Defaults): Selection {
  const selection: Selection = { ...defaults };
  const dialect = header(headers, 'x-mock-dialect')?.trim();
  if (dialect !== undefined) {
    if (isDialectName(dialect)) selection.dialect = dialect;
    else selection.problem = unknownValue('x-mock-dialect', dialect, DIALECT_NAMES.join(', '));
  }
  const fault = header(headers, 'x-mock-fault');
  if (fault !== undefined) {
    try {
      selection.faults = parseFaults(fault);
    } catch (error) {
      selection.problem = invalidRequest((error as Error).message, 'x-mock-fault');
    }
  }
  const pace = header(headers, 'x-mock-pace')?.trim();
  if (pace !== undefined) {
    if (pace === 'none' || pace === 'realistic') selection.pace = resolvePace(pace);
    else if (pace.startsWith('{')) {
      // Explicit PaceOptions as JSON, e.g. {"tokensPerSecond":5}: a slow answer on demand.
      try {
        selection.pace = resolvePace(JSON.parse(pace) as PaceOptions);
      } catch (error) {
        selection.problem = invalidRequest(
          error instanceof RangeError ? error.message : 'x-mock-pace is not valid JSON',
          'x-mock-pace',
        );
      }
    } else {
      selection.problem = unknownValue('x-mock-pace', pace, 'none, realistic or PaceOptions JSON');
    }
  }
  return selection;
}
