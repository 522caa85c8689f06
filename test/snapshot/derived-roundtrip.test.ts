/**
 * A snapshot keeps the living graph: derived relationships come back marked with their rule, and
 * the Service selector index is rebuilt from the data, so writes after a restore keep deriving.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RETENTION } from '../../src/events/change-log.js';
import { PredicateRegistry } from '../../src/relations/predicates.js';
import { restoreSnapshot } from '../../src/snapshot/snapshot-io.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { openStore, openStoreOn } from '../../src/store/open-store.js';

const pod = (name: string, labels: Record<string, string>) => ({ ref: { version: 'v1', kind: 'Pod', namespace: 'web', name }, labels, data: { spec: { nodeName: 'n1' } } });
const service = { ref: { version: 'v1', kind: 'Service', namespace: 'web', name: 's' }, data: { spec: { selector: { app: 'a' } } } };

describe('a snapshot of derived relationships', () => {
  it('restores them marked with their rule, and derives on after the restore', async () => {
    const source = await openStore();
    await source.add(service);
    await source.add(pod('p1', { app: 'a' }));
    await source.addRelationships({ subject: pod('p1', {}).ref, predicate: { type: 'OwnerReference', value: { name: 'mine' } }, object: service.ref });
    let snapshot = '';
    await source.exportSnapshot((text) => void (snapshot += text));
    const before = (await source.getRelationships({})).items.map((r) => `${r.predicate.type} ${r.subject.name}>${r.object.name} ${r.derived ?? 'user'}`);
    await source.close();

    const engine = await openLevelEngine();
    await restoreSnapshot(engine, async function* () { yield snapshot; }, new PredicateRegistry());
    const restored = await openStoreOn(engine, { maxDataBytes: 1 << 20, cache: {}, registry: undefined, retention: DEFAULT_RETENTION });
    const after = (await restored.getRelationships({})).items.map((r) => `${r.predicate.type} ${r.subject.name}>${r.object.name} ${r.derived ?? 'user'}`);
    assert.deepEqual(after, before);
    assert.ok(after.some((line) => line.endsWith(' user')) && after.some((line) => !line.endsWith(' user')));
    assert.deepEqual((await restored.verify()).findings, []);
    await restored.add(pod('p2', { app: 'a' }));
    const selected = await restored.getRelationships({ subject: service.ref, predicate: 'ServiceSelects' });
    assert.deepEqual(selected.items.map((r) => r.object.name), ['p1', 'p2'], 'the selector index came back with the Service');
    await restored.close();
  });
});
