import { runInThisContext } from 'node:vm';
import { delay } from './loopback';

/**
 * Registers hooks that fail the suite if any promise rejected unheard, or if more sockets,
 * servers or timers are open at the end than at the start. Jest gives each test file a copy of
 * `process`; unhandled rejections are reported on the real one.
 */
export function expectNothingLeftOpen(): void {
  const realProcess = runInThisContext('process') as NodeJS.Process;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const openResources = () => {
    const counts: Record<string, number> = { TCPSocketWrap: 0, TCPServerWrap: 0, Timeout: 0 };
    for (const kind of process.getActiveResourcesInfo()) {
      if (kind in counts) counts[kind]!++;
    }
    return counts;
  };
  let before: Record<string, number> = {};
  beforeAll(() => {
    before = openResources();
    realProcess.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    await delay(50);
    realProcess.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
    // Closing is asynchronous (a socket's close event, a client library's last timer): on a
    // loaded machine it can take longer than 50 ms. Give it up to 3 s; what is still open then
    // was left open.
    const settled = () =>
      Object.entries(openResources()).every(([kind, count]) => count <= before[kind]!);
    for (let waited = 0; waited < 3000 && !settled(); waited += 25) await delay(25);
    const after = openResources();
    for (const kind of Object.keys(after)) {
      expect([kind, after[kind]! <= before[kind]!]).toEqual([kind, true]);
    }
  });
}
