import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { importFiles, storeTarget } from '../../src/import/importer.js';
import { factories } from '../helpers/stores.js';

const DUMP = fileURLToPath(new URL('../fixtures/kind-cluster.json', import.meta.url));

describe('importing a dump again', () => {
  it('changes nothing: no revision, no event, relationships included', async () => {
    const { store } = await factories[0]!.open();
    const first = await importFiles([{ name: 'kind-cluster.json', path: DUMP }], storeTarget(store));
    const revision = store.revision;
    const relationships = (await store.getRelationships({})).items.map((r) => [r.subject.name, r.predicate.type, r.object.name, r.updatedAt]);
    assert.ok(relationships.length > 0, 'the store derives relationships from the dump');
    const again = await importFiles([{ name: 'kind-cluster.json', path: DUMP }], storeTarget(store));
    assert.equal(again.unchanged, first.created);
    assert.equal(store.revision, revision);
    assert.deepEqual((await store.getRelationships({})).items.map((r) => [r.subject.name, r.predicate.type, r.object.name, r.updatedAt]), relationships);
    await store.close();
  });
});
