/**
 * The objects the store hands out: resources (their `data` parsed on first read) and
 * relationships (their predicate's `value` decoded on first read) are frozen plain objects whose
 * lazy field is an own enumerable property like any other, whose state no caller can reach, and
 * which all share one hidden class. A getter written into each object literal made every frozen
 * object a hidden class of its own (V8's dictionary mode): three times the cost to build, and
 * ten times the cost of every field read once a caller held thousands. The shape check runs in a
 * child process with V8's natives syntax (`%HaveSameMap`), so it asserts the shape, not a time.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/open-store.js';
import { pod, podRef } from '../helpers/fixtures.js';

describe('resources and relationships as handed out', () => {
  it('are frozen plain objects whose lazy field is an ordinary own property, its state out of reach', async () => {
    const store = await openStore();
    try {
      await store.add(pod('a', { app: 'web' }));
      const resource = await store.get(podRef('a'));
      assert.equal(Object.getPrototypeOf(resource), Object.prototype);
      assert.deepEqual(Object.keys(resource), ['ref', 'uid', 'data', 'labels', 'annotations', 'createdAt', 'updatedAt', 'version', 'revision']);
      assert.deepEqual(Object.getOwnPropertySymbols(resource), []);
      assert.ok(Object.isFrozen(resource) && Object.isFrozen(resource.data));
      assert.equal(resource.data, resource.data, 'parsed once');
      assert.deepEqual({ ...resource }.data, resource.data, 'a spread copies it');
      assert.deepEqual(JSON.parse(JSON.stringify(resource)).data, resource.data, 'JSON carries it');
      const getter = Object.getOwnPropertyDescriptor(resource, 'data')!.get!;
      assert.throws(() => getter.call({}), TypeError, 'the getter reads only the objects it was given to');

      const [rel] = await store.addRelationships({
        subject: { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'default', name: 'rs' },
        predicate: { type: 'OwnerReference', value: { kind: 'ReplicaSet', name: 'rs' } },
        object: podRef('a'),
      });
      const stored = (await store.getRelationships({ object: podRef('a') })).items[0]!;
      assert.deepEqual(Object.keys(stored.predicate), ['type', 'value']);
      assert.deepEqual(stored.predicate.value, rel!.predicate.value);
      assert.ok(Object.isFrozen(stored.predicate) && Object.isFrozen(stored.predicate.value));
    } finally {
      await store.close();
    }
  });

  it('share one hidden class however many are built', () => {
    const script = `
      import { openStore } from './src/store/open-store.ts';
      const store = await openStore();
      const ref = (name) => ({ group: '', version: 'v1', kind: 'Pod', namespace: 'default', name });
      const owner = { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'default', name: 'rs' };
      for (const name of ['a', 'b']) {
        await store.add({ ref: ref(name), labels: { app: name }, data: { spec: { name } } });
        await store.addRelationships({ subject: owner, predicate: { type: 'OwnerReference', value: { kind: 'ReplicaSet', name: 'rs' } }, object: ref(name) });
      }
      const [a, b] = [await store.get(ref('a')), await store.get(ref('b'))];
      const [p, q] = [store.getCached(ref('a')), store.getCached(ref('b'))];
      const [x, y] = (await store.getRelationships({ subject: owner })).items;
      console.log(JSON.stringify({
        resources: %HaveSameMap(a, b) && %HasFastProperties(a),
        cached: %HaveSameMap(p, q) && %HasFastProperties(p),
        predicates: %HaveSameMap(x.predicate, y.predicate) && %HasFastProperties(x.predicate),
      }));
      await store.close();
    `;
    assert.deepEqual(runWithNatives(script), { resources: true, cached: true, predicates: true });
  });

  it('are allocated young by a read after a bulk load, however long the load held its own', () => {
    // A batch holds its refs, resources and relationships until it commits, so they outlive young
    // collections; had reads allocated them at the same object literals, V8 would have moved those
    // literals' allocations to the old generation, and every read after a bulk load would fill it.
    const script = `
      import { openStore } from './src/store/open-store.ts';
      const store = await openStore({ cache: { maxEntries: 0 } });
      const ref = (i) => ({ group: '', version: 'v1', kind: 'Pod', namespace: 'ns-' + (i % 10), name: 'pod-' + i });
      const owner = (i) => ({ group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'ns-' + (i % 10), name: 'rs-' + (i % 100) });
      for (let b = 0; b < 20000; b += 1000) {
        const span = Array.from({ length: 1000 }, (_, j) => b + j);
        await store.batch(span.map((i) => ({ op: 'add', resource: { ref: ref(i), labels: { app: 'a' + (i % 50) }, data: { spec: { i } } } })));
        await store.addRelationships(...span.map((i) => ({ subject: owner(i), predicate: { type: 'OwnerReference', value: { kind: 'ReplicaSet', name: 'rs' } }, object: ref(i) })));
      }
      const resource = await store.get(ref(7));
      const [relationship] = (await store.getRelationships({ object: ref(7) })).items;
      console.log(JSON.stringify({
        resource: %InYoungGeneration(resource) && %InYoungGeneration(resource.ref),
        relationship: %InYoungGeneration(relationship) && %InYoungGeneration(relationship.predicate) && %InYoungGeneration(relationship.subject),
      }));
      await store.close();
    `;
    assert.deepEqual(runWithNatives(script), { resource: true, relationship: true });
  });
});

/** Runs `script` (an ES module) in a child process with V8's natives syntax, from the repository root, and returns what it printed last, parsed. */
function runWithNatives(script: string): unknown {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: root });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}
