import { RxChatError } from '../errors';
import type { ToolSchema } from './types';
import type { SchemaResult } from '../structured/standard-schema';

type Fields = Record<string, unknown>;

const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null;

/** JSON Schemas already made, by schema: zod's `toJSONSchema()` takes milliseconds. */
const made = new WeakMap<object, unknown>();

/**
 * The JSON Schema of a tool's parameters, for the request: `toJSONSchema()` (zod 4), else the
 * Standard JSON Schema interface (`~standard.jsonSchema.input()`). The top-level `$schema` is
 * left out (some servers refuse it). Throws `validation_error` when the schema offers neither.
 * Made once per schema object (schemas are immutable), then reused.
 */
export function jsonSchemaOf(name: string, schema: ToolSchema): unknown {
  if (made.has(schema)) return made.get(schema);
  const json = makeJsonSchema(name, schema);
  made.set(schema, json);
  return json;
}

function makeJsonSchema(name: string, schema: ToolSchema): unknown {
  const withMethods = schema as unknown as {
    toJSONSchema?: () => unknown;
    '~standard'?: { jsonSchema?: { input?: (options: { target: string }) => unknown } };
  };
  let json: unknown;
  if (typeof withMethods.toJSONSchema === 'function') {
    json = withMethods.toJSONSchema();
  } else if (typeof withMethods['~standard']?.jsonSchema?.input === 'function') {
    json = withMethods['~standard'].jsonSchema.input({ target: 'draft-2020-12' });
  } else {
    throw new RxChatError(
      'validation_error',
      `runTools: the parameters of tool "${name}" have no toJSONSchema() (a zod 4 schema has it)`,
    );
  }
  if (!isRecord(json)) return json;
  const { $schema: _dropped, ...rest } = json;
  return rest;
}

/** Whether a value is a Standard Schema rxchat can validate with. */
export function isToolSchema(value: unknown): value is ToolSchema {
  return (
    isRecord(value) &&
    isRecord(value['~standard']) &&
    typeof value['~standard'].validate === 'function'
  );
}

/** The validation's outcome: the value, or what is wrong, as one line for the model. */
export type Checked = { ok: true; value: unknown } | { ok: false; message: string };

/** Reads a Standard Schema result as a {@link Checked}. */
export function checkedOf(name: string, result: SchemaResult<unknown>): Checked {
  if (!result.issues) return { ok: true, value: result.value };
  const problems = result.issues.map((issue) => {
    const path = (issue.path ?? [])
      .map((segment) => String(isRecord(segment) ? segment.key : segment))
      .join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return {
    ok: false,
    message: `Invalid arguments for tool "${name}": ${problems.join('; ') || 'rejected by its schema'}`,
  };
}
