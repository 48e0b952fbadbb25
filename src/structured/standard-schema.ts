import { RxChatError, type SchemaIssue } from '../errors';

/*
 * The Standard Schema interface (https://standardschema.dev), the part rxchat uses: zod 4 (and
 * Valibot, ArkType, …) schemas implement it, so rxchat validates with them without importing any
 * of them, and the core carries no zod.
 */

export type { SchemaIssue };

/** What `validate` returns: the value (the schema's output, defaults applied) or the issues. */
export type SchemaResult<Output> = SchemaSuccess<Output> | SchemaFailure;

/** A value the schema accepted. */
export interface SchemaSuccess<Output> {
  /** The schema's output: the value, with defaults and transforms applied. */
  readonly value: Output;
  /** Absent on success. */
  readonly issues?: undefined;
}

/** A value the schema rejected. */
export interface SchemaFailure {
  /** What is wrong with the value. */
  readonly issues: ReadonlyArray<SchemaIssue>;
}

/** The types a Standard Schema declares, for TypeScript only. */
export interface SchemaTypes<Output> {
  /** What the schema accepts. */
  readonly input: unknown;
  /** What the schema gives. */
  readonly output: Output;
}

/** A schema rxchat can validate with: zod 4's, or any other Standard Schema. */
export interface StandardSchema<Output = unknown> {
  /** The Standard Schema interface. */
  readonly '~standard': {
    /** Validates a value, synchronously or with a Promise. */
    readonly validate: (value: unknown) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
    /** The inferred types, for TypeScript only. */
    readonly types?: SchemaTypes<Output> | undefined;
  };
}

/** The output type of a schema (`z.infer` for zod). */
export type SchemaOutput<S> = S extends StandardSchema<infer Output> ? Output : unknown;

/** An issue's path as `a.b.0`, or `(root)`. */
export function issuePath(issue: SchemaIssue): string {
  const path = issue.path ?? [];
  if (path.length === 0) return '(root)';
  return path
    .map((segment) =>
      String(typeof segment === 'object' && segment !== null ? segment.key : segment),
    )
    .join('.');
}

/** The issues as one line: `path: message; …` (the first five). */
export function describeIssues(issues: ReadonlyArray<SchemaIssue>): string {
  const shown = issues.slice(0, 5).map((issue) => `${issuePath(issue)}: ${issue.message}`);
  return shown.join('; ') + (issues.length > 5 ? `; … (${issues.length} issues)` : '');
}

/** Checks that `schema` is a Standard Schema; a `TypeError` naming `who` otherwise. */
export function checkSchema(schema: unknown, who: string): asserts schema is StandardSchema {
  const standard = (schema as { '~standard'?: { validate?: unknown } } | null)?.['~standard'];
  if (typeof standard?.validate !== 'function') {
    throw new TypeError(
      `${who}: the schema must be a zod 4 schema or another Standard Schema (with ~standard.validate)`,
    );
  }
}

/** The `validation_error` for a value the schema rejected, its issues kept on the error. */
export function schemaError(what: string, issues: ReadonlyArray<SchemaIssue>): RxChatError {
  return new RxChatError(
    'validation_error',
    `${what} does not match the schema: ${describeIssues(issues)}`,
    {
      issues,
    },
  );
}
