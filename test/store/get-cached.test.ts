/**
 * `getCached`: the synchronous read of the read cache. It answers what `get` would, shares one
 * frozen resource between callers until the resource changes, follows writes and deletes, says
 * undefined for what it does not hold, counts the parsed data against the cache's byte bound, and
 * on a shared engine follows another process's writes as this process learns of them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { isStoreError } from '../../src/storage/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { pull } from '../helpers/events.js';
import { pod, podRef } from '../helpers/fixtures.js';
import { freshLocation } from '../helpers/postgres.js';
import { factories } from '../helpers/stores.js';

for (const factory of factories) {
  describe(`getCached on ${factory.name}`, () => {
    it('answers what get answers, one frozen resource shared until it changes, and follows updates and deletes', async () => {
      const { store } = await factory.open();
      try {
        const added = await store.add(pod('a', { app: 'web' }));
        const cached = store.getCached(podRef('a'));
        assert.ok(cached !== undefined, 'a write leaves its resource in the cache');
        assert.deepEqual(cached, await store.get(podRef('a')));
        assert.equal(store.getCached(podRef('a')), cached, 'the same object for every caller');
        assert.equal(store.getCached(added.ref), cached, 'by a frozen ref the store handed out, too');
        assert.ok(Object.isFrozen(cached.data) && Object.isFrozen((cached.data as { spec: object }).spec));

        await store.update({ ...pod('a', { app: 'api' }), version: 1 });
        assert.deepEqual(store.getCached(podRef('a'))?.labels, { app: 'api' });
        assert.deepEqual(cached.labels, { app: 'web' }, 'a resource handed out stays as it was');
        await store.delete(podRef('a'));
        assert.equal(store.getCached(podRef('a')), undefined);
        assert.equal(store.getCached(podRef('never-written')), undefined);
      } finally {
        await store.close();
      }
    });

    it('by a frozen ref it holds, follows updates, deletes and evictions, and keeps what it reads cached', async () => {
      const { store } = await factory.open({ cache: { maxEntries: 3 } });
      try {
        const { ref } = await store.add(pod('a', { app: 'web' }));
        const first = store.getCached(ref);
        assert.equal(store.getCached(ref), first, 'read again through the entry it found');
        await store.update({ ...pod('a', { app: 'api' }), version: 1 });
        assert.deepEqual(store.getCached(ref)?.labels, { app: 'api' }, 'an update supersedes the entry it remembered');
        await store.delete(ref);
        assert.equal(store.getCached(ref), undefined, 'a delete too');
        await store.add(pod('a', { app: 'db' }));
        assert.deepEqual(store.getCached(ref)?.labels, { app: 'db' });

        // Read only through the ref (16 reads between writes), it stays while 20 others pass through a cache of 3.
        for (let i = 0; i < 20; i++) {
          await store.add(pod(`other-${i}`));
          for (let read = 0; read < 16; read++) assert.deepEqual(store.getCached(ref)?.labels, { app: 'db' }, `after ${i + 1} other writes`);
        }
        // Not read, it is evicted, and the entry the ref remembered goes with it.
        for (let i = 20; i < 23; i++) await store.add(pod(`other-${i}`));
        assert.equal(store.getCached(ref), undefined, 'evicted');
      } finally {
        await store.close();
      }
    });

    it('rejects a malformed ref with INVALID_ARGUMENT and a closed store with CLOSED', async () => {
      const { store } = await factory.open();
      assert.throws(() => store.getCached({ version: 'v1', kind: 'Pod', name: 42 } as never), (err) => isStoreError(err) && err.code === 'INVALID_ARGUMENT');
      assert.throws(() => store.getCached(null as never), (err) => isStoreError(err) && err.code === 'INVALID_ARGUMENT');
      await store.close();
      assert.throws(() => store.getCached(podRef('a')), (err) => isStoreError(err) && err.code === 'CLOSED');
    });

    it('holds nothing with the cache off', async () => {
      const { store } = await factory.open({ cache: { maxEntries: 0 } });
      try {
        await store.add(pod('a'));
        await store.get(podRef('a'));
        assert.equal(store.getCached(podRef('a')), undefined);
      } finally {
        await store.close();
      }
    });
  });
}

describe('getCached and the cache bound', () => {
  it('counts the data it parses: under a bound that holds 15 resources as bytes, reading them through getCached keeps fewer', async () => {
    const big = (name: string) => ({ ref: podRef(name), data: { blob: randomBytes(50_000).toString('hex') } }); // 100 KB, incompressible
    const held = async (maxBytes: number): Promise<number> => {
      const store = await openStore({ cache: { maxBytes } });
      try {
        for (let i = 0; i < 15; i++) await store.add(big(`p${i}`));
        for (let i = 0; i < 15; i++) store.getCached(podRef(`p${i}`));
        return Array.from({ length: 15 }, (_, i) => store.getCached(podRef(`p${i}`))).filter((r) => r !== undefined).length;
      } finally {
        await store.close();
      }
    };
    // Bytes and record: 15 × ~200 KB = ~3 MB. With parsed data counted: 15 × ~600 KB = ~9 MB.
    assert.equal(await held(40_000_000), 15);
    const under4MB = await held(4_000_000);
    assert.ok(under4MB > 0 && under4MB < 15, `${under4MB} of 15 cached under a 4 MB bound`);
  });
});

describe('getCached on a shared PostgreSQL store', () => {
  const opened: ResourceStore[] = [];
  after(async () => {
    for (const store of opened) await store.close();
  });

  it('follows another process’s writes once this process has learnt of them', async () => {
    const location = await freshLocation();
    const [a, b] = [await openStore({ postgres: location }), await openStore({ postgres: location })];
    opened.push(a, b);
    await a.add(pod('p', { step: '1' }));
    await b.get(podRef('p'));
    assert.deepEqual(b.getCached(podRef('p'))?.labels, { step: '1' });
    const events = b.watch({}, { fromRevision: b.revision })[Symbol.asyncIterator]();
    await a.update({ ...pod('p', { step: '2' }), version: 1 });
    await pull(events, 1);
    const seen = b.getCached(podRef('p'));
    assert.ok(seen === undefined || seen.labels.step === '2', 'never the state before the write b has delivered');
    assert.deepEqual((await b.get(podRef('p'))).labels, { step: '2' });
    assert.deepEqual(b.getCached(podRef('p'))?.labels, { step: '2' });
    await events.return?.();
  });
});
