import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError } from '../../src/storage/errors.js';
import { pull } from '../helpers/events.js';
import { factories, openWrapped } from '../helpers/stores.js';
import { pod } from '../helpers/fixtures.js';

const DONE = { done: true, value: undefined };
// Each test below hangs on the code before the fix (a waiting next() never settled): the timeout
// turns that hang into a failure instead of a stuck run.
const HANG_GUARD = { timeout: 20_000 };

for (const factory of factories) {
  describe(`ending a watch on ${factory.name}`, () => {
    const gauge = async (store: { metrics: { metrics(): Promise<string> } }) =>
      Number(/resourcestore_subscribers (\d+)/.exec(await store.metrics.metrics())?.[1]);

    it('does settle a next() already waiting with done when return() is called, for 2,000 idle watches, and frees them', HANG_GUARD, async () => {
      const { store } = await factory.open();
      const watches = Array.from({ length: 2000 }, () => store.watch({ type: { version: 'v1', kind: 'Pod' } }));
      const waiting = watches.map((watch) => watch.next());
      assert.equal(await gauge(store), 2000);
      for (const watch of watches) assert.deepEqual(await watch.return!(), DONE);
      for (const next of waiting) assert.deepEqual(await next, DONE);
      assert.equal(await gauge(store), 0);
      for (const watch of watches) assert.equal(await watch.stopped, undefined);
      assert.deepEqual(await watches[0]!.next(), DONE, 'a returned watch stays done');
      await store.add(pod('after'));
      await store.close();
    });

    it('does settle a next() waiting on its replay with done when return() is called, and reads no further', HANG_GUARD, async () => {
      const { store, wrapped } = await openWrapped(factory);
      for (let i = 0; i < 5; i++) await store.add(pod(`p${i}`));
      wrapped.holdScans(); // the replay cannot read the log until released
      const watch = store.watch({}, { fromRevision: 0 });
      const waiting = watch.next();
      assert.deepEqual(await watch.return!(), DONE);
      assert.deepEqual(await waiting, DONE);
      assert.equal(await gauge(store), 0);
      wrapped.release();
      assert.deepEqual(await watch.next(), DONE);
      await store.close();
    });

    it('does settle a next() waiting on its replay at once when the store closes, with CLOSED and the revision to resume from', HANG_GUARD, async () => {
      const { store, wrapped } = await openWrapped(factory);
      for (let i = 0; i < 5; i++) await store.add(pod(`p${i}`));
      wrapped.holdScans();
      const watch = store.watch({}, { fromRevision: 2 });
      const waiting = watch.next();
      const closing = store.close();
      await assert.rejects(waiting, (err: unknown) => isStoreError(err, 'CLOSED') && err.details.revision === 2);
      assert.deepEqual(await watch.next(), DONE);
      wrapped.release();
      await closing;
    });

    it('does settle a waiting next() with done when the store closes, after the events already committed', HANG_GUARD, async () => {
      const { store } = await factory.open();
      const watch = store.watch();
      await store.add(pod('a'));
      assert.equal((await pull(watch, 1))[0]?.revision, 1);
      const waiting = watch.next();
      await store.close();
      assert.deepEqual(await waiting, DONE);
      assert.equal(await watch.stopped, undefined);
    });
  });
}
