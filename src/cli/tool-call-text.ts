import type { ToolCall } from '../node';

/** A tool call's name and what the model wrote for it: a function's arguments or a custom input. */
export function toolCallText(call: ToolCall): { name: string; input: string } {
  return call.type === 'function'
    ? { name: call.function.name, input: call.function.arguments }
    : { name: call.custom.name, input: call.custom.input };
}
