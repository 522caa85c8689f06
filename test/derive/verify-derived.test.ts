/**
 * `verify` recomputes derived relationships from the stored content and reports every difference;
 * `verify --repair` (repairIndices) makes them true again, leaving a caller's own alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repairIndices } from '../../src/integrity/repair.js';
import { verifyIntegrity } from '../../src/integrity/verify.js';
import { encodeKey } from '../../src/storage/key-codec.js';
import { decodeRecord, encodeRecord, packData } from '../../src/model/resource-codec.js';
import { resourceKey } from '../../src/model/resource-keys.js';
import type { ResourceRef } from '../../src/model/types.js';
import { factories } from '../helpers/stores.js';

const pod: ResourceRef = { group: '', version: 'v1', kind: 'Pod', namespace: 'web', name: 'p' };
const service: ResourceRef = { group: '', version: 'v1', kind: 'Service', namespace: 'web', name: 's' };

for (const factory of factories) {
  describe(`verify and repair of derived relationships on ${factory.name}`, () => {
    it('reports derived relationships that differ from the stored content, and repair makes them true', async () => {
      const { store, engine } = await factory.open();
      await store.add({ ref: pod, labels: { app: 'web' }, data: { spec: { nodeName: 'n1' } } });
      await store.add({ ref: service, data: { spec: { selector: { app: 'web' } } } });
      await store.addRelationships({ subject: pod, predicate: { type: 'PodNodeBinding', value: { nodeName: 'own' } }, object: { version: 'v1', kind: 'Node', name: 'own' } });
      assert.deepEqual((await store.verify()).findings, []);
      // Content changed under the store's feet: the Pod names another node, the Service selects nothing.
      const key = resourceKey(pod);
      const record = decodeRecord((await engine.get(key))!, key);
      const serviceKey = resourceKey(service);
      const serviceRecord = decodeRecord((await engine.get(serviceKey))!, serviceKey);
      await engine.commit({
        checks: [],
        puts: [
          [key, encodeRecord({ ...record, data: packData({ spec: { nodeName: 'n2' } }, 1 << 20) })],
          [serviceKey, encodeRecord({ ...serviceRecord, data: packData({ spec: { selector: { app: 'db' } } }, 1 << 20) })],
        ],
        dels: [],
        counters: [],
        changes: 0,
      });
      const problems = (await verifyIntegrity(engine)).findings.map((f) => f.problem.replace(/ from .*/, '').replace(/ by rule (\w+).*/, ' $1'));
      assert.deepEqual(problems.sort(), [
        'derived relationship missing: rule PodNodeBinding derives it',
        'relationship derived PodNodeBinding',
        'relationship derived ServiceSelects',
        'selector index entry does not match a stored Service',
        'selector index entry missing or different for a stored Service',
      ]);
      const report = await repairIndices(engine);
      assert.equal(report.derivedRelationships, 3);
      assert.deepEqual((await verifyIntegrity(engine)).findings, []);
      const keys: string[] = [];
      for await (const chunk of engine.scanKeys({ gte: encodeKey('rel-spo'), lt: encodeKey('rel-spo\u0001') })) keys.push(...chunk);
      assert.equal(keys.length, 2, 'the Pod to n2 (derived) and to own (the caller\'s)');
      await store.close();
    });
  });
}
