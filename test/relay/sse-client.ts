import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Relay } from '../../src/relay';

/** One SSE frame as a reader sees it (a comment is a frame with `comment` only). */
export interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Parses complete SSE frames (those ended by a blank line); the rest is returned unparsed. */
export function parseFrames(text: string): { frames: Frame[]; rest: string } {
  const frames: Frame[] = [];
  const blocks = text.split('\n\n');
  const rest = blocks.pop()!;
  for (const block of blocks) {
    const frame: Frame = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) frame.comment = line.slice(1).trim();
      else {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon) as 'id' | 'event' | 'data';
        frame[field] = line.slice(colon + 1).replace(/^ /, '');
      }
    }
    frames.push(frame);
  }
  return { frames, rest };
}

/** A reader over real HTTP: its status, headers, the frames so far, and its end. */
export interface SseReader {
  status: number;
  headers: IncomingHttpHeaders;
  frames: Frame[];
  /** The body when the response was not SSE (JSON errors). */
  body: string;
  /** Resolves when the response ended (or the connection was cut). */
  ended: Promise<void>;
  /** Resolves once `n` data frames (entries, end included) have arrived. */
  entries(n: number): Promise<void>;
  /** Disconnects. */
  close(): void;
}

/** Opens `GET url` and reads it as SSE. Resolves once the response head has arrived. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      let rest = '';
      const waiting: { n: number; resolve: () => void }[] = [];
      const reader: SseReader = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames: [],
        body: '',
        ended: new Promise<void>((done) => res.on('close', () => done())),
        entries: (n) =>
          new Promise<void>((ok) => {
            waiting.push({ n, resolve: ok });
            check();
          }),
        close: () => req.destroy(),
      };
      const dataFrames = () => reader.frames.filter((f) => f.data !== undefined).length;
      const check = () => {
        for (const w of [...waiting]) {
          if (dataFrames() >= w.n) {
            waiting.splice(waiting.indexOf(w), 1);
            w.resolve();
          }
        }
      };
      res.setEncoding('utf8');
      res.on('error', () => undefined);
      res.on('data', (chunk: string) => {
        if (reader.status !== 200) {
          reader.body += chunk;
          return;
        }
        const parsed = parseFrames(rest + chunk);
        rest = parsed.rest;
        reader.frames.push(...parsed.frames);
        check();
      });
      resolve(reader);
    });
    req.end();
  });
}

/** Sends a request and resolves with its status and body parsed as JSON. */
export function send(
  url: string,
  method: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(body) }),
      );
    });
    req.end();
  });
}

/** The relay's handler on a real loopback server, with its responses recorded. */
export interface Served {
  url: string;
  responses: ServerResponse[];
  close(): Promise<void>;
}

export async function serve(
  relay: Relay,
  fallback?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Served> {
  const responses: ServerResponse[] = [];
  const handler = relay.handler();
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    responses.push(res);
    handler(req, res, fallback && (() => fallback(req, res)));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    responses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
