import { readFileSync } from 'node:fs';
import { from, lastValueFrom, toArray } from 'rxjs';
import {
  decodeSse,
  finalCompletion,
  parseChunks,
  toolCalls,
  type ChatStreamEvent,
} from '../../src';
import { corpusPresent, everyStream } from '../helpers/corpus';

/*
 * toolCalls() on every stream we have: the synthetic quirk fixtures (always) and the recorded
 * corpus (when present). Whatever the provider's shape (headers and fragments, whole calls,
 * several calls in one delta, interleaved fragments, missing or sparse indexes), every call it
 * emits must be exactly the call of the final completion at that position: a call emitted before
 * its arguments were whole would differ.
 */
const streams = everyStream();

describe('toolCalls() over recorded and synthetic streams', () => {
  if (!corpusPresent) it.todo('runs over the recorded corpus too when it is present');
  it.each(streams)('$name: emits the final completion’s calls, each whole', async ({ path }) => {
    let events: ChatStreamEvent[];
    try {
      events = await lastValueFrom(
        from([readFileSync(path)]).pipe(decodeSse(), parseChunks(), toArray()),
      );
    } catch {
      return; // a failing stream emits no half-finished call: the deltas tests cover that
    }
    const emitted = await lastValueFrom(from(events).pipe(toolCalls(), toArray()));
    const completion = await lastValueFrom(from(events).pipe(finalCompletion()));
    expect(emitted).toEqual(completion.choices[0]?.message.tool_calls ?? []);
  });
});
