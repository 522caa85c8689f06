/**
 * Each resource carries the revision of the change that wrote its state (Kubernetes'
 * resourceVersion): the revision its event has, never above the revision a list reports, kept
 * across a reopen, a snapshot and a restore.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoreEvent } from '../../src/events/types.js';
import { PredicateRegistry } from '../../src/relations/predicates.js';
import { restoreSnapshot } from '../../src/snapshot/snapshot-io.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { DEFAULT_RETENTION } from '../../src/events/change-log.js';
import { openStore, openStoreOn } from '../../src/store/open-store.js';
import { factories, diskFactory } from '../helpers/stores.js';
import { pod, podRef } from '../helpers/fixtures.js';

for (const factory of factories) {
  describe(`resource revisions on ${factory.name}`, () => {
    it('gives each written state the revision of its change, as its event has it', async () => {
      const { store } = await factory.open();
      const events: StoreEvent[] = [];
      const subscription = store.subscribe({}).subscribe((event) => events.push(event));
      const added = await store.add(pod('a'));
      const other = await store.add(pod('b'));
      const updated = await store.update({ ...pod('a', { tier: 'front' }) });
      const [x, y] = (await store.batch([
        { op: 'apply', resource: pod('c') },
        { op: 'apply', resource: pod('d') },
      ])) as Array<{ revision: number }>;
      const deleted = await store.delete(podRef('b'));
      subscription.unsubscribe();

      assert.deepEqual([added.revision, other.revision, updated.revision, x!.revision, y!.revision], [1, 2, 3, 4, 5]);
      assert.deepEqual(
        events.filter((e) => e.kind === 'resource').map((e) => [e.type, e.revision, e.kind === 'resource' ? e.resource.revision : 0]),
        [['add', 1, 1], ['add', 2, 2], ['update', 3, 3], ['add', 4, 4], ['add', 5, 5], ['delete', 6, 2]],
        'a delete carries the last state, written at its own revision',
      );
      assert.equal(deleted.revision, 2);
      assert.equal((await store.get(podRef('a'))).revision, 3);
      const page = await store.list({});
      assert.ok(page.items.every((item) => item.revision <= page.revision));
      await store.close();
    });

    it('keeps the revision when an apply changes nothing', async () => {
      const { store } = await factory.open();
      const first = await store.apply(pod('a'));
      await store.add(pod('b'));
      const again = await store.apply(pod('a'));
      assert.equal(again.revision, first.revision);
      assert.equal(store.revision, 2);
      await store.close();
    });
  });
}

describe('resource revisions on disk', () => {
  it('survive a reopen, and an export and restore', async () => {
    const opened = await diskFactory.open();
    await opened.store.add(pod('a'));
    await opened.store.add(pod('b'));
    await opened.store.update(pod('a', { v: '2' }));
    let snapshot = '';
    await opened.store.exportSnapshot((text) => void (snapshot += text));
    await opened.store.close();

    const reopened = await openStore({ path: opened.path! });
    assert.deepEqual((await reopened.list({})).items.map((r) => [r.ref.name, r.revision]), [['a', 3], ['b', 2]]);
    await reopened.close();

    const engine = await openLevelEngine();
    await restoreSnapshot(engine, async function* () { yield snapshot; }, new PredicateRegistry());
    const restored = await openStoreOn(engine, { maxDataBytes: 1 << 20, cache: {}, registry: undefined, retention: DEFAULT_RETENTION });
    assert.deepEqual((await restored.list({})).items.map((r) => [r.ref.name, r.revision]), [['a', 3], ['b', 2]]);
    await restored.close();
  });
});

describe('the types a store holds', () => {
  it('are read from the per-type counters, with their counts, and leave when their last resource goes', async () => {
    const { store } = await diskFactory.open();
    await store.add(pod('a'));
    await store.add(pod('b'));
    await store.add({ ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'web', name: 'd' } });
    assert.deepEqual(
      store.types().sort((x, y) => x.kind.localeCompare(y.kind)),
      [{ group: 'apps', version: 'v1', kind: 'Deployment', count: 1 }, { group: '', version: 'v1', kind: 'Pod', count: 2 }],
    );
    await store.delete({ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'web', name: 'd' });
    assert.deepEqual(store.types(), [{ group: '', version: 'v1', kind: 'Pod', count: 2 }]);
    await store.close();
  });
});
