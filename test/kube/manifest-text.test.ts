import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { fromManifest, listOf, listText, manifestText, toManifest } from '../../src/kube/manifest.js';
import { storedJsonText } from '../../src/model/resource-codec.js';
import type { JsonObject, Resource } from '../../src/model/types.js';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { dumpFiles, dumpObjects, lastOfEach } from '../clients/dumps.js';

/** The kinds whose pod templates get `creationTimestamp: null` (manifestText makes them through toManifest). */
const TEMPLATED = new Set(['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'ReplicationController', 'PodTemplate', 'Job', 'CronJob']);

/** Every resource of a type and namespace, as a list reads it (its data not parsed yet). */
async function listed(store: ResourceStore, kind: string, namespace: string): Promise<readonly Resource[]> {
  return (await store.list({ type: { version: 'v1', kind }, namespace })).items;
}

describe('manifests as text', () => {
  let store: ResourceStore;
  before(async () => {
    store = await openStore();
  });
  after(() => store.close());

  it('is the text JSON.stringify makes of the manifest, for every object of the real dumps', async () => {
    let spliced = 0;
    let seen = 0;
    for (const file of dumpFiles()) {
      // A store of each dump's own: the dumps share identities (a `default` Namespace) under other uids.
      const dump = await openStore();
      try {
        for (const object of lastOfEach(dumpObjects(file)).values()) {
          const [group, version] = String(object.apiVersion).includes('/') ? String(object.apiVersion).split('/') : ['', String(object.apiVersion)];
          const namespace = typeof object.metadata?.namespace === 'string' ? object.metadata.namespace : '';
          const { input } = fromManifest(object, { group: group!, version: version!, kind: String(object.kind), namespace, name: String(object.metadata.name) });
          await dump.apply(input);
        }
        for (const resource of (await dump.list({})).items) {
          seen++;
          if (!TEMPLATED.has(resource.ref.kind)) {
            assert.ok(storedJsonText(resource) !== undefined, 'a listed resource carries its stored text');
            spliced++;
          }
          assert.equal(manifestText(resource, resource.revision), JSON.stringify(toManifest(resource, resource.revision)), `${resource.ref.kind} ${resource.ref.name}`);
          assert.equal(manifestText(resource, 7), JSON.stringify(toManifest(resource, 7)));
        }
      } finally {
        await dump.close();
      }
    }
    assert.ok(seen > 100, `the dumps hold ${seen} objects`);
    assert.ok(spliced > 100, `${spliced} made from stored text`);
  });

  it('has the members of the manifest for any data, whatever it holds where the server sets fields', async () => {
    // Names the server owns or reads, among any others; no integer names (an object orders those first) and no __proto__.
    const name = fc.oneof(
      fc.constantFrom('apiVersion', 'kind', 'metadata', 'name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'labels', 'annotations', 'spec', 'a"b', 'c\\d', 'é\u2028'),
      fc.string({ maxLength: 6 }),
    ).filter((key) => key !== '__proto__' && !/^(0|[1-9]\d*)$/.test(key));
    const value = fc.jsonValue({ maxDepth: 3 });
    const object = fc.dictionary(name, value, { maxKeys: 6 });
    const notObject = value.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v));
    const data = fc.record({ top: object, metadata: fc.oneof(object, notObject) }).map(({ top, metadata }) => ({ ...top, metadata }));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(data, fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db')), async (data, labels) => {
        const name = `p${n++}`;
        await store.add({ ref: { version: 'v1', kind: 'Thing', namespace: 'prop', name }, labels, data: data as JsonObject });
        const resource = (await listed(store, 'Thing', 'prop')).find((r) => r.ref.name === name)!;
        assert.ok(storedJsonText(resource) !== undefined);
        const text = manifestText(resource, resource.revision);
        assert.equal(text, JSON.stringify(toManifest(resource, resource.revision)));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a member whose name is an integer, where the manifest object puts it first', async () => {
    await store.add({ ref: { version: 'v1', kind: 'Thing', namespace: 'ints', name: 'n' }, data: { spec: 1, 7: 'x', metadata: { 3: 'y', note: 'z' } } });
    const [resource] = await listed(store, 'Thing', 'ints');
    const text = manifestText(resource!, resource!.revision);
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(toManifest(resource!, resource!.revision))));
    assert.notEqual(text, JSON.stringify(toManifest(resource!, resource!.revision)));
  });

  it('makes data that is not JSON, and a resource whose data was parsed when read, the long way', async () => {
    const any = await store.add({ ref: { version: 'v1', kind: 'Blob', namespace: 'b', name: 'any' }, data: { typeUrl: 'type.googleapis.com/x.Y', value: new Uint8Array([1, 2, 3]) } });
    assert.equal(storedJsonText(any), undefined);
    assert.equal(manifestText(any, 3), JSON.stringify(toManifest(any, 3)));
    await store.add({ ref: { version: 'v1', kind: 'Blob', namespace: 'b', name: 'json' }, data: { spec: { a: 1 } } });
    const cached = await store.get({ version: 'v1', kind: 'Blob', namespace: 'b', name: 'json' });
    assert.equal(manifestText(cached, 3), JSON.stringify(toManifest(cached, 3)));
  });
});

describe('list texts', () => {
  it('is the text JSON.stringify makes of the list, items spliced in', () => {
    const items: JsonObject[] = [{ kind: 'Pod', metadata: { name: 'a' } }, { kind: 'Pod', metadata: { name: 'b"]}' } }];
    for (const meta of [{ revision: 9 }, { revision: 9, continue: '9.abc"items":[]', remainingItemCount: 4 }]) {
      for (const some of [[], items.slice(0, 1), items]) {
        const text = listText('apps', 'v1', 'Deployment', some.map((item) => JSON.stringify(item)), meta);
        assert.equal(text, JSON.stringify(listOf('apps', 'v1', 'Deployment', some, meta)));
      }
    }
  });
});
