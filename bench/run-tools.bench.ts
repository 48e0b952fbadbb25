/*
 * The tool loop's own cost (issue 16): `client.runTools()` with one tool over two steps (a tool
 * call, then the answer) against two bare `client.stream()` calls sending the same two request
 * bodies, both against the mock server on loopback with no pacing (`pace: 'none'`), so that what
 * differs is the loop: tagging events, folding each step, validating the arguments with zod,
 * running the tool, building the next request, summing usage.
 *
 * Each round runs LOOPS loops of each kind one after the other (sequential requests, keep-alive),
 * alternating which kind goes first; the median over ROUNDS rounds of the mean time per loop is
 * reported, and the per-step overhead is (runTools − bare) / 2. A third kind chains the two bare
 * streams with `concat` (the second request starts inside the first's completion, as the loop's
 * next step does), to tell the loop's own work from the cost of starting a request that way.
 *
 * Run with `npm run bench:tools` (env: BENCH_LOOPS, BENCH_ROUNDS, BENCH_WARMUP). Writes a markdown
 * table to stdout and JSON to bench/results/run-tools-<date>.json. Numbers are for comparison on
 * one machine, not a test.
 */
import { concat, defer, lastValueFrom, of } from 'rxjs';
import { z } from 'zod';
import { startMockServer } from '../src/mock-server';
import { makeUsage, sseWire, textChunks, toolCallChunks } from '../src/testing';
import { createChatClient, undiciTransport } from './rxchat';
import { median, writeResults } from './shared';

const LOOPS = Number(process.env.BENCH_LOOPS ?? 100);
const CPU_LOOPS = Number(process.env.BENCH_CPU_LOOPS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);

const prompt = 'What is the weather in Paris? Use get_weather';
const tools = {
  get_weather: {
    description: 'The weather in a city',
    parameters: z.object({ city: z.string() }),
    execute: ({ city }: { city: string }) => ({ city, sky: 'sunny' }),
  },
};

/**
 * The CPU part: the same loop against a transport that answers at once (no network, no server),
 * a tool call to a conversation without tool results and a text answer to one with them, so only
 * the client's and the loop's own work is timed. Returns µs per loop, median of ROUNDS.
 */
function cpuOnly(): { loopUs: number; bareUs: number } {
  const callWire = sseWire([
    ...toolCallChunks({
      id: 'call_1',
      name: 'get_weather',
      argumentPieces: ['{"city":', '"Paris"}'],
    }),
    ...textChunks([], { roleChunk: false, usage: makeUsage(20, 6) }),
  ]);
  const textWire = sseWire(
    textChunks(['It', ' is', ' sunny', ' in', ' Paris', '.'], { usage: makeUsage(40, 6) }),
  );
  const bytes = (text: string) => [new TextEncoder().encode(text)];
  const callBody = bytes(callWire);
  const textBody = bytes(textWire);
  const bodies: string[] = [];
  const client = createChatClient({
    baseURL: 'http://cpu/v1',
    transport: (sent) => {
      if (bodies.length < 2) bodies.push(sent.body ?? '');
      return of({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: of(...(sent.body?.includes('"role":"tool"') ? textBody : callBody)),
      });
    },
  });
  const request = { model: 'm', messages: [{ role: 'user', content: prompt }] };
  let events = 0;
  const count = () => void events++;
  const loop = () => client.runTools(request, { tools }).subscribe(count);
  // The bare streams send the loop's own two bodies.
  loop();
  const [first, second] = bodies.map((body) => {
    const { stream: _s, stream_options: _o, ...rest } = JSON.parse(body) as Record<string, unknown>;
    return rest as unknown as Parameters<typeof client.stream>[0];
  });
  const bare = () => {
    client.stream(first!).subscribe(count);
    client.stream(second!).subscribe(count);
  };
  const time = (run: () => void) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CPU_LOOPS; i++) run();
    return Number(process.hrtime.bigint() - start) / 1e3 / CPU_LOOPS;
  };
  for (let i = 0; i < WARMUP + 1; i++) {
    time(loop);
    time(bare);
  }
  const loops: number[] = [];
  const bares: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    loops.push(time(loop));
    bares.push(time(bare));
  }
  if (events === 0) throw new Error('bench: the CPU part read nothing');
  return { loopUs: median(loops), bareUs: median(bares) };
}

