// Shared fixtures of the tool loop's marble tests: step bodies as marbles, and a compact view of
// the loop's events.
import type { ChatCompletionChunk, RunToolsEvent, Usage } from '../../src';
import {
  DONE,
  makeChunk,
  makeUsage,
  makeUsageChunk,
  sseValues,
  textChunks,
  toolCallChunks,
  type MockResponse,
} from '../../src/testing';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** A chat step's response: one chunk a frame, the usage chunk, `[DONE]` and the end. */
export function chatStep(
  chunks: readonly ChatCompletionChunk[],
  usage: Usage | null = makeUsage(),
): MockResponse {
  const all = usage ? [...chunks, makeUsageChunk(usage)] : [...chunks];
  const map: Record<string, ChatCompletionChunk | string> = {};
  all.forEach((chunk, i) => (map[LETTERS[i]!] = chunk));
  map.z = DONE;
  return { body: `${LETTERS.slice(0, all.length)}(z|)`, values: sseValues(map) };
}

/** The chunks of an answer that calls `calls` (in one message, finish `tool_calls`). */
export function callChunks(
  calls: readonly { id: string; name: string; args: string }[],
): ChatCompletionChunk[] {
  const chunks = calls.flatMap((call, callIndex) =>
    toolCallChunks(
      { id: call.id, name: call.name, argumentPieces: [call.args] },
      { callIndex, finish: false },
    ),
  );
  return [makeChunk({ role: 'assistant' }), ...chunks, makeChunk({ finishReason: 'tool_calls' })];
}

/** The chunks of a text answer. */
export const answerChunks = (pieces: readonly string[]) => textChunks(pieces, { roleChunk: false });

/**
 * One letter per event: R response, c chunk, e responses event, F step_finish, T tool_result,
 * U usage.
 */
export function letterOf(event: RunToolsEvent): string {
  switch (event.type) {
    case 'response':
      return 'R';
    case 'chunk':
      return 'c';
    case 'responses':
      return 'e';
    case 'step_finish':
      return 'F';
    case 'tool_result':
      return 'T';
    case 'usage':
      return 'U';
  }
}

/**
 * Records when each event of a loop came, on the scheduler's virtual clock, as
 * `frame:letters` groups (`0:Rc 1:c … 8:FU|`), `#` for an error: compact where a marble would
 * need a group per frame.
 */
export class Timeline {
  private readonly frames = new Map<number, string>();
  constructor(private readonly now: () => number) {}

  private add(text: string) {
    const frame = this.now();
    this.frames.set(frame, (this.frames.get(frame) ?? '') + text);
  }

  /** An observer that records what it sees. */
  observer(events: RunToolsEvent[] = []) {
    return {
      next: (event: RunToolsEvent) => {
        events.push(event);
        this.add(letterOf(event));
      },
      error: () => this.add('#'),
      complete: () => this.add('|'),
    };
  }

  toString(): string {
    return [...this.frames].map(([frame, text]) => `${frame}:${text}`).join(' ');
  }
}
