// The dialect-neutral events of an answer, in stream order: what every dialect writes, each in
// its own shape.
import type { PlannedAnswer, PlannedChoice, PlannedToolCall } from './answers';

/**
 * One event of an answer's stream, before any dialect has shaped it.
 *
 * @example
 * ```ts
 * const step: Step = { kind: 'content', choice, text: ' world', last: true };
 * ```
 */
export type Step =
  | { kind: 'role'; choice: PlannedChoice }
  | { kind: 'reasoning'; choice: PlannedChoice; text: string }
  | { kind: 'content'; choice: PlannedChoice; text: string; last: boolean }
  | { kind: 'tool-header'; choice: PlannedChoice; call: PlannedToolCall; position: number }
  | { kind: 'tool-arguments'; choice: PlannedChoice; text: string; position: number }
  | { kind: 'finish'; choice: PlannedChoice };

function stepsOf(choice: PlannedChoice, withReasoning: boolean): Step[] {
  const steps: Step[] = [{ kind: 'role', choice }];
  if (withReasoning) {
    for (const text of choice.reasoning) steps.push({ kind: 'reasoning', choice, text });
  }
  choice.content.forEach((text, i) =>
    steps.push({ kind: 'content', choice, text, last: i === choice.content.length - 1 }),
  );
  choice.toolCalls.forEach((call, position) => {
    steps.push({ kind: 'tool-header', choice, call, position });
    for (const text of call.fragments) {
      steps.push({ kind: 'tool-arguments', choice, text, position });
    }
  });
  steps.push({ kind: 'finish', choice });
  return steps;
}

/**
 * The steps of a whole answer. With n > 1, choices take turns, one step each; each has its own
 * role and finish step (C12).
 *
 * @example
 * ```ts
 * answerSteps(planAnswer({ ...request, n: 2 }), false).map((s) => s.choice.index); // [0, 1, 0, 1, ...]
 * ```
 */
export function answerSteps(answer: PlannedAnswer, withReasoning: boolean): Step[] {
  const lists = answer.choices.map((choice) => stepsOf(choice, withReasoning));
  const longest = Math.max(0, ...lists.map((list) => list.length));
  const steps: Step[] = [];
  for (let i = 0; i < longest; i++) {
    for (const list of lists) if (i < list.length) steps.push(list[i]!);
  }
  return steps;
}

/**
 * The position of the last finish step (the one a dialect may hang the usage on), or -1.
 *
 * @example
 * ```ts
 * const last = lastFinishOf(steps); // steps[last].kind === 'finish'
 * ```
 */
export function lastFinishOf(steps: readonly Step[]): number {
  let last = steps.length - 1;
  while (last >= 0 && steps[last]!.kind !== 'finish') last--;
  return last;
}
