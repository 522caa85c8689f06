import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { factories } from '../helpers/stores.js';
import { podRef } from '../helpers/fixtures.js';

async function counter(registry: Registry, name: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values[0]?.value as number | undefined) ?? 0;
}

for (const factory of factories) {
  describe(`read cache on ${factory.name}`, () => {
    it('returns resources that cannot be changed: the store and its cache stay as they were', async () => {
      const { store } = await factory.open();
      const input = { ref: podRef('a'), labels: { app: 'web' }, data: { spec: { containers: [{ name: 'c' }] } } };
      await store.add(input);
      const got = await store.get(podRef('a'));
      const snapshot = structuredClone(got);
      assert.throws(() => ((got as { version: number }).version = 9), TypeError);
      assert.throws(() => ((got.labels as Record<string, string>).app = 'hacked'), TypeError);
      assert.throws(() => ((got.labels as Record<string, string>).extra = 'x'), TypeError);
      assert.throws(() => (((got.data as any).spec.containers as unknown[]).push({})), TypeError);
      assert.throws(() => ((got.data as any).spec.containers[0].name = 'x'), TypeError);
      assert.throws(() => ((got.ref as { name: string }).name = 'b'), TypeError);
      assert.deepEqual(await store.get(podRef('a')), snapshot);
      assert.deepEqual((await store.list()).items[0], snapshot);
      await store.close();
    });

    it('is not reachable through the caller’s own input objects', async () => {
      const { store } = await factory.open();
      const labels: Record<string, string> = { app: 'web' };
      const data = { nested: { n: 1 } };
      const added = await store.add({ ref: podRef('a'), labels, data });
      labels.app = 'changed';
      data.nested.n = 2;
      assert.deepEqual((await store.get(podRef('a'))).labels, { app: 'web' });
      assert.deepEqual((await store.get(podRef('a'))).data, { nested: { n: 1 } });
      assert.equal(Object.isFrozen(labels), false, 'the caller’s objects are left alone');
      const copy = structuredClone(added) as any;
      copy.labels.app = 'db';
      assert.equal((await store.update(copy)).labels.app, 'db');
      await store.close();
    });

    it('hands out a copy of protobuf bytes, so writing to them changes nothing stored', async () => {
      const { store } = await factory.open();
      await store.add({ ref: podRef('a'), data: { typeUrl: 'type.googleapis.com/x.Y', value: new Uint8Array([1, 2, 3]) } });
      const got = await store.get(podRef('a'));
      (got.data as { value: Uint8Array }).value[0] = 99;
      assert.deepEqual((await store.get(podRef('a'))).data, { typeUrl: 'type.googleapis.com/x.Y', value: new Uint8Array([1, 2, 3]) });
      await store.close();
    });

    it('writes through on update, forgets on delete, and counts hits and misses', async () => {
      const registry = new Registry();
      const { store } = await factory.open({ registry });
      await store.add({ ref: podRef('a'), data: { v: 1 } });
      await store.get(podRef('a'));
      assert.equal(await counter(registry, 'resourcestore_cache_hits_total'), 1);
      await store.update({ ref: podRef('a'), data: { v: 2 } });
      assert.deepEqual((await store.get(podRef('a'))).data, { v: 2 });
      await store.delete(podRef('a'));
      await assert.rejects(store.get(podRef('a')));
      const misses = await counter(registry, 'resourcestore_cache_misses_total');
      assert.ok(misses >= 2, `the add and the get after delete miss (got ${misses})`);
      await store.close();
    });

    it('stays within its entry bound and still serves every resource', async () => {
      const { store } = await factory.open({ cache: { maxEntries: 5 } });
      for (let i = 0; i < 20; i++) await store.add({ ref: podRef(`p${i}`), data: { i } });
      for (let i = 0; i < 20; i++) assert.deepEqual((await store.get(podRef(`p${i}`))).data, { i });
      await store.close();
    });

    it('works with the cache turned off', async () => {
      const { store } = await factory.open({ cache: { maxEntries: 0 } });
      await store.add({ ref: podRef('a'), data: { v: 1 } });
      await store.update({ ref: podRef('a'), data: { v: 2 }, version: 1 });
      assert.deepEqual((await store.get(podRef('a'))).data, { v: 2 });
      await store.close();
    });
  });
}
