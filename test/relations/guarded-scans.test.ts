/**
 * The scans a write guards with a resource's relationship count (a delete's cascade, a
 * derivation's reconcile), raced by other writes that land between the count's read, the scan and
 * the reads of what the scan found: each window is held open with a wrapped engine. The write
 * runs again and leaves what some serial order of the writes leaves, in one process and in two
 * sharing PostgreSQL. A listed relationship gone while the count is as read is damage: CORRUPTED.
 * Each test releases what it holds before it closes, and has a timeout: a hold that is never
 * reached fails the test instead of hanging it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RelationshipInput } from '../../src/model/relationship-types.js';
import type { ResourceRef } from '../../src/model/types.js';
import { refFields } from '../../src/model/refs.js';
import { POD_NODE_BINDING } from '../../src/relations/predicates.js';
import { spoKey } from '../../src/relations/relation-keys.js';
import { SPO_SECTION } from '../../src/storage/key-catalogue.js';
import { encodeKey } from '../../src/storage/key-codec.js';
import { openPostgresEngine } from '../../src/storage/pg-engine.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { isStoreError } from '../../src/storage/errors.js';
import { factories, openOn, rawKeySpace } from '../helpers/stores.js';
import { freshLocation } from '../helpers/postgres.js';
import { pod, podRef } from '../helpers/fixtures.js';
import { WrappedEngine } from '../helpers/wrapped-engine.js';

const nodeRef = (name: string): ResourceRef => ({ group: '', version: 'v1', kind: 'Node', namespace: '', name });
const pods = (name: string): ResourceRef => ({ group: '', version: 'v1', kind: 'Pod', namespace: 'web', name });
const bound = (p: string, n: string): RelationshipInput => ({ subject: podRef(p), predicate: { type: 'PodNodeBinding', value: { nodeName: n } }, object: nodeRef(n) });
/** The key of the PodNodeBinding from Pod `p` to Node `n`. */
const bindingKey = (p: string, n: string) => spoKey({ subject: pods(p), type: POD_NODE_BINDING, object: nodeRef(n) });
/** Holds only the first read of `key`: the racing write reads it too. */
const firstReadOf = (key: string) => {
  let held = false;
  return (read: string) => read === key && !held && (held = true);
};
const TIMEOUT = { timeout: 60_000 };
const naming = async (store: ResourceStore, ref: ResourceRef) =>
  [...(await store.getRelationships({ subject: ref })).items, ...(await store.getRelationships({ object: ref })).items].map((r) => `${r.subject.name}→${r.object.name}`).sort();

for (const factory of factories) {
  describe(`scans guarded by a relationship count, on ${factory.name}`, () => {
    it("a resource's delete whose cascade finds a relationship gone by the time it reads it runs again, and deletes what names the resource", TIMEOUT, async () => {
      const { engine } = await factory.engine();
      const wrapped = new WrappedEngine(engine);
      const store = await openOn(wrapped);
      try {
        await store.add({ ref: nodeRef('n1') });
        await store.add(pod('p'));
        await store.addRelationships(bound('p', 'n1'), bound('q', 'n1'));
        // The cascade of n1 lists p→n1 and q→n1; before it reads p→n1, p's delete takes p→n1.
        wrapped.holdReads(firstReadOf(bindingKey('p', 'n1')));
        const readHeld = wrapped.readHeld();
        const deleting = store.delete(nodeRef('n1'));
        await readHeld;
        await store.delete(podRef('p'));
        wrapped.releaseReads();
        await deleting;
        assert.deepEqual(await naming(store, nodeRef('n1')), []);
        assert.deepEqual((await store.verify()).findings, []);
      } finally {
        wrapped.releaseReads();
        await store.close();
      }
    });

    it('a cascade that lists a relationship whose record is missing, its count as read, fails CORRUPTED and writes nothing', TIMEOUT, async () => {
      const { engine } = await factory.engine();
      const store = await openOn(engine);
      try {
        await store.add({ ref: nodeRef('n1') });
        await store.addRelationships(bound('p', 'n1'), bound('q', 'n1'));
        await engine.commit({ checks: [], puts: [], dels: [bindingKey('p', 'n1')], counters: [], changes: 0 }); // damage: the record gone, its orders left
        const before = await rawKeySpace(engine);
        await assert.rejects(store.delete(nodeRef('n1')), (err) => isStoreError(err, 'CORRUPTED') && err.message.includes('has no record'));
        assert.deepEqual(await rawKeySpace(engine), before);
      } finally {
        await store.close();
      }
    });
  });
}

describe('scans guarded by a relationship count, two processes on postgresql', () => {
  /** Two stores on one database: `a` on a wrapped engine, to hold its windows open; `b` writes into them. */
  async function twoProcesses(): Promise<{ a: ResourceStore; b: ResourceStore; wrapped: WrappedEngine; close: () => Promise<void> }> {
    const location = await freshLocation();
    const wrapped = new WrappedEngine(await openPostgresEngine({ ...location, pollIntervalMs: 200 }));
    const a = await openOn(wrapped);
    const b = await openOn(await openPostgresEngine({ ...location, pollIntervalMs: 200 }));
    return { a, b, wrapped, close: async () => void (await Promise.all([a.close(), b.close()])) };
  }

  it("a delete's cascade misses no relationship added while one it had not yet scanned left, though the count came back to what it read", TIMEOUT, async () => {
    const { a, b, wrapped, close } = await twoProcesses();
    try {
      await b.add({ ref: nodeRef('n1') });
      await b.addRelationships(bound('p', 'n1'), bound('q', 'n1'));
      // a reads n1's count (2), then: q→n1 leaves before a scans, r→n1 comes after it scanned.
      // The count is 2 again, and a's scans never saw r→n1.
      wrapped.holdScans((start) => start === encodeKey(SPO_SECTION, ...refFields(nodeRef('n1'))));
      wrapped.holdReads(firstReadOf(bindingKey('p', 'n1')));
      const scanHeld = wrapped.scanHeld();
      const readHeld = wrapped.readHeld();
      const deleting = a.delete(nodeRef('n1'));
      await scanHeld;
      await b.deleteRelationships(bound('q', 'n1'));
      wrapped.release();
      await readHeld;
      await b.addRelationships(bound('r', 'n1'));
      wrapped.releaseReads();
      await deleting;
      assert.deepEqual(await naming(a, nodeRef('n1')), [], 'r→n1 was added before the delete committed: the delete takes it');
      assert.deepEqual((await a.verify()).findings, []);
    } finally {
      wrapped.release();
      wrapped.releaseReads();
      await close();
    }
  });

  it("a Pod's write whose reconcile finds a derived relationship gone (another process rewrote the Pod) runs again on the other's Pod", TIMEOUT, async () => {
    const { a, b, wrapped, close } = await twoProcesses();
    const onNode = (nodeName: string) => ({ ...pod('p'), data: { spec: { nodeName, containers: [{ name: 'c', image: 'img' }] } } });
    try {
      await b.add(onNode('n1'));
      wrapped.holdReads(firstReadOf(bindingKey('p', 'n1')));
      const readHeld = wrapped.readHeld();
      const moving = a.apply(onNode('n2'));
      await readHeld;
      await b.apply(onNode('n3'));
      wrapped.releaseReads();
      await moving;
      assert.deepEqual(await naming(a, pods('p')), ['p→n2']);
      assert.equal(((await a.get(podRef('p'))).data as { spec: { nodeName: string } }).spec.nodeName, 'n2');
      assert.deepEqual((await a.verify()).findings, []);
    } finally {
      wrapped.releaseReads();
      await close();
    }
  });
});
