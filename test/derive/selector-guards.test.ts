/**
 * A guard is present whenever its range holds an entry, so a write that finds a range's guard
 * absent skips the scan: a Pod write scans the selector index only under label pairs some
 * Service's selector was filed under. Restore, repair and the upgrade of a store of the older
 * layout (whose restores and repairs dropped guards) keep that true. A store of layout 2, whose
 * relationship counts are the count alone, opens as it is and makes each count fresh as it writes it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RETENTION } from '../../src/events/change-log.js';
import { upgradeLayout } from '../../src/integrity/layout-upgrade.js';
import { repairIndices } from '../../src/integrity/repair.js';
import { verifyIntegrity } from '../../src/integrity/verify.js';
import { isStoreError } from '../../src/storage/errors.js';
import type { Engine } from '../../src/storage/engine.js';
import { CURRENT_LAYOUT, LABEL_GUARD_SECTION, LABEL_SECTION, LAYOUT_KEY, RELATION_COUNT_SECTION, SELECTS_GUARD_SECTION, SELECTS_SECTION } from '../../src/storage/key-catalogue.js';
import { encodeKey, formatKey, prefixRange } from '../../src/storage/key-codec.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { decodeNumber, encodeNumber } from '../../src/storage/number-codec.js';
import { openStoreOn } from '../../src/store/open-store.js';
import { factories, openWrapped } from '../helpers/stores.js';
import { WrappedEngine } from '../helpers/wrapped-engine.js';

const pod = (name: string, namespace: string, labels: Record<string, string>) => ({ ref: { version: 'v1', kind: 'Pod', namespace, name }, labels, data: { kind: 'Pod' } });
const service = (name: string, namespace: string, selector: Record<string, string>) => ({
  ref: { version: 'v1', kind: 'Service', namespace, name },
  data: { kind: 'Service', spec: { selector } },
});
const setup = { maxDataBytes: 1 << 20, cache: {}, registry: undefined, retention: DEFAULT_RETENTION };

async function selected(store: Awaited<ReturnType<typeof openStoreOn>>, namespace: string, name: string): Promise<string[]> {
  const page = await store.getRelationships({ subject: service(name, namespace, {}).ref, predicate: 'ServiceSelects' });
  return page.items.map((r) => r.object.name).sort();
}

/** Deletes every guard and the layout key: a store as earlier versions left it after a restore or repair. */
async function dropGuards(engine: Engine): Promise<void> {
  const dels = [LAYOUT_KEY];
  for (const section of [SELECTS_GUARD_SECTION, LABEL_GUARD_SECTION]) {
    for await (const chunk of engine.scanKeys(prefixRange(encodeKey(section)))) dels.push(...chunk);
  }
  await engine.commit({ checks: [], puts: [], dels, counters: [], changes: 0 });
}

for (const factory of factories) {
  describe(`selector-index guards (${factory.name})`, () => {
    it('a Pod write scans the selector index only under pairs a selector was filed under, and still finds every Service that selects it', async () => {
      const { store, wrapped } = await openWrapped(factory);
      try {
        await store.add(service('elsewhere', 'other', { app: 'web' }));
        wrapped.scanned.length = 0;
        await store.add(pod('p1', 'web', { app: 'web', tier: 'front' }));
        const selectorScans = () => wrapped.scanned.filter((start) => start.startsWith(encodeKey(SELECTS_SECTION))).map(formatKey);
        assert.deepEqual(selectorScans(), [], 'no Service in namespace web: nothing to scan');

        await store.add(service('s', 'web', { app: 'web', tier: 'front' }));
        wrapped.scanned.length = 0;
        await store.add(pod('p2', 'web', { tier: 'front', app: 'web', track: 'stable' }));
        assert.deepEqual(selectorScans(), [formatKey(encodeKey(SELECTS_SECTION, 'web', 'app', 'web'))], 'only the pair the selector is filed under');
        assert.deepEqual(await selected(store, 'web', 's'), ['p1', 'p2']);
        assert.deepEqual(await selected(store, 'other', 'elsewhere'), []);
      } finally {
        await store.close();
      }
    });

    it('after a repair (which rebuilds guards), Pods written later are still selected by the Services stored before', async () => {
      const { engine } = await factory.engine();
      let store = await openStoreOn(new KeptOpen(engine), setup);
      await store.add(service('s', 'web', { app: 'web' }));
      await store.add(pod('p1', 'web', { app: 'web' }));
      await store.close();
      await repairIndices(engine);
      assert.deepEqual((await verifyIntegrity(engine)).findings, []);
      store = await openStoreOn(engine, setup);
      try {
        await store.add(pod('p2', 'web', { app: 'web' }));
        assert.deepEqual(await selected(store, 'web', 's'), ['p1', 'p2']);
        assert.deepEqual((await store.verify()).findings, []);
      } finally {
        await store.close();
      }
    });

    it('a store of the older layout, lacking guards of ranges that hold entries, is upgraded as it opens; verify reports the missing guards before', async () => {
      const { engine: old } = await factory.engine();
      let store = await openStoreOn(new KeptOpen(old), setup);
      await store.add(service('s', 'web', { app: 'web' }));
      await store.add(pod('p1', 'web', { app: 'web' }));
      await store.close();
      await dropGuards(old);
      const findings = (await verifyIntegrity(old)).findings.map((f) => f.problem);
      assert.ok(findings.length > 0 && findings.every((m) => m.startsWith('guard missing')), findings.join('; '));

      store = await openStoreOn(old, setup);
      try {
        assert.equal(decodeNumber(await old.get(LAYOUT_KEY), 'layout'), CURRENT_LAYOUT);
        assert.deepEqual((await store.verify()).findings, []);
        await store.add(pod('p2', 'web', { app: 'web' }));
        await store.add(service('s2', 'web', { app: 'web' }));
        assert.deepEqual(await selected(store, 'web', 's'), ['p1', 'p2']);
        assert.deepEqual(await selected(store, 'web', 's2'), ['p1', 'p2']);
      } finally {
        await store.close();
      }
    });
  });
}

