import { from, lastValueFrom, toArray } from 'rxjs';
import {
  decodeSse,
  finalCompletion,
  parseChunks,
  RxChatError,
  type ChatCompletion,
} from '../../src';

/** The outcome of running wire pieces through decodeSse → parseChunks → finalCompletion. */
export interface Outcome {
  ok: boolean;
  completion: ChatCompletion | null;
  error: RxChatError | null;
}

export async function runPieces(pieces: (string | Uint8Array)[]): Promise<Outcome> {
  try {
    const completion = await lastValueFrom(
      from(pieces).pipe(decodeSse(), parseChunks(), finalCompletion()),
    );
    return { ok: true, completion, error: null };
  } catch (error) {
    if (!RxChatError.isInstance(error)) throw error;
    return { ok: false, completion: error.partial ?? null, error };
  }
}

/**
 * Every event decodeSse + parseChunks emits for the pieces, and how the stream ended, as one
 * string: two runs agree exactly when these strings are equal.
 */
export async function fingerprint(pieces: (string | Uint8Array)[]): Promise<string> {
  const events: unknown[] = [];
  try {
    events.push(...(await lastValueFrom(from(pieces).pipe(decodeSse(), parseChunks(), toArray()))));
    events.push('complete');
  } catch (error) {
    events.push(
      RxChatError.isInstance(error) ? `error:${error.code}:${error.message}` : String(error),
    );
  }
  return JSON.stringify(events);
}

/** Cuts bytes at the given offsets (sorted, deduplicated, inside the buffer). */
export function cutAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.filter((o) => o > 0 && o < bytes.length))].sort(
    (a, b) => a - b,
  );
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** Offsets where a naive decoder goes wrong: inside multi-byte characters, between CR and LF. */
export function trickyOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = [];
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) offsets.push(i);
    else if (b === 0x0a && bytes[i - 1] === 0x0d) offsets.push(i);
  }
  return offsets;
}
