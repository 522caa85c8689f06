import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { importFiles, storeTarget } from '../../src/import/importer.js';
import { PredicateRegistry } from '../../src/relations/predicates.js';
import { SnapshotWriter } from '../../src/snapshot/snapshot-format.js';
import { restoreSnapshot } from '../../src/snapshot/snapshot-io.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { StoreError } from '../../src/storage/errors.js';
import { MAX_DATA_DEPTH } from '../../src/model/resource-codec.js';
import { factories, rawKeySpace } from '../helpers/stores.js';
import { podRef } from '../helpers/fixtures.js';
import { request, startServer } from '../helpers/server.js';

/** Data whose deepest value sits `depth` objects (or arrays) down: the data object itself is level 1. */
function nested(depth: number, arrays = false): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let node: unknown = root;
  for (let level = 1; level < depth; level++) {
    const child = arrays ? [] : {};
    if (Array.isArray(node)) node.push(child);
    else (node as Record<string, unknown>).a = child;
    node = child;
  }
  return root;
}

const invalid = (err: unknown) => err instanceof StoreError && err.code === 'INVALID_ARGUMENT' && err.details.field !== undefined;

for (const factory of factories) {
  describe(`data nesting on ${factory.name}`, () => {
    it(`refuses data nested deeper than ${MAX_DATA_DEPTH} levels on every write, writing nothing`, async () => {
      const { store, engine } = await factory.open();
      await store.add({ ref: podRef('kept'), data: { a: 1 } });
      const before = await rawKeySpace(engine);
      const revision = store.revision;
      for (const data of [nested(MAX_DATA_DEPTH + 1), nested(MAX_DATA_DEPTH + 1, true), nested(3000), nested(3000, true)]) {
        await assert.rejects(store.add({ ref: podRef('deep'), data }), invalid);
        await assert.rejects(store.apply({ ref: podRef('deep'), data }), invalid);
        await assert.rejects(store.update({ ref: podRef('kept'), data }), invalid);
        await assert.rejects(store.batch([{ op: 'add', resource: { ref: podRef('x') } }, { op: 'apply', resource: { ref: podRef('deep'), data } }]), invalid);
      }
      assert.equal(store.revision, revision);
      assert.deepEqual(await rawKeySpace(engine), before);
      await store.close();
    });

    it(`keeps data ${MAX_DATA_DEPTH} levels deep readable by every reader: get, list, watch, JSON and structuredClone`, async () => {
      const { store } = await factory.open();
      const events = store.watch({});
      const strings = { s: '{[{["\\"' }; // brackets in strings are not nesting
      const data = { ...nested(MAX_DATA_DEPTH), strings };
      await store.add({ ref: podRef('deep'), data });
      await store.add({ ref: podRef('deep-array'), data: nested(MAX_DATA_DEPTH, true) });
      const got = await store.get(podRef('deep'));
      assert.deepEqual(got.data, data);
      assert.deepEqual(JSON.parse(JSON.stringify(got)).data, data);
      assert.deepEqual(structuredClone(got).data, data);
      const listed = await store.list({});
      assert.equal(JSON.parse(JSON.stringify(listed)).items.length, 2);
      structuredClone(listed);
      const first = await events.next();
      assert.deepEqual(structuredClone(JSON.parse(JSON.stringify(first.value))).resource.data, data);
      await events.return?.();
      await store.close();
    });
  });
}

describe('data nesting at the other doors', () => {
  it('answers 400 over HTTP and stores nothing, and lists keep working', async () => {
    const server = await startServer();
    try {
      const deep = JSON.stringify({ kind: 'Pod', metadata: { name: 'deep' }, spec: nested(3000) });
      assert.equal((await request(`${server.url}/api/v1/namespaces/web/pods`, { method: 'POST', raw: deep })).status, 400);
      const asManifest = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'deep', namespace: 'web' }, spec: nested(MAX_DATA_DEPTH) });
      assert.equal((await request(`${server.url}/api/v1/namespaces/web/pods`, { method: 'POST', raw: asManifest })).status, 400);
      assert.equal(server.store.revision, 0);
      assert.equal((await request(`${server.url}/api/v1/namespaces/web/pods`)).status, 200);
    } finally {
      await server.stop();
    }
  });

  it('rejects a deep object of an import and keeps the others', async () => {
    const { store } = await factories[0]!.open();
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'deep', namespace: 'web' }, spec: nested(MAX_DATA_DEPTH) },
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fine', namespace: 'web' }, spec: {} },
      ],
    };
    const summary = await importFiles([{ name: 'pods.json', text: JSON.stringify(list) }], storeTarget(store));
    assert.equal(summary.rejected.length, 1);
    assert.deepEqual((await store.list({})).items.map((r) => r.ref.name), ['fine']);
    await store.close();
  });

  it('refuses a snapshot holding deep data before restoring anything', async () => {
    const lines: string[] = [];
    const writer = new SnapshotWriter((text) => void lines.push(text));
    await writer.header(1);
    const resource = { uid: 'u1', labels: {}, annotations: {}, createdAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString(), version: 1 };
    await writer.entry({ resource: { ...resource, ref: { group: '', version: 'v1', kind: 'Pod', namespace: 'web', name: 'a' }, data: nested(MAX_DATA_DEPTH + 1) } });
    await writer.end();
    const engine = await openLevelEngine();
    const before = await rawKeySpace(engine);
    const source = async function* () {
      yield lines.join('');
    };
    await assert.rejects(restoreSnapshot(engine, source, new PredicateRegistry()), invalid);
    assert.deepEqual(await rawKeySpace(engine), before);
    await engine.close();
  });
});
