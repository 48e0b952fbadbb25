import { z } from 'zod';

/*
 * The zod schema of a chat request: the contract that the hand-written `requestIssues` and
 * `isPlainRequest` in ./request.ts implement without zod (property tests in
 * test/client/request-building.test.ts pin them to it). Only tests import this file: the core
 * carries no zod.
 */

// Lenient like the chunk schemas: the fields rxchat or every provider relies on are typed,
// everything else passes through untouched.
const contentSchema = z.union([
  z.string(),
  z.array(z.looseObject({ type: z.string().min(1) })),
  z.null(),
]);

const messageSchema = z.looseObject({
  role: z.string().min(1, 'a message needs a role'),
  content: contentSchema.optional(),
  name: z.string().optional(),
  tool_calls: z
    .array(
      z.union([
        z.looseObject({
          id: z.string(),
          type: z.literal('custom'),
          custom: z.looseObject({ name: z.string(), input: z.string() }),
        }),
        z.looseObject({
          id: z.string(),
          type: z.string(),
          function: z.looseObject({ name: z.string(), arguments: z.string() }),
        }),
      ]),
    )
    .optional(),
  tool_call_id: z.string().optional(),
});

const finiteNumber = z.number().refine(Number.isFinite, 'must be a finite number');

/** Validates a chat request as `serialiseRequest` does, leniently (unknown fields kept). */
export const chatRequestSchema = z.looseObject({
  model: z.string().min(1, 'model must not be empty'),
  messages: z.array(messageSchema).min(1, 'messages must not be empty'),
  stream: z.literal(true, 'stream is always true here: use complete() for one answer').optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  tools: z
    .array(
      z.looseObject({
        type: z.string().min(1),
        function: z.looseObject({ name: z.string().min(1) }).optional(),
      }),
    )
    .optional(),
  n: z.int().min(1).optional(),
  max_tokens: z.int().min(1).optional(),
  max_completion_tokens: z.int().min(1).optional(),
  temperature: finiteNumber.optional(),
  top_p: finiteNumber.optional(),
  stop: z.union([z.string(), z.array(z.string()), z.null()]).optional(),
});