async function main() {
  const server = await startMockServer({ pace: 'none' });
  try {
    const client = createChatClient({
      baseURL: server.url,
      transport: undiciTransport(),
      retry: false,
    });
    const request = { model: 'mock-1', messages: [{ role: 'user', content: prompt }] };
    const loop = () => lastValueFrom(client.runTools(request, { tools }));

    // The two bodies the loop sends, replayed by the bare streams.
    await loop();
    const sent = server.requests.slice(-2).map((r) => {
      const { stream: _s, stream_options: _o, ...body } = r.body as Record<string, unknown>;
      return body as unknown as Parameters<typeof client.stream>[0];
    });
    if (sent.length !== 2) throw new Error('bench: expected the loop to send two requests');
    const bare = async () => {
      await lastValueFrom(client.stream(sent[0]!));
      await lastValueFrom(client.stream(sent[1]!));
    };
    // The same two streams chained with concat: the second request starts inside the first's
    // completion, as the loop's next step does (no promise between them).
    const chained = () =>
      lastValueFrom(
        concat(
          client.stream(sent[0]!),
          defer(() => client.stream(sent[1]!)),
        ),
      );
    // Correctness gate: the loop ends with the text answer, as the bare second request does.
    const end = await lastValueFrom(client.runTools(request, { tools }));
    if (end.type !== 'usage' || !end.usage?.total_tokens) {
      throw new Error('bench: the loop did not end with its total usage');
    }

    const time = async (run: () => Promise<unknown>) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < LOOPS; i++) await run();
      return Number(process.hrtime.bigint() - start) / 1e6 / LOOPS;
    };
    const kinds = [loop, bare, chained];
    for (let i = 0; i < WARMUP; i++) for (const run of kinds) await time(run);
    const samples: number[][] = kinds.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with another kind, so that no kind always runs first.
      for (let k = 0; k < kinds.length; k++) {
        const which = (round + k) % kinds.length;
        samples[which]!.push(await time(kinds[which]!));
      }
    }
    const [loops, bares, chains] = samples as [number[], number[], number[]];
    const loopMs = median(loops);
    const bareMs = median(bares);
    const chainedMs = median(chains);
    const perStep = (loopMs - bareMs) / 2;
    const round3 = (n: number) => Math.round(n * 1000) / 1000;
    const cpu = cpuOnly();
    process.stdout.write(
      [
        `runTools, 2 steps, against the mock server (pace none), ${LOOPS} loops × ${ROUNDS} rounds:`,
        '',
        '| measure                          | median ms |',
        '| -------------------------------- | --------: |',
        `| runTools (2 steps + 1 tool)      | ${loopMs.toFixed(3)} |`,
        `| 2 bare client.stream(), awaited  | ${bareMs.toFixed(3)} |`,
        `| 2 bare client.stream(), concat   | ${chainedMs.toFixed(3)} |`,
        `| overhead per step                | ${perStep.toFixed(3)} |`,
        `| overhead, % of the bare requests | ${((100 * (loopMs - bareMs)) / bareMs).toFixed(1)}% |`,
        '',
        `No network (a transport that answers at once), ${CPU_LOOPS} loops × ${ROUNDS} rounds, µs per loop:`,
        '',
        `| runTools (2 steps + 1 tool) | ${cpu.loopUs.toFixed(1)} |`,
        `| 2 bare client.stream()      | ${cpu.bareUs.toFixed(1)} |`,
        `| overhead per step           | ${((cpu.loopUs - cpu.bareUs) / 2).toFixed(1)} |`,
        '',
      ].join('\n'),
    );
    const file = await writeResults('run-tools', {
      loops: LOOPS,
      rounds: ROUNDS,
      warmup: WARMUP,
      runToolsMs: { median: round3(loopMs), all: loops.map(round3) },
      bareStreamsMs: { median: round3(bareMs), all: bares.map(round3) },
      chainedStreamsMs: { median: round3(chainedMs), all: chains.map(round3) },
      overheadPerStepMs: round3(perStep),
      cpuOnly: {
        loops: CPU_LOOPS,
        runToolsUs: round3(cpu.loopUs),
        bareStreamsUs: round3(cpu.bareUs),
        overheadPerStepUs: round3((cpu.loopUs - cpu.bareUs) / 2),
      },
    });
    process.stdout.write(`wrote ${file}\n`);
  } finally {
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
