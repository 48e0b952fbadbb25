// A Response object rebuilt from the events sent so far: what `GET /v1/responses/{id}` answers
// while a background run is still generating, and what a cancel leaves.

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The item at `index`, created as a message when its `output_item.added` never came (the
 * `litellm-responses` dialect sends none).
 */
function itemAt(output: Fields[], event: Fields): Fields {
  const index = event.output_index as number;
  output[index] ??= {
    type: 'message',
    id: event.item_id,
    status: 'in_progress',
    role: 'assistant',
    content: [],
  };
  return output[index];
}

/** The part of a list at `index`, created empty (text parts only carry text here). */
function partAt(item: Fields, key: string, index: number, type: string): Fields {
  const parts = (Array.isArray(item[key]) ? item[key] : (item[key] = [])) as Fields[];
  parts[index] ??= { type, text: '' };
  return parts[index];
}

/** Applies one event to the response (its `output` mutated in place). */
function apply(response: Fields, event: Fields): Fields {
  if (isObject(event.response)) return structuredClone(event.response);
  const output = response.output as Fields[];
  switch (event.type) {
    case 'response.output_item.added':
    case 'response.output_item.done':
      output[event.output_index as number] = structuredClone(event.item as Fields);
      break;
    case 'response.content_part.added':
    case 'response.content_part.done':
      (itemAt(output, event).content as Fields[])[event.content_index as number] = structuredClone(
        event.part as Fields,
      );
      break;
    case 'response.output_text.delta': {
      const part = partAt(
        itemAt(output, event),
        'content',
        event.content_index as number,
        'output_text',
      );
      part.text = `${part.text as string}${event.delta as string}`;
      break;
    }
    case 'response.reasoning_summary_part.added':
      (itemAt(output, event).summary as Fields[])[event.summary_index as number] = structuredClone(
        event.part as Fields,
      );
      break;
    case 'response.reasoning_summary_text.delta': {
      const part = partAt(
        itemAt(output, event),
        'summary',
        event.summary_index as number,
        'summary_text',
      );
      part.text = `${part.text as string}${event.delta as string}`;
      break;
    }
    case 'response.function_call_arguments.delta': {
      const item = itemAt(output, event);
      item.arguments = `${(item.arguments as string | undefined) ?? ''}${event.delta as string}`;
      break;
    }
    default:
      break;
  }
  return response;
}

/**
 * The Response object after `events` (each with its `type`), starting from `initial`: the
 * response events replace it whole, the item events update its output.
 *
 * @example
 * ```ts
 * foldResponse(responseObject(plan, 'queued'), sentEvents).status; // 'in_progress'
 * ```
 */
export function foldResponse(initial: Fields, events: readonly Fields[]): Fields {
  let response = structuredClone(initial);
  for (const event of events) response = apply(response, event);
  // Items skipped by a dialect leave holes; a Response lists only what exists.
  response.output = (response.output as (Fields | undefined)[]).filter(Boolean);
  return response;
}
