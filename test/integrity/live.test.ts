/**
 * `verify` and `stats` of a store in use: read as of one snapshot, so writers running meanwhile
 * never make them compare keys read at different instants.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storeStats } from '../../src/integrity/stats.js';
import { factories } from '../helpers/stores.js';
import { pod, podRef } from '../helpers/fixtures.js';

for (const factory of factories) {
  describe(`verify and stats of a store in use on ${factory.name}`, () => {
    it('finds nothing wrong while writers add, relabel, relate and delete', async () => {
      const { store } = await factory.open();
      for (let i = 0; i < 300; i++) await store.add(pod(`p${i}`, { app: `a${i % 7}` }));
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          const name = `p${i % 300}`;
          await store.apply(pod(name, { app: `b${i % 5}` }));
          await store.addRelationships({ subject: podRef(name), predicate: { type: 'PodNodeBinding', value: { nodeName: `n${i}` } }, object: { version: 'v1', kind: 'Node', name: 'n' } });
          if (i % 3 === 0) await store.delete(podRef(`p${(i + 150) % 300}`)).catch(() => undefined);
        }
      })();
      const reports = [];
      for (let round = 0; round < 5; round++) reports.push(await store.verify());
      writing = false;
      await writer;
      for (const report of reports) assert.deepEqual(report.findings, []);
      assert.ok(reports.every((r) => r.resources > 0 && r.indexEntries > 0));
      await store.close();
    });

    it('reports what a reader of the closed store reports', async () => {
      const { store, engine } = await factory.open();
      await store.add(pod('a', { app: 'x' }));
      await store.add({ ...pod('b'), ref: { ...podRef('b'), namespace: 'db' } });
      await store.addRelationships({ subject: podRef('a'), predicate: { type: 'PodNodeBinding', value: { nodeName: 'n' } }, object: { version: 'v1', kind: 'Node', name: 'n' } });
      const live = await store.stats();
      assert.deepEqual({ ...live, storageBytes: 0 }, { ...(await storeStats(engine)), storageBytes: 0 });
      assert.deepEqual(live.byNamespace, { web: 1, db: 1 });
      assert.equal(live.relationships, 1);
      await store.close();
    });
  });
}
