import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Observable } from 'rxjs';

/**
 * A cold Observable of a Node readable's pieces. The stream is created on subscribe and
 * destroyed on unsubscribe, so `take`, errors downstream or Ctrl-C release the file handle.
 */
export function fromReadable(open: () => Readable): Observable<Uint8Array> {
  return new Observable<Uint8Array>((subscriber) => {
    const stream = open();
    const onData = (piece: Buffer | string) =>
      subscriber.next(typeof piece === 'string' ? Buffer.from(piece) : piece);
    const onError = (error: Error) => subscriber.error(error);
    const onEnd = () => subscriber.complete();
    stream.on('data', onData);
    stream.once('error', onError);
    stream.once('end', onEnd);
    return () => {
      stream.off('data', onData);
      stream.off('error', onError);
      stream.off('end', onEnd);
      if (stream !== process.stdin) stream.destroy();
      else stream.pause();
    };
  });
}

/** A file (or standard input for `-`) as a cold byte stream, read in 64 KiB pieces. */
export function readBytes(file: string): Observable<Uint8Array> {
  return fromReadable(() =>
    file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 64 * 1024 }),
  );
}
