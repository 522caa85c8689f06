/**
 * The guards of scanned ranges hold against other writers even when the scanning transaction has
 * written the guard itself: a batch that adds a Service and a Pod, racing a write of another
 * Service (or Pod) with the same selector, loses no ServiceSelects edge.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diskFactory } from '../helpers/stores.js';

const pod = (name: string) => ({ ref: { version: 'v1', kind: 'Pod', namespace: 'web', name }, labels: { app: 'web' }, data: { kind: 'Pod' } });
const service = (name: string) => ({ ref: { version: 'v1', kind: 'Service', namespace: 'web', name }, data: { kind: 'Service', spec: { selector: { app: 'web' } } } });

describe('range guards against a batch that wrote them', () => {
  it('loses no ServiceSelects edge when a batch of a Service and a Pod races another Service or Pod (40 races)', async () => {
    for (let trial = 0; trial < 40; trial++) {
      const { store } = await diskFactory.open();
      const batch = trial % 4 < 2
        ? store.batch([{ op: 'add', resource: service('s1') }, { op: 'add', resource: pod('p1') }])
        : store.batch([{ op: 'add', resource: pod('p1') }, { op: 'add', resource: service('s1') }]);
      const other = trial % 2 === 0 ? store.add(service('s2')) : store.add(pod('p2'));
      await Promise.all([batch, other]);
      assert.deepEqual((await store.verify()).findings, [], `trial ${trial}`);
      await store.close();
    }
  });
});
