import { z } from 'zod';

/*
 * Lenient zod schemas of the Responses API events rxchat reads: the contract that the core's
 * hand-written check (./validate.ts) follows, held to it by a property test
 * (test/responses/validate.test.ts). Only `rxchat/schemas` exports them, so the core carries no
 * zod. Every object is loose (unknown fields kept), every field rxchat reads may be absent or
 * `null`, and `type` is any string (event types rxchat does not know pass).
 */

const optionalString = z.string().nullish();
const optionalNumber = z.number().nullish();

/** Validates a content part of an output item (`output_text`, `refusal`, `summary_text`, …). */
export const responseContentPartSchema = z.looseObject({
  /** The part's kind. */
  type: optionalString,
  /** The text of an `output_text`, `summary_text` or `reasoning_text` part. */
  text: optionalString,
  /** The text of a `refusal` part. */
  refusal: optionalString,
});

/** Validates an output item: a message, a function or custom tool call, reasoning, a hosted tool's. */
export const responseOutputItemSchema = z.looseObject({
  /** The item's kind. */
  type: optionalString,
  /** The item's id. */
  id: optionalString,
  /** `in_progress`, `completed`, `incomplete`. */
  status: optionalString,
  /** Tool calls: the id the tool's answer quotes. */
  call_id: optionalString,
  /** Tool calls: the tool's name. */
  name: optionalString,
  /** Function calls: the JSON arguments text. */
  arguments: optionalString,
  /** Custom tool calls: the free-form input. */
  input: optionalString,
  /** Messages: content parts; reasoning items: `reasoning_text` parts. */
  content: z.array(responseContentPartSchema).nullish(),
  /** Reasoning items: summary parts. */
  summary: z.array(responseContentPartSchema).nullish(),
});

/** Validates the usage of a response (on its terminal event). */
export const responseUsageSchema = z.looseObject({
  /** Tokens of the input. */
  input_tokens: optionalNumber,
  /** Tokens generated, reasoning included. */
  output_tokens: optionalNumber,
  /** Input plus output tokens. */
  total_tokens: optionalNumber,
  /** `cached_tokens`. */
  input_tokens_details: z
    .looseObject({
      /** Input tokens served from the prompt cache. */
      cached_tokens: optionalNumber,
    })
    .nullish(),
  /** `reasoning_tokens`. */
  output_tokens_details: z
    .looseObject({
      /** Output tokens spent on reasoning. */
      reasoning_tokens: optionalNumber,
    })
    .nullish(),
});

/** Validates the response object of lifecycle and terminal events. */
export const responseObjectSchema = z.looseObject({
  /** The response's id. */
  id: optionalString,
  /** When it was created, in Unix seconds. */
  created_at: optionalNumber,
  /** The model. */
  model: optionalString,
  /** Its status. */
  status: optionalString,
  /** The output items. */
  output: z.array(responseOutputItemSchema).nullish(),
  /** The usage (terminal events). */
  usage: responseUsageSchema.nullish(),
  /** Why it failed; `code` is left untyped (some servers send a number). */
  error: z
    .looseObject({
      /** The provider's message. */
      message: optionalString,
    })
    .nullish(),
  /** Why it stopped early. */
  incomplete_details: z
    .looseObject({
      /** `max_output_tokens`, `content_filter`, … */
      reason: optionalString,
    })
    .nullish(),
});

/** Validates one event of a Responses API stream, as `parseResponseEvents()` does. */
export const responseStreamEventSchema = z.looseObject({
  /** The event type: any string. */
  type: z.string(),
  /** The event's place in the stream. */
  sequence_number: optionalNumber,
  /** Which output item. */
  output_index: optionalNumber,
  /** Which content part. */
  content_index: optionalNumber,
  /** Which summary part. */
  summary_index: optionalNumber,
  /** The item's id. */
  item_id: optionalString,
  /** A delta's text. */
  delta: optionalString,
  /** A `.done` event's whole text. */
  text: optionalString,
  /** A `refusal.done` event's whole refusal. */
  refusal: optionalString,
  /** A `function_call_arguments.done` event's whole arguments. */
  arguments: optionalString,
  /** A `custom_tool_call_input.done` event's whole input. */
  input: optionalString,
  /** The tool's name, repeated by some servers. */
  name: optionalString,
  /** `error` events: the message (`code` is left untyped). */
  message: optionalString,
  /** `output_item.*` events: the item. */
  item: responseOutputItemSchema.nullish(),
  /** `content_part.*`, `reasoning_summary_part.*` events: the part. */
  part: responseContentPartSchema.nullish(),
  /** Lifecycle and terminal events: the response. */
  response: responseObjectSchema.nullish(),
});
