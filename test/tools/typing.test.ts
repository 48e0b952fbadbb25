import { from, lastValueFrom, toArray, type Observable } from 'rxjs';
import { contentDeltas, usage, type ChatStreamEvent, type RunToolsEvent } from '../../src';
import { textEvent } from '../../src/testing';

// The loop's events are stream events: every operator takes them without a cast (this file
// would not compile otherwise), and skips the loop's own kinds.
describe('runTools events and the operators', () => {
  it('pipe into contentDeltas() and usage() as they are', async () => {
    const events: RunToolsEvent[] = [
      { ...(textEvent('Hel') as Exclude<ChatStreamEvent, { type: 'usage' }>), step: 1 },
      {
        type: 'step_finish',
        step: 1,
        usage: null,
        finishReason: 'tool_calls',
        completion: { id: '', model: '', created: 0, choices: [], usage: null },
      },
      { type: 'tool_result', step: 1, id: 'c', name: 'f', result: 1 },
      { ...(textEvent('lo') as Exclude<ChatStreamEvent, { type: 'usage' }>), step: 2 },
      { type: 'usage', usage: { total_tokens: 7 } },
    ];
    const loop: Observable<RunToolsEvent> = from(events);
    expect((await lastValueFrom(loop.pipe(contentDeltas(), toArray()))).join('')).toBe('Hello');
    expect(await lastValueFrom(loop.pipe(usage()))).toEqual({ total_tokens: 7 });
  });
});
