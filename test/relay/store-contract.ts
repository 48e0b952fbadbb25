import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import type { RelayEntry, RelayStore } from '../../src/relay';
import { delay } from '../helpers/loopback';
import { text } from './relay-helpers';

/** The options every store takes that the contract exercises. */
export interface ContractStoreOptions {
  retentionMs?: number;
  maxEvents?: number;
}

/** Resolves once `check()` holds (polled), or fails after `ms`. */
async function eventually(check: () => boolean, ms = 2_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await delay(5);
  }
}

/**
 * The rules every {@link RelayStore} keeps (see its TSDoc), run against one implementation:
 * `makeStore` makes a fresh store (each test closes the ones it made).
 */
export function describeStoreContract(
  name: string,
  makeStore: (options?: ContractStoreOptions) => RelayStore | Promise<RelayStore>,
): void {
  describe(`RelayStore contract: ${name}`, () => {
    const made: RelayStore[] = [];
    afterEach(async () => {
      await Promise.all(made.splice(0).map((store) => store.close()));
    });
    const newStore = async (options?: ContractStoreOptions) => {
      const store = await makeStore(options);
      made.push(store);
      return store;
    };
    const all = (store: RelayStore, runId: string, after = -1) =>
      lastValueFrom(store.read(runId, after).pipe(toArray()));

    it('claims ids once and appends with offsets from 0 in order', async () => {
      const store = await newStore();
      expect(await store.create('r')).toBe(true);
      expect(await store.create('r')).toBe(false);
      const offsets = await Promise.all(['a', 'b', 'c'].map((t) => store.append('r', text(t))));
      expect(offsets).toEqual([0, 1, 2]);
      expect(await store.info('r')).toEqual({ events: 3, end: null });
    });

    it('reads the replay, then the live entries, then the end, then completes', async () => {
      const store = await newStore();
      await store.create('r');
      await store.append('r', text('a'));
      await store.append('r', text('b'));
      const seen: RelayEntry[] = [];
      let completed = false;
      const subscription = store.read('r', -1).subscribe({
        next: (entry) => seen.push(entry),
        complete: () => (completed = true),
      });
      await eventually(() => seen.length === 2);
      await store.append('r', text('c'));
      await eventually(() => seen.length === 3);
      expect(await store.finish('r', { status: 'completed' })).toBe(3);
      await eventually(() => completed);
      expect(subscription.closed).toBe(true);
      const expected = [
        { offset: 0, event: text('a') },
        { offset: 1, event: text('b') },
        { offset: 2, event: text('c') },
        { offset: 3, end: { status: 'completed' } },
      ];
      expect(seen).toEqual(expected);
      expect(await all(store, 'r')).toEqual(expected);
      expect(await store.info('r')).toEqual({ events: 3, end: { status: 'completed' } });
    });

    it('reads exactly the entries after `after`, and always the end', async () => {
      const store = await newStore();
      await store.create('r');
      const live = [-1, 1, 7].map((after) => all(store, 'r', after));
      await delay(20);
      for (const t of ['a', 'b', 'c', 'd']) await store.append('r', text(t));
      await store.finish('r', { status: 'stopped' });
      expect((await Promise.all(live)).map((list) => list.map((e) => e.offset))).toEqual([
        [0, 1, 2, 3, 4],
        [2, 3, 4],
        [4],
      ]);
      for (let after = -1; after <= 4; after++) {
        const offsets = (await all(store, 'r', after)).map((e) => e.offset);
        expect([after, offsets]).toEqual([
          after,
          [0, 1, 2, 3, 4].filter((o) => o > after || o === 4),
        ]);
      }
      expect(await all(store, 'r', 99)).toEqual([{ offset: 4, end: { status: 'stopped' } }]);
    });

    it('lets the first end win, and appends nothing after it', async () => {
      const store = await newStore();
      await store.create('r');
      await store.append('r', text('a'));
      const ends = await Promise.all([
        store.finish('r', { status: 'stopped' }),
        store.finish('r', { status: 'completed' }),
      ]);
      expect(ends).toEqual([1, null]);
      expect(await store.append('r', text('late'))).toBeNull();
      expect(await store.finish('r', { status: 'truncated' })).toBeNull();
      expect(await store.info('r')).toEqual({ events: 1, end: { status: 'stopped' } });
      expect(await all(store, 'r')).toEqual([
        { offset: 0, event: text('a') },
        { offset: 1, end: { status: 'stopped' } },
      ]);
    });

    it('knows nothing of an unknown run', async () => {
      const store = await newStore();
      expect(await store.info('nope')).toBeUndefined();
      expect(await store.append('nope', text('a'))).toBeNull();
      expect(await store.finish('nope', { status: 'stopped' })).toBeNull();
      await expect(firstValueFrom(store.read('nope', -1))).rejects.toMatchObject({
        code: 'validation_error',
        message: expect.stringContaining('Unknown relay run "nope"'),
      });
    });

    it('forgets a finished run retentionMs after it ends, and frees its id', async () => {
      const store = await newStore({ retentionMs: 50 });
      await store.create('r');
      await store.append('r', text('a'));
      await store.finish('r', { status: 'completed' });
      expect(await store.info('r')).toEqual({ events: 1, end: { status: 'completed' } });
      await delay(150);
      expect(await store.info('r')).toBeUndefined();
      await expect(firstValueFrom(store.read('r', -1))).rejects.toMatchObject({
        code: 'validation_error',
      });
      expect(await store.create('r')).toBe(true);
      expect(await store.append('r', text('b'))).toBe(0);
    });

    it('ends a run past maxEvents as errored (event_too_large), keeping the events before', async () => {
      const store = await newStore({ maxEvents: 3 });
      await store.create('r');
      const offsets = [];
      for (let i = 0; i < 5; i++) offsets.push(await store.append('r', text(String(i))));
      expect(offsets).toEqual([0, 1, 2, null, null]);
      const info = await store.info('r');
      expect(info).toMatchObject({
        events: 3,
        end: { status: 'errored', error: { code: 'event_too_large' } },
      });
      const entries = await all(store, 'r');
      expect(entries.map((e) => e.offset)).toEqual([0, 1, 2, 3]);
      expect(entries[3]).toEqual({ offset: 3, end: info!.end });
    });

    it('lets a reader leave without disturbing the run', async () => {
      const store = await newStore();
      await store.create('r');
      const seen: RelayEntry[] = [];
      const subscription = store.read('r', -1).subscribe((entry) => seen.push(entry));
      await store.append('r', text('a'));
      await eventually(() => seen.length === 1);
      subscription.unsubscribe();
      expect(await store.append('r', text('b'))).toBe(1);
      expect(await store.finish('r', { status: 'completed' })).toBe(2);
      expect(seen.length).toBe(1);
      expect((await all(store, 'r')).length).toBe(3);
    });
  });
}
