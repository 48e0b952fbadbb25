import { lastValueFrom, tap, toArray } from 'rxjs';
import { runServe } from '../../src/cli/serve';
import { UsageError } from '../../src/cli/usage-error';
import {
  mockAnswerText,
  startMockServer,
  type MockServer,
  type MockServerOptions,
} from '../../src/mock-server';
import { contentDeltas, fetchTransport, relayStream, RxChatError, usage } from '../../src/node';
import { rxchat } from '../helpers/cli';
import { settlesWithin } from '../helpers/loopback';
import { expectNothingLeftOpen } from '../helpers/leaks';

// `rxchat serve --relay`: the mock model and an rxchat/relay on one origin, so a page can start
// an answer, reload and resume it, and stop it, with no account.

expectNothingLeftOpen();

/** `rxchat serve …` in this process: its printed lines, its mock server, and how to stop it. */
async function serveInProcess(argv: string[]) {
  const lines: string[] = [];
  let server: MockServer | undefined;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const running = runServe(
    argv,
    async (options: MockServerOptions) => (server = await startMockServer(options)),
    (line) => lines.push(line),
    stopped,
  );
  while (lines.length < 2) {
    if (await settlesWithin(running, 10)) throw new Error(`serve ended early: ${lines.join()}`);
  }
  return {
    lines,
    model: server!,
    origin: new URL(server!.url).origin,
    async close() {
      stop();
      expect(await running).toBe(0);
    },
  };
}

async function startRun(origin: string, prompt: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${origin}/relay/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: prompt }] }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; events: string; stop: string };
}

describe('rxchat serve --relay', () => {
  it('prints both URLs; a started run streams the mock answer with usage to every reader', async () => {
    const served = await serveInProcess(['--relay', '--pace', 'none']);
    try {
      expect(served.lines).toEqual([served.model.url, `relay: ${served.origin}/relay`]);
      const run = await startRun(served.origin, 'Relay me');
      const url = `${served.origin}${run.events}`;
      const read = () => relayStream(url, { transport: fetchTransport() });
      const [text, counted] = await Promise.all([
        lastValueFrom(read().pipe(contentDeltas(), toArray())),
        lastValueFrom(read().pipe(usage())),
      ]);
      expect(text.join('')).toBe(mockAnswerText('Relay me'));
      expect(counted?.total_tokens).toBeGreaterThan(0);
      // One model request for the run, whatever the number of readers; model defaulted.
      const completions = served.model.requests.filter((r) => r.path === '/v1/chat/completions');
      expect(completions).toHaveLength(1);
      expect(completions[0]!.body).toMatchObject({ model: 'mock-1', stream: true });
    } finally {
      await served.close();
    }
  });

  it('forwards x-mock-* headers to the model; stop closes the model request from any reader', async () => {
    const served = await serveInProcess(['--relay', '--pace', 'none']);
    try {
      const run = await startRun(served.origin, 'Slowly', {
        'x-mock-pace': '{"tokensPerSecond":20,"jitter":0}',
      });
      const url = `${served.origin}${run.events}`;
      const reading = lastValueFrom(
        relayStream(url, { transport: fetchTransport() }).pipe(contentDeltas(), toArray()),
      ).catch((error: unknown) => error);
      while (served.model.requests.length === 0) await settlesWithin(reading, 10);
      const [upstream] = served.model.requests;
      expect(upstream!.headers['x-mock-pace']).toBe('{"tokensPerSecond":20,"jitter":0}');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const stop = await fetch(`${served.origin}${run.stop}`, { method: 'POST' });
      expect(await stop.json()).toEqual({ stopped: true });
      expect(await upstream!.closed).toEqual({ byClient: true });
      const error = await reading;
      expect(RxChatError.isInstance(error) && error.code).toBe('aborted');
    } finally {
      await served.close();
    }
  });

  it('ends unfinished runs as truncated when it stops', async () => {
    const served = await serveInProcess(['--relay', '--pace', 'none']);
    const run = await startRun(served.origin, 'Never finished', {
      'x-mock-pace': '{"tokensPerSecond":5,"jitter":0}',
    });
    let received = 0;
    const reading = lastValueFrom(
      relayStream(`${served.origin}${run.events}`, { transport: fetchTransport() }).pipe(
        tap(() => received++),
      ),
    ).catch((error: unknown) => error);
    // A reader that is connected (one that came after the close would get 503s, then give up).
    while (received === 0) await settlesWithin(reading, 10);
    await served.close();
    expect(await reading).toMatchObject({ code: 'truncated' });
  });

  it('checks --relay-redis before it starts anything', async () => {
    let started = false;
    await expect(
      runServe(
        ['--relay-redis', 'localhost:6379'],
        async () => {
          started = true;
          throw new Error('not reached');
        },
        () => undefined,
        Promise.resolve(),
      ),
    ).rejects.toThrow(UsageError);
    expect(started).toBe(false);
  });

  it('runs as a real process: prints the relay URL and serves runs until SIGTERM', async () => {
    const cli = rxchat(['serve', '--relay', '--pace', 'none']);
    while (!/relay: \S+\n/.test(cli.stdout())) {
      if (await settlesWithin(cli.exit, 20)) throw new Error(`exited: ${cli.stderr()}`);
    }
    const [api, relayLine] = cli.stdout().trim().split('\n');
    expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const origin = new URL(api!).origin;
    expect(relayLine).toBe(`relay: ${origin}/relay`);
    const run = await startRun(origin, 'From a process');
    const text = await lastValueFrom(
      relayStream(`${origin}${run.events}`, { transport: fetchTransport() }).pipe(
        contentDeltas(),
        toArray(),
      ),
    );
    expect(text.join('')).toBe(mockAnswerText('From a process'));
    cli.child.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
  });
});
