/**
 * Two stores on one PostgreSQL location, as two processes would open it: what one commits, the
 * other reads, watches and counts, and neither trusts what it remembers over the database (the
 * lost update a process-local cache once allowed: a version taken from 3 back to 2).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { StoreEvent } from '../../src/events/types.js';
import { StoreError } from '../../src/storage/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { pull } from '../helpers/events.js';
import { pod, podRef } from '../helpers/fixtures.js';
import { freshLocation } from '../helpers/postgres.js';

const opened: ResourceStore[] = [];
after(async () => {
  for (const store of opened) await store.close();
});

/** Two stores on one fresh location. */
async function twoStores(retention?: { maxEvents: number; compactIntervalMs: number }): Promise<[ResourceStore, ResourceStore]> {
  const location = await freshLocation();
  const open = async (): Promise<ResourceStore> => {
    const store = await openStore({ postgres: location, ...(retention ? { retention } : {}) });
    opened.push(store);
    return store;
  };
  return [await open(), await open()];
}

describe('two stores sharing one PostgreSQL database', () => {
  it('never takes a version back: each reads the database, not what it cached', async () => {
    const [a, b] = await twoStores();
    await a.add(pod('p'));
    assert.equal((await b.get(podRef('p'))).version, 1); // b has it cached now
    await a.update({ ...pod('p', { step: '2' }), version: 1 });
    await a.update({ ...pod('p', { step: '3' }), version: 2 });
    // b's cache says version 1; an update at the version the database holds must succeed...
    const updated = await b.update({ ...pod('p', { step: '4' }), version: 3 });
    assert.equal(updated.version, 4);
    // ...and one at a version b once saw must fail, whatever b remembers.
    await assert.rejects(b.update({ ...pod('p', { step: 'stale' }), version: 1 }), (err: unknown) => err instanceof StoreError && err.code === 'CONFLICT');
    const [fromA, fromB] = [await a.get(podRef('p')), await b.get(podRef('p'))];
    assert.deepEqual([fromA.version, fromA.labels], [4, { step: '4' }]);
    assert.deepEqual(fromB, fromA);
  });

  it("delivers the other store's commits to its watchers, in revision order, once each", async () => {
    const [a, b] = await twoStores();
    const watcher = b.watch({ type: { version: 'v1', kind: 'Pod' } }, { fromRevision: 0 });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) writes.push((i % 2 === 0 ? a : b).add(pod(`p${i}`)));
    await Promise.all(writes);
    const events = await pull(watcher, 20);
    assert.deepEqual(
      events.map((event: StoreEvent) => event.revision),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.deepEqual(new Set(events.map((event) => (event.kind === 'resource' ? event.resource.ref.name : ''))).size, 20);
    await watcher.return?.();
  });

  it("counts the other store's resources once its commits are delivered", async () => {
    const [a, b] = await twoStores();
    const watcher = b.watch({}, { fromRevision: 0 });
    for (const name of ['x', 'y', 'z']) await a.add(pod(name));
    await pull(watcher, 3);
    await watcher.return?.();
    assert.deepEqual(b.types(), [{ group: '', version: 'v1', kind: 'Pod', count: 3 }]);
    assert.equal(b.revision, 3);
    assert.equal((await b.stats()).resources, 3);
  });

  it('compacts the shared change log from both stores without losing or repeating a compaction', async () => {
    const [a, b] = await twoStores({ maxEvents: 5, compactIntervalMs: 2 ** 31 - 1 });
    for (let i = 0; i < 30; i++) await a.add(pod(`p${i}`));
    const removed = await Promise.all([a.compact(), b.compact()]);
    assert.equal(removed[0] + removed[1], 25);
    assert.deepEqual((await b.verify()).findings, []);
    await assert.rejects(
      async () => pull(b.watch({}, { fromRevision: 10 }), 1),
      (err: unknown) => err instanceof StoreError && err.code === 'COMPACTED',
    );
    const tail = await pull(a.watch({}, { fromRevision: 25 }), 5);
    assert.deepEqual(tail.map((event) => event.revision), [26, 27, 28, 29, 30]);
  });
});
