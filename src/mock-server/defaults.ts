// The server's own choices, read once from its options: what every request gets unless its
// `x-mock-*` headers say otherwise.
import { DIALECT_NAMES, isDialectName, type DialectName } from './dialect-names';
import { parseFaults, type Fault } from './faults';
import { resolvePace, type PaceOptions } from './pacing';
import type { MockServerOptions } from './types';

/**
 * The server's options once checked and read.
 *
 * @example
 * ```ts
 * const defaults: Defaults = resolveDefaults({ dialect: 'groq', fault: 'error-after:2' });
 * ```
 */
export interface Defaults {
  dialect: DialectName;
  faults: Fault[];
  pace: PaceOptions;
  apiKey: string | undefined;
  models: string[];
}

/**
 * Checks and reads the options that requests inherit; throws a `RangeError` naming the one that
 * is invalid.
 *
 * @example
 * ```ts
 * resolveDefaults({}); // { dialect: 'openai', faults: [], pace: {}, apiKey: undefined, models: ['mock-1'] }
 * ```
 */
export function resolveDefaults(options: MockServerOptions): Defaults {
  const dialect = options.dialect ?? 'openai';
  if (!isDialectName(dialect)) {
    throw new RangeError(`Unknown dialect "${String(dialect)}": use ${DIALECT_NAMES.join(', ')}`);
  }
  const models = options.models ?? ['mock-1'];
  if (!Array.isArray(models) || !models.every((m) => typeof m === 'string' && m !== '')) {
    throw new RangeError('models must be an array of non-empty strings');
  }
  return {
    dialect,
    faults: parseFaults(options.fault),
    pace: resolvePace(options.pace ?? 'none'),
    apiKey: options.apiKey,
    models: [...models],
  };
}
