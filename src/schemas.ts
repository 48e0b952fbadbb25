/**
 * rxchat/schemas: the zod schemas of the chunks (and Responses API events) rxchat reads, for those who want to validate
 * with zod themselves (a chunk kept from a stream, a recorded fixture) or build on them. The
 * core (`rxchat`) validates by hand and carries no zod, so a browser bundle that does not import
 * this entry has none; the types `ChatCompletionChunk`, `Usage`, … that `rxchat` exports are
 * what `z.infer` gives for these schemas.
 *
 * @example
 * ```ts
 * import { chatCompletionChunkSchema } from 'rxchat/schemas';
 *
 * const result = chatCompletionChunkSchema.safeParse(JSON.parse(line));
 * if (!result.success) console.warn(result.error.issues);
 * ```
 *
 * @module rxchat/schemas
 */

export {
  chatCompletionChunkSchema,
  chunkChoiceSchema,
  contentPartSchema,
  deltaSchema,
  logprobsSchema,
  toolCallDeltaSchema,
  usageSchema,
} from './chunks/schema';

export {
  responseContentPartSchema,
  responseObjectSchema,
  responseOutputItemSchema,
  responseStreamEventSchema,
  responseUsageSchema,
} from './responses/schema';
