import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import type { ResourceEvent, StoreEvent } from '../../src/events/types.js';
import { StoreError } from '../../src/storage/errors.js';
import { pull } from '../helpers/events.js';
import { factories, openWrapped } from '../helpers/stores.js';
import { pod } from '../helpers/fixtures.js';

const POD = { version: 'v1', kind: 'Pod' };
const revisions = (events: readonly StoreEvent[]) => events.map((e) => e.revision);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);


/** Writes `n` pods, `concurrency` at a time, starting at index `start`. */
async function writePods(store: { add: (r: ReturnType<typeof pod>) => Promise<unknown> }, start: number, n: number, concurrency = 8) {
  let next = start;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < start + n) await store.add(pod(`p${next++}`));
  }));
}

for (const factory of factories) {
  describe(`replay and resume on ${factory.name}`, () => {
    it('replays from a revision, then goes live with no gap and no duplicate while writers run', async () => {
      const { store } = await factory.open();
      await writePods(store, 0, 100);
      const writing = writePods(store, 100, 400);
      const observed = firstValueFrom(store.subscribe({}, { fromRevision: 50 }).pipe(take(450), toArray()));
      const watcher = store.watch({}, { fromRevision: 50 });
      const watched = pull(watcher, 450);
      await writing;
      assert.deepEqual(revisions(await observed), range(51, 500));
      assert.deepEqual(revisions(await watched), range(51, 500));
      await watcher.return!();
      await store.close();
    });

    it('serves list-then-watch: a watch from the list revision sees exactly the later changes', async () => {
      const { store } = await factory.open();
      await writePods(store, 0, 30);
      const page = await store.list({ type: POD });
      await writePods(store, 30, 10);
      const watcher = store.watch({ type: POD }, { fromRevision: page.revision });
      const names = new Set(page.items.map((r) => r.ref.name));
      for (const event of (await pull(watcher, 10)) as ResourceEvent[]) {
        assert.equal(names.has(event.resource.ref.name), false, 'never an item the list already had');
        names.add(event.resource.ref.name);
      }
      assert.equal(names.size, 40);
      await watcher.return!();
      await store.close();
    });

    it('ends a watcher that falls behind with OVERFLOW; resuming from its revision yields exactly what it missed', async () => {
      const { store } = await factory.open();
      const slow = store.watch({}, { bufferSize: 10 });
      await writePods(store, 0, 5);
      const first = await pull(slow, 3);
      await writePods(store, 5, 45);
      let overflow: StoreError | undefined;
      try {
        await pull(slow, 100);
      } catch (err) {
        overflow = err as StoreError;
      }
      assert.equal(overflow?.code, 'OVERFLOW');
      assert.equal(overflow?.details.revision, 3, 'the last revision delivered');
      const resumed = store.watch({}, { fromRevision: overflow!.details.revision! });
      assert.deepEqual(revisions([...first, ...(await pull(resumed, 47))]), range(1, 50));
      await resumed.return!();
      assert.match(await store.metrics.metrics(), /resourcestore_events_overflowed_total 1\n/);
      await store.close();
    });

    it('keeps writers and other subscribers going, and memory bounded, with a stalled subscriber over 100,000 writes (20,000 on PostgreSQL)', async () => {
      const { store, engine } = await factory.open({ retention: { maxEvents: 1000 } });
      // The bound is the store's, whatever the engine: a shared engine's round trips only make the run longer.
      const batches = engine.shared ? 20 : 100;
      const stalled = store.watch({}, { bufferSize: 1000 });
      let delivered = 0;
      let lastRevision = 0;
      const counting = store.subscribe().subscribe((event) => {
        assert.equal(event.revision, lastRevision + 1);
        lastRevision = event.revision;
        delivered++;
      });
      for (let b = 0; b < batches; b++) {
        await store.batch(Array.from({ length: 1000 }, (_, i) => ({ op: 'apply' as const, resource: { ...pod(`p${i}`), data: { b } } })));
      }
      assert.equal(delivered, batches * 1000);
      const metrics = await store.metrics.metrics();
      assert.match(metrics, /resourcestore_subscribers 1\n/, 'the stalled subscriber was let go, holding nothing');
      assert.match(metrics, /resourcestore_events_overflowed_total 1\n/);
      await store.compact();
      assert.match(await store.metrics.metrics(), /resourcestore_log_entries 1000\n/, 'the log is bounded too');
      await assert.rejects(stalled.next(), (err: unknown) => err instanceof StoreError && err.code === 'OVERFLOW' && err.details.revision === 0);
      counting.unsubscribe();
      await store.close();
    });

    it('does not overflow a replay that live events outrun: it reads them from the log instead, with no gap and no duplicate', async () => {
      const { store, wrapped } = await openWrapped(factory);
      await writePods(store, 0, 20);
      wrapped.holdScans(); // the replay waits until the live writes below have filled its buffer five times over
      const observed = firstValueFrom(store.subscribe({}, { fromRevision: 0, bufferSize: 2 }).pipe(take(31), toArray()));
      const watcher = store.watch({}, { fromRevision: 0, bufferSize: 2 });
      const watched = pull(watcher, 31);
      await writePods(store, 20, 10, 1);
      wrapped.release();
      await store.add(pod('live'));
      assert.deepEqual(revisions(await observed), range(1, 31));
      assert.deepEqual(revisions(await watched), range(1, 31));
      await watcher.return!();
      assert.match(await store.metrics.metrics(), /resourcestore_events_overflowed_total 0\n/);
      await store.close();
    });

    it('compacts the log to its retention, and a watch from a compacted revision fails with COMPACTED', async () => {
      const { store } = await factory.open({ retention: { maxEvents: 10 } });
      await writePods(store, 0, 30);
      assert.equal(await store.compact(), 20);
      const compacted = (err: unknown) => err instanceof StoreError && err.code === 'COMPACTED' && err.details.revision === 20;
      assert.throws(() => store.watch({}, { fromRevision: 5 }), compacted);
      await assert.rejects(firstValueFrom(store.subscribe({}, { fromRevision: 19 })), compacted);
      const watcher = store.watch({}, { fromRevision: 20 });
      assert.deepEqual(revisions(await pull(watcher, 10)), range(21, 30));
      await watcher.return!();
      const metrics = await store.metrics.metrics();
      assert.match(metrics, /resourcestore_log_compacted_total 20\n/);
      assert.match(metrics, /resourcestore_log_entries 10\n/);
      assert.match(metrics, /resourcestore_log_first_revision 21\n/);
      await store.close();
    });

    it('compacts entries older than the age limit', async () => {
      const { store } = await factory.open({ retention: { maxAgeMs: 1 } });
      await writePods(store, 0, 5);
      const written = Date.now();
      while (Date.now() < written + 2); // the entries are now older than 1 ms; no timer involved
      assert.equal(await store.compact(), 5);
      assert.throws(() => store.watch({}, { fromRevision: 0 }), (err: unknown) => err instanceof StoreError && err.code === 'COMPACTED');
      await store.close();
    });

    it('completes every stream on close after delivering what was committed', async () => {
      const { store } = await factory.open();
      const observed = lastValueFrom(store.subscribe().pipe(toArray()));
      const watcher = store.watch();
      await writePods(store, 0, 5);
      await store.close();
      assert.deepEqual(revisions(await observed), range(1, 5));
      assert.deepEqual(revisions(await pull(watcher, 100)), range(1, 5));
      assert.deepEqual(await watcher.next(), { done: true, value: undefined });
      assert.throws(() => store.watch(), (err: unknown) => err instanceof StoreError && err.code === 'CLOSED');
    });

    it('frees a subscription when it is unsubscribed or its loop breaks', async () => {
      const { store } = await factory.open();
      const gauge = async () => Number(/resourcestore_subscribers (\d+)/.exec(await store.metrics.metrics())?.[1]);
      const subscription = store.subscribe().subscribe();
      const watcher = store.watch();
      assert.equal(await gauge(), 2);
      subscription.unsubscribe();
      await store.add(pod('a'));
      for await (const event of watcher) {
        assert.equal(event.revision, 1);
        break;
      }
      assert.equal(await gauge(), 0);
      await store.close();
    });
  });
}
