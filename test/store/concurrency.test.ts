import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '../../src/storage/errors.js';
import { factories } from '../helpers/stores.js';
import { pod, podRef } from '../helpers/fixtures.js';

for (const factory of factories) {
  describe(`concurrency on ${factory.name}`, () => {
    it('gives exactly one success and 999 CONFLICT to 1,000 racing updates of one version', async () => {
      const { store } = await factory.open();
      await store.add(pod('hot'));
      const revision = store.revision;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) => store.update({ ...pod('hot', { writer: `w${i}` }), version: 1 })),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 999);
      assert.ok(lost.every((o) => o.reason instanceof StoreError && o.reason.code === 'CONFLICT'));
      const stored = await store.get(podRef('hot'));
      assert.equal(stored.version, 2);
      assert.deepEqual(stored.labels, (won[0] as PromiseFulfilledResult<{ labels: object }>).value.labels);
      assert.equal(store.revision, revision + 1);
      await store.close();
    });

    it('lands all of 1,000 concurrent adds of distinct resources, each at its own revision', async () => {
      const { store } = await factory.open();
      const start = store.revision;
      const added = await Promise.all(Array.from({ length: 1000 }, (_, i) => store.add(pod(`p${i}`, { n: String(i % 7) }))));
      assert.equal(added.length, 1000);
      assert.equal(store.revision, start + 1000);
      assert.equal((await store.list({ type: { version: 'v1', kind: 'Pod' } })).items.length, 1000);
      assert.equal((await store.list({ labelSelector: 'n=3' })).items.length, 143);
      await store.close();
    });

    it('applies every unconditional update exactly once when they race', async () => {
      const { store } = await factory.open();
      await store.add(pod('counter'));
      await Promise.all(Array.from({ length: 200 }, (_, i) => store.update({ ...pod('counter'), data: { i } })));
      assert.equal((await store.get(podRef('counter'))).version, 201);
      await store.close();
    });

    it('keeps each racing add of the same ref to one winner', async () => {
      const { store } = await factory.open();
      const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => store.add(pod('same'))));
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      assert.ok(outcomes.every((o) => o.status === 'fulfilled' || (o.reason as StoreError).code === 'ALREADY_EXISTS'));
      await store.close();
    });
  });
}
