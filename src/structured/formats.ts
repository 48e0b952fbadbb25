/*
 * Turning a schema into the request fields that ask a model for JSON matching it. The JSON
 * Schema comes from the schema itself (`toJSONSchema()`, which zod 4 schemas have), so the core
 * imports no zod.
 */

/** A schema that can describe itself as JSON Schema: a zod 4 schema. */
export interface JsonSchemaSource {
  /** The JSON Schema of the schema (zod 4: `schema.toJSONSchema()`). */
  toJSONSchema(): unknown;
}

/** Options of {@link responseFormat} and {@link textFormat}. */
export interface JsonFormatOptions {
  /** The schema's name for the model (letters, digits, `_` and `-`). Default `'answer'`. */
  name?: string;
  /** What the answer is, for the model. */
  description?: string;
  /**
   * OpenAI's strict mode (the model can only write JSON that matches). Default: on when the
   * schema allows it: every object lists all its properties as required and allows no others
   * (zod: `.nullable()` rather than `.optional()`); off otherwise, since strict mode rejects it.
   */
  strict?: boolean;
}

/** The `json_schema` format of chat's `response_format`. */
export interface ChatJsonSchemaFormat {
  /** Always `'json_schema'`. */
  type: 'json_schema';
  /** The schema and its name. */
  json_schema: {
    /** The schema's name. */
    name: string;
    /** What the answer is, for the model. */
    description?: string;
    /** The JSON Schema. */
    schema: Record<string, unknown>;
    /** Whether the model must follow the schema exactly. */
    strict: boolean;
  };
  /** Other fields a provider takes, sent as given. */
  [key: string]: unknown;
}

/** The `json_schema` format of the Responses API's `text.format`. */
export interface ResponsesJsonSchemaFormat {
  /** Always `'json_schema'`. */
  type: 'json_schema';
  /** The schema's name. */
  name: string;
  /** What the answer is, for the model. */
  description?: string;
  /** The JSON Schema. */
  schema: Record<string, unknown>;
  /** Whether the model must follow the schema exactly. */
  strict: boolean;
  /** Other fields a provider takes, sent as given. */
  [key: string]: unknown;
}

/**
 * A chat request's `response_format` asking for JSON that matches `schema` (a zod 4 schema):
 * `{ type: 'json_schema', json_schema: { name, schema, strict } }`. Pair it with
 * {@link structuredOutput} on the answer.
 *
 * @example
 * ```ts
 * const Person = z.object({ name: z.string(), age: z.number() });
 * client.stream({ model, messages, response_format: responseFormat(Person, { name: 'person' }) })
 *   .pipe(structuredOutput(Person));
 * ```
 */
export function responseFormat(
  schema: JsonSchemaSource,
  options: JsonFormatOptions = {},
): ChatJsonSchemaFormat {
  const { name, description, json, strict } = formatParts(schema, options, 'responseFormat');
  return {
    type: 'json_schema',
    json_schema: {
      name,
      ...(description === undefined ? {} : { description }),
      schema: json,
      strict,
    },
  };
}

/**
 * A Responses request's `text.format` asking for JSON that matches `schema` (a zod 4 schema):
 * `{ type: 'json_schema', name, schema, strict }`.
 *
 * @example
 * ```ts
 * client.responses({ model, input, text: { format: textFormat(Person, { name: 'person' }) } })
 *   .pipe(structuredOutput(Person));
 * ```
 */
export function textFormat(
  schema: JsonSchemaSource,
  options: JsonFormatOptions = {},
): ResponsesJsonSchemaFormat {
  const { name, description, json, strict } = formatParts(schema, options, 'textFormat');
  return {
    type: 'json_schema',
    name,
    ...(description === undefined ? {} : { description }),
    schema: json,
    strict,
  };
}

function formatParts(schema: JsonSchemaSource, options: JsonFormatOptions, who: string) {
  if (typeof (schema as Partial<JsonSchemaSource> | null)?.toJSONSchema !== 'function') {
    throw new TypeError(`${who}: the schema must be a zod 4 schema (with toJSONSchema())`);
  }
  const json = schema.toJSONSchema();
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError(`${who}: toJSONSchema() did not give a JSON Schema object`);
  }
  // `$schema` names the draft; OpenAI's structured outputs do not take it.
  const { $schema: _draft, ...rest } = json as Record<string, unknown>;
  const name = options.name ?? 'answer';
  if (!/^[\w-]{1,64}$/.test(name)) {
    throw new TypeError(`${who}: name must be 1-64 letters, digits, _ or -, not "${name}"`);
  }
  return {
    name,
    description: options.description,
    json: rest,
    strict: options.strict ?? strictCompatible(rest),
  };
}

/**
 * Whether a JSON Schema meets OpenAI's strict mode: every object (at any depth) lists all its
 * properties as required and sets `additionalProperties: false`.
 */
function strictCompatible(schema: unknown, depth = 0): boolean {
  if (depth > 64 || typeof schema !== 'object' || schema === null) return true;
  if (Array.isArray(schema)) return schema.every((item) => strictCompatible(item, depth + 1));
  const node = schema as Record<string, unknown>;
  const properties = node.properties;
  if (typeof properties === 'object' && properties !== null) {
    const required = Array.isArray(node.required) ? node.required : [];
    if (node.additionalProperties !== false) return false;
    if (!Object.keys(properties).every((key) => required.includes(key))) return false;
  }
  return Object.values(node).every((value) => strictCompatible(value, depth + 1));
}
