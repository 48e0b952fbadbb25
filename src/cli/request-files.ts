import { readFile } from 'node:fs/promises';
import type { ChatRequest, ChatTool } from '../node';
import { responseFormat } from '../structured/formats';
import { UsageError } from './usage-error';

/*
 * `--json-schema FILE`, `--schema-name NAME`, `--tools FILE` and `--tool-choice`: the files read
 * and checked as part of the command line, so a bad one is a usage error before any request.
 */

/** A name OpenAI takes for a schema or a function: 1-64 letters, digits, `_` or `-`. */
const NAME = /^[\w-]{1,64}$/;

/** The JSON in `path`, or a usage error saying why it could not be read or parsed. */
async function readJson(flag: string, path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? 'error');
    throw new UsageError(`${flag}: cannot read ${path} (${why})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${flag}: ${path} is not JSON (${(error as Error).message})`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const kindOf = (value: unknown) =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;

/**
 * `--json-schema FILE` as chat's `response_format`: `{ type: 'json_schema', json_schema: { name,
 * schema, strict } }`, strict when the schema allows it (every object lists all its properties
 * as required and `additionalProperties: false`), as `responseFormat()` decides for zod.
 */
export async function jsonSchemaFormat(
  path: string,
  name: string | undefined,
): Promise<NonNullable<ChatRequest['response_format']>> {
  if (name !== undefined && !NAME.test(name)) {
    throw new UsageError('--schema-name must be 1-64 letters, digits, _ or -');
  }
  const schema = await readJson('--json-schema', path);
  if (!isObject(schema)) {
    throw new UsageError(
      `--json-schema: ${path} must hold a JSON Schema object, not ${kindOf(schema)}`,
    );
  }
  return { ...responseFormat({ toJSONSchema: () => schema }, { name: name ?? 'answer' }) };
}

/**
 * `--tools FILE`: an array of chat tool definitions (`{type: 'function', function: {name,
 * description?, parameters?, strict?}}`) or of plain `{name, description?, parameters?,
 * strict?}`, checked and given in chat's form.
 */
export async function readTools(path: string): Promise<ChatTool[]> {
  const value = await readJson('--tools', path);
  if (!Array.isArray(value) || value.length === 0) {
    throw new UsageError(
      `--tools: ${path} must hold a non-empty array of tools, not ${Array.isArray(value) ? 'an empty one' : kindOf(value)}`,
    );
  }
  const names = new Set<string>();
  return value.map((item: unknown, i) => {
    const where = `--tools: ${path}[${i}]`;
    if (!isObject(item)) throw new UsageError(`${where} must be an object, not ${kindOf(item)}`);
    let fn: unknown = item;
    if (item.type !== undefined) {
      if (item.type !== 'function') {
        throw new UsageError(
          `${where}: only function tools are supported, not type ${JSON.stringify(item.type)}`,
        );
      }
      fn = item.function;
      if (!isObject(fn)) throw new UsageError(`${where}.function must be an object`);
    }
    const tool = functionOf(fn as Record<string, unknown>, where);
    if (names.has(tool.name)) throw new UsageError(`${where}: the name ${tool.name} is used twice`);
    names.add(tool.name);
    return { type: 'function', function: tool };
  });
}

/** A function definition, its fields checked. */
function functionOf(fn: Record<string, unknown>, where: string): NonNullable<ChatTool['function']> {
  for (const key of Object.keys(fn)) {
    if (!['name', 'description', 'parameters', 'strict'].includes(key)) {
      throw new UsageError(
        `${where}: unknown field ${JSON.stringify(key)} (name, description, parameters, strict)`,
      );
    }
  }
  const { name, description, parameters, strict } = fn;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new UsageError(`${where} needs a name of 1-64 letters, digits, _ or -`);
  }
  if (description !== undefined && typeof description !== 'string') {
    throw new UsageError(`${where}: description must be a string`);
  }
  if (parameters !== undefined && !isObject(parameters)) {
    throw new UsageError(`${where}: parameters must be a JSON Schema object`);
  }
  if (strict !== undefined && typeof strict !== 'boolean') {
    throw new UsageError(`${where}: strict must be true or false`);
  }
  return {
    name,
    ...(description === undefined ? {} : { description }),
    ...(parameters === undefined ? {} : { parameters }),
    ...(strict === undefined ? {} : { strict }),
  };
}

/** `--tool-choice auto|required|none|NAME`, NAME one of the tools'. */
export function toolChoiceOf(
  choice: string,
  tools: readonly ChatTool[],
): NonNullable<ChatRequest['tool_choice']> {
  if (choice === 'auto' || choice === 'required' || choice === 'none') return choice;
  if (!tools.some((tool) => tool.function?.name === choice)) {
    throw new UsageError(
      `--tool-choice must be auto, required, none or the name of a tool in --tools, not ${JSON.stringify(choice)}`,
    );
  }
  return { type: 'function', function: { name: choice } };
}