describe('key layout', () => {
  it('upgrades a store that holds a malformed index key: the key is left for verify to report, the store opens', async () => {
    const engine = await openLevelEngine();
    const stray = `${encodeKey(LABEL_SECTION)}a\x01Z\x00`; // a bad escape: no key the codec makes
    await engine.commit({ checks: [], puts: [[stray, new Uint8Array()]], dels: [], counters: [], changes: 0 });
    const store = await openStoreOn(new KeptOpen(engine), setup);
    await store.close();
    assert.equal(decodeNumber(await engine.get(LAYOUT_KEY), 'layout'), CURRENT_LAYOUT);
    assert.ok((await verifyIntegrity(engine)).findings.some((f) => f.key === JSON.stringify(stray)));
    await engine.close();
  });


  it('opens a store of layout 2, whose relationship counts hold the count alone: they read, and a write makes a count fresh', async () => {
    const engine = await openLevelEngine();
    let store = await openStoreOn(new KeptOpen(engine), setup);
    const node = { version: 'v1', kind: 'Node', name: 'n1' };
    const bound = (name: string) => ({ subject: { version: 'v1', kind: 'Pod', namespace: 'web', name }, predicate: { type: 'PodNodeBinding', value: { nodeName: 'n1' } }, object: node });
    await store.add({ ref: node });
    await store.addRelationships(bound('p'), bound('q'));
    await store.close();
    const countKey = encodeKey(RELATION_COUNT_SECTION, '', 'v1', 'Node', '', 'n1');
    assert.equal((await engine.get(countKey))?.byteLength, 28, 'the count and its fresh bytes');
    await engine.commit({ checks: [], puts: [[countKey, encodeNumber(2)], [LAYOUT_KEY, encodeNumber(2)]], dels: [], counters: [], changes: 0 });

    store = await openStoreOn(new KeptOpen(engine), setup);
    assert.equal(decodeNumber(await engine.get(LAYOUT_KEY), 'layout'), CURRENT_LAYOUT);
    assert.deepEqual((await store.verify()).findings, []);
    await store.deleteRelationships(bound('q'));
    assert.equal((await engine.get(countKey))?.byteLength, 28);
    await store.delete(node);
    assert.equal(await engine.get(countKey), undefined);
    assert.deepEqual((await store.getRelationships({ object: node })).items, []);
    await store.close();
    await engine.close();
  });

  it('refuses a store kept in a newer layout than this version knows, with CORRUPTED naming both', async () => {
    const engine = await openLevelEngine();
    await engine.commit({ checks: [], puts: [[LAYOUT_KEY, encodeNumber(CURRENT_LAYOUT + 1)]], dels: [], counters: [], changes: 0 });
    await assert.rejects(upgradeLayout(engine), (err) => isStoreError(err) && err.code === 'CORRUPTED' && err.message.includes(`layout ${CURRENT_LAYOUT + 1}`));
    await assert.rejects(openStoreOn(engine, setup), (err) => isStoreError(err) && err.code === 'CORRUPTED');
    await engine.close();
  });
});

/** An engine a store's close leaves open, so the test can work on it between stores as a CLI command would. */
class KeptOpen extends WrappedEngine {
  override close(): Promise<void> {
    return Promise.resolve();
  }
}
