/*
 * End to end over loopback: chunks per second of one long stream from a real node:http server,
 * read by (1) raw undici.request + eventsource-parser + JSON.parse (the floor), (2) rxchat's
 * client over undici and (3) over fetch, all validating nothing beyond what each does by
 * default. Also the time from unsubscribe until the server sees the socket close.
 * Run with `npm run bench:client`. Numbers are for comparison on one machine, not a test.
 */
import { createParser } from 'eventsource-parser';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { lastValueFrom, reduce } from 'rxjs';
import { request as undiciRequest } from 'undici';
import { contentDeltas, createChatClient, fetchTransport, undiciTransport } from './rxchat';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const words = [' The', ' quick', ' brown', ' fox', ' Ünïcödé', ' 世界', ' 👋'];
const events: string[] = [];
for (let i = 0; i < CHUNKS; i++) {
  const chunk = {
    id: 'chatcmpl-BENCH0123456789abcdef',
    object: 'chat.completion.chunk',
    created: 1763700000,
    model: 'gpt-4o-mini-2024-07-18',
    system_fingerprint: 'fp_0123456789',
    choices: [
      {
        index: 0,
        delta: { content: words[i % words.length] },
        logprobs: null,
        finish_reason: i === CHUNKS - 1 ? 'stop' : null,
      },
    ],
    usage: null,
  };
  events.push(`data: ${JSON.stringify(chunk)}\n\n`);
}
events.push('data: [DONE]\n\n');
const payload = Buffer.from(events.join(''));
const expectedLength = Array.from({ length: CHUNKS }, (_, i) => words[i % words.length]!).join(
  '',
).length;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url?.includes('endless')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(events[0]);
      return; // never ends: the client cancels
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // 16 KiB writes, like a busy server.
    for (let i = 0; i < payload.length; i += 16 * 1024)
      res.write(payload.subarray(i, i + 16 * 1024));
    res.end();
  });
});

async function floor(url: string): Promise<number> {
  const { body } = await undiciRequest(url, { method: 'POST', body: '{}' });
  let length = 0;
  const decoder = new TextDecoder();
  const parser = createParser({
    onEvent(event) {
      if (event.data === '[DONE]') return;
      const chunk = JSON.parse(event.data) as { choices: { delta: { content?: string } }[] };
      length += chunk.choices[0]?.delta.content?.length ?? 0;
    },
  });
  for await (const piece of body) parser.feed(decoder.decode(piece as Buffer, { stream: true }));
  return length;
}

function rxchat(baseURL: string, transport: 'undici' | 'fetch'): Promise<number> {
  const client = createChatClient({
    baseURL,
    transport: transport === 'undici' ? undiciTransport() : fetchTransport(),
  });
  return lastValueFrom(
    client.stream({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).pipe(
      contentDeltas(),
      reduce((n, text) => n + text.length, 0),
    ),
  );
}

async function closeLatency(baseURL: string, transport: 'undici' | 'fetch'): Promise<number> {
  const client = createChatClient({
    baseURL: `${baseURL}/endless`,
    transport: transport === 'undici' ? undiciTransport() : fetchTransport(),
  });
  const closed = new Promise<number>((resolve) =>
    server.once('request', (req) => req.socket.once('close', () => resolve(performance.now()))),
  );
  let unsubscribedAt = 0;
  await new Promise<void>((resolve) => {
    const subscription = client
      .stream({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .pipe(contentDeltas())
      .subscribe(() => {
        queueMicrotask(() => {
          unsubscribedAt = performance.now();
          subscription.unsubscribe();
          resolve();
        });
      });
  });
  return (await closed) - unsubscribedAt;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const contestants: [string, () => Promise<number>][] = [
    [
      'floor: undici.request + eventsource-parser + JSON.parse',
      () => floor(`${base}/chat/completions`),
    ],
    ['rxchat client, undici transport (validation on)', () => rxchat(base, 'undici')],
    ['rxchat client, fetch transport (validation on)', () => rxchat(base, 'fetch')],
  ];
  const rates = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (const [name, run] of contestants) {
      const start = performance.now();
      const length = await run();
      const ms = performance.now() - start;
      if (length !== expectedLength)
        throw new Error(`${name}: read ${length}, want ${expectedLength}`);
      if (round > 0) rates.set(name, [...(rates.get(name) ?? []), (CHUNKS / ms) * 1000]);
    }
  }
  const floorRate = median(rates.get(contestants[0]![0])!);
  console.log(`| path | chunks/s (median of ${ROUNDS}) | vs floor |`);
  console.log('| --- | --- | --- |');
  for (const [name] of contestants) {
    const rate = median(rates.get(name)!);
    console.log(
      `| ${name} | ${Math.round(rate).toLocaleString('en')} | ${(rate / floorRate).toFixed(2)} |`,
    );
  }
  for (const transport of ['undici', 'fetch'] as const) {
    const samples: number[] = [];
    for (let i = 0; i < 21; i++) samples.push(await closeLatency(base, transport));
    console.log(
      `unsubscribe → server sees close (${transport}): median ${median(samples).toFixed(2)} ms`,
    );
  }
  server.closeAllConnections();
  server.close();
}

void main();
