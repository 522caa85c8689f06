/**
 * The relationship cache: a repeated query or traversal step is answered from memory, and never
 * with an answer older than the latest committed state, whatever changed the relationships of its
 * end (a caller's add, update or delete, a resource's delete, a derivation) or raced its scan.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom } from 'rxjs';
import protobuf from 'protobufjs';
import type { Relationship, RelationshipInput, RelationshipPage } from '../../src/model/relationship-types.js';
import type { RefInput } from '../../src/model/types.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { openStore } from '../../src/store/open-store.js';
import { RelationCache } from '../../src/relations/relation-cache.js';
import { endCountKey } from '../../src/relations/relation-keys.js';
import { isStoreError } from '../../src/storage/errors.js';
import { diskFactory, memoryFactory, openWrapped } from '../helpers/stores.js';
import { freshLocation } from '../helpers/postgres.js';
import { podRef } from '../helpers/fixtures.js';

const deploy: RefInput = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'web', name: 'nginx' };
const rs: RefInput = { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'web', name: 'nginx-7f' };
const node: RefInput = { version: 'v1', kind: 'Node', name: 'node-1' };
const owns = (subject: RefInput, object: RefInput, uid = 'u1'): RelationshipInput => ({
  subject,
  predicate: { type: 'OwnerReference', value: { kind: subject.kind, name: subject.name, uid } },
  object,
});
const bound = (pod: RefInput): RelationshipInput => ({ subject: pod, predicate: { type: 'PodNodeBinding', value: { nodeName: 'node-1' } }, object: node });
const pods = (n: number) => Array.from({ length: n }, (_, i) => podRef(`p${i}`));
/** A page as "subject → object" names, with the owner's uid where there is one. */
const names = (page: { items: readonly Relationship[] }) =>
  page.items.map((r) => `${r.subject.name}→${r.object.name}${(r.predicate.value as { uid?: string }).uid ? `:${(r.predicate.value as { uid: string }).uid}` : ''}`);

async function allPages(store: ResourceStore, query: Parameters<ResourceStore['getRelationships']>[0]): Promise<RelationshipPage[]> {
  const pages = [await store.getRelationships(query)];
  while (pages.at(-1)!.continue) pages.push(await store.getRelationships({ ...query, continue: pages.at(-1)!.continue }));
  return pages;
}

for (const factory of [memoryFactory, diskFactory]) {
  describe(`the relationship cache on ${factory.name}`, () => {
    it('answers a repeated query from memory: the same frozen relationships at the latest revision, no scan', async () => {
      const { store, wrapped } = await openWrapped(factory);
      await store.addRelationships(owns(deploy, rs), ...pods(3).map((p) => owns(rs, p)), ...pods(3).map(bound));
      for (const query of [{ subject: rs }, { object: node }, { predicate: 'PodNodeBinding', object: node }, { subject: rs, predicate: 'OwnerReference' }, { subject: podRef('p1'), object: node }]) {
        const first = await store.getRelationships(query);
        const scans = wrapped.scanned.length;
        const again = await store.getRelationships(query);
        assert.equal(wrapped.scanned.length, scans, `${JSON.stringify(query)} read again`);
        assert.deepEqual(names(again), names(first));
        assert.ok(again.items.every((r, i) => r === first.items[i] && Object.isFrozen(r)));
        assert.equal(again.revision, store.revision);
      }
      // A scan no one resource bounds is not held.
      await store.getRelationships({ subject: { version: 'v1', kind: 'Pod', namespace: 'web' } });
      const scans = wrapped.scanned.length;
      await store.getRelationships({ subject: { version: 'v1', kind: 'Pod', namespace: 'web' } });
      assert.equal(wrapped.scanned.length, scans + 1);
      const metrics = await store.metrics.metrics();
      assert.match(metrics, /resourcestore_relationship_cache_hits_total 5\n/);
      assert.match(metrics, /resourcestore_relationship_cache_misses_total 5\n/);
      assert.match(metrics, /resourcestore_relationship_cache_answers 5\n/);
      await store.close();
    });

    it('never answers with an older state, whatever changed the relationships of its end', async () => {
      const { store } = await factory.open();
      await store.addRelationships(owns(deploy, rs), owns(rs, podRef('p0')), bound(podRef('p0')));
      const bySubject = () => store.getRelationships({ subject: rs }).then(names);
      const byObject = () => store.getRelationships({ object: node }).then(names);
      const byPredicate = () => store.getRelationships({ predicate: 'PodNodeBinding', object: node }).then(names);
      const ask = async () => [await bySubject(), await byObject(), await byPredicate()];
      assert.deepEqual(await ask(), [['nginx-7f→p0:u1'], ['p0→node-1'], ['p0→node-1']]);
      await ask(); // now held

      await store.addRelationships(owns(rs, podRef('p1')));
      assert.deepEqual(await bySubject(), ['nginx-7f→p0:u1', 'nginx-7f→p1:u1'], 'an add');
      await store.addRelationships(owns(rs, podRef('p1'), 'u2'));
      assert.deepEqual(await bySubject(), ['nginx-7f→p0:u1', 'nginx-7f→p1:u2'], 'an update of its payload');
      await store.deleteRelationships(owns(rs, podRef('p0')));
      assert.deepEqual(await bySubject(), ['nginx-7f→p1:u2'], 'a delete');
      await store.add({ ref: podRef('p0') });
      await store.delete(podRef('p0'));
      assert.deepEqual([await byObject(), await byPredicate()], [[], []], "a resource's delete takes its relationships");
      await store.add({ ref: podRef('p2'), data: { spec: { nodeName: 'node-1' } } });
      assert.deepEqual([await byObject(), await byPredicate()], [['p2→node-1'], ['p2→node-1']], 'a derivation');
      await store.batch([{ op: 'unrelate', relationship: owns(rs, podRef('p1'), 'u2') }, { op: 'relate', relationship: owns(rs, podRef('p3')) }]);
      assert.deepEqual(await bySubject(), ['nginx-7f→p3:u1'], 'a batch');
      await store.close();
    });

    it('does not keep an answer whose end changed while it was read', async () => {
      const { store, wrapped } = await openWrapped(factory);
      await store.addRelationships(owns(rs, podRef('p0')));
      wrapped.holdScans();
      const held = wrapped.scanHeld();
      const racing = store.getRelationships({ subject: rs });
      await held; // its snapshot is taken: it will read the state before the add below
      await store.addRelationships(owns(rs, podRef('p1')));
      wrapped.release();
      assert.deepEqual(names(await racing), ['nginx-7f→p0:u1']);
      assert.deepEqual(names(await store.getRelationships({ subject: rs })), ['nginx-7f→p0:u1', 'nginx-7f→p1:u1']);
      await store.close();
    });

    it('does not keep an answer read from a snapshot holding a commit not yet delivered', async () => {
      const { store, wrapped } = await openWrapped(factory);
      await store.addRelationships(owns(rs, podRef('p0')));
      wrapped.holdDelivery();
      const landed = wrapped.landed();
      const adding = store.addRelationships(owns(rs, podRef('p1'))); // delivered only on release
      await landed;
      const page = await store.getRelationships({ subject: rs });
      assert.deepEqual(names(page), ['nginx-7f→p0:u1', 'nginx-7f→p1:u1'], 'a snapshot sees the landed commit');
      // Asked again before the commit is delivered: never an answer newer than the revision it reports.
      const again = await store.getRelationships({ subject: rs });
      assert.ok(again.revision >= page.revision, `answered at ${again.revision} what the store has at ${page.revision}`);
      wrapped.releaseDelivery();
      await adding;
      assert.deepEqual(names(await store.getRelationships({ subject: rs })), ['nginx-7f→p0:u1', 'nginx-7f→p1:u1']);
      await store.close();
    });

    it('answers a subscriber asking during each commit of a group with the state of that commit', async () => {
      const { store } = await factory.open();
      await store.addRelationships(owns(rs, podRef('seed')));
      await store.getRelationships({ subject: rs }); // held
      const asked: Array<Promise<{ at: number; page: RelationshipPage }>> = [];
      let added = 0; // the revision of rs → p1
      const sub = store.subscribe({ relationships: true }).subscribe((event) => {
        if (event.kind !== 'relationship') return;
        if (event.relationship.object.name === 'p1') added = event.revision;
        asked.push(store.getRelationships({ subject: rs }).then((page) => ({ at: event.revision, page })));
      });
      // Written together (no end in common, so no lock between them), they commit as one group, delivered one by one.
      const other = (i: number) => store.addRelationships(owns(podRef(`s${i}`), podRef(`o${i}`)));
      await Promise.all([other(1), other(2), store.addRelationships(owns(rs, podRef('p1'))), other(3)]);
      sub.unsubscribe();
      for (const { at, page } of await Promise.all(asked)) {
        assert.deepEqual(names(page), page.revision >= added ? ['nginx-7f→p1:u1', 'nginx-7f→seed:u1'] : ['nginx-7f→seed:u1'], `asked at ${at}, answered at ${page.revision}`);
      }
      await store.close();
    });

    it('pages a held answer as the scan pages it, and continues either way', async () => {
      const { store } = await factory.open();
      const uncached = (await factory.open({ cache: { relationships: { maxQueries: 0 } } })).store;
      for (const s of [store, uncached]) await s.addRelationships(...pods(5).map((p) => owns(rs, p)));
      const pageNames = (pages: RelationshipPage[]) => pages.map(names);
      const expected = pageNames(await allPages(uncached, { subject: rs, limit: 2 }));
      assert.equal(expected.length, 3);
      assert.deepEqual(pageNames(await allPages(store, { subject: rs, limit: 2 })), expected, 'scanned: a page cut short is not held');
      await store.getRelationships({ subject: rs }); // the whole answer, now held
      assert.deepEqual(pageNames(await allPages(store, { subject: rs, limit: 2 })), expected, 'from the held answer');
      assert.deepEqual(names(await store.getRelationships({ subject: rs, limit: 5 })), expected.flat());
      assert.equal((await store.getRelationships({ subject: rs, limit: 5 })).continue, undefined);
      // A token minted before a change continues from where it was, as the scan would.
      const first = await store.getRelationships({ subject: rs, limit: 2 });
      await store.deleteRelationships(owns(rs, podRef('p1')));
      await store.getRelationships({ subject: rs });
      assert.deepEqual(names(await store.getRelationships({ subject: rs, limit: 2, continue: first.continue })), ['nginx-7f→p2:u1', 'nginx-7f→p3:u1']);
      await store.close();
      await uncached.close();
    });

    it('keeps what it holds apart from the arrays callers get', async () => {
      const { store } = await factory.open();
      await store.addRelationships(...pods(3).map((p) => owns(rs, p)));
      ((await store.getRelationships({ subject: rs })).items as Relationship[]).pop();
      ((await store.getRelationships({ subject: rs })).items as Relationship[]).length = 0;
      assert.equal((await store.getRelationships({ subject: rs })).items.length, 3);
      await store.close();
    });

    it('walks a traversal through held steps, to the graph an uncached walk finds', async () => {
      const { store, wrapped } = await openWrapped(factory);
      const uncached = (await factory.open({ cache: { relationships: { maxQueries: 0 } } })).store;
      const rels = [owns(deploy, rs), ...pods(3).map((p) => owns(rs, p)), ...pods(3).map(bound)];
      for (const s of [store, uncached]) await s.addRelationships(...rels);
      const walk = async (s: ResourceStore) => {
        const graph = await s.traverse({ from: deploy, direction: 'both', maxDepth: 4 });
        return { nodes: graph.nodes.map((n) => `${n.depth}:${n.ref.name}`), edges: graph.edges.map((e) => `${e.subject.name}→${e.object.name}`).sort() };
      };
      const expected = await walk(uncached);
      assert.deepEqual(await walk(store), expected);
      const scans = wrapped.scanned.length;
      assert.deepEqual(await walk(store), expected);
      assert.equal(wrapped.scanned.length, scans, 'every step held');
      await store.close();
      await uncached.close();
    });

    it('walks again from a fresh snapshot when a step it took from memory changed after the walk began', async () => {
      const { store, wrapped } = await openWrapped(factory);
      await store.addRelationships(owns(deploy, rs), owns(rs, podRef('p0')));
      await store.getRelationships({ subject: rs }); // held
      wrapped.holdScans((start) => start.includes('Deployment'));
      const held = wrapped.scanHeld();
      const walking = store.traverse({ from: deploy, maxDepth: 2 }); // its snapshot has p0 alone
      await held;
      await store.addRelationships(owns(rs, podRef('p1')));
      await store.getRelationships({ subject: rs }); // held again, p1 with it
      wrapped.release();
      const graph = await walking;
      // Its step from the ReplicaSet was read from memory, newer than its snapshot: it walked again.
      assert.deepEqual(graph.nodes.map((n) => n.ref.name), ['nginx', 'nginx-7f', 'p0', 'p1']);
      assert.equal(graph.revision, store.revision);
      await store.close();
    });

    it('walks from the snapshot alone while a commit it holds is not yet delivered', async () => {
      const { store, wrapped } = await openWrapped(factory);
      await store.addRelationships(owns(deploy, rs), owns(rs, podRef('p0')));
      await store.getRelationships({ subject: rs }); // held: p0 alone
      wrapped.holdDelivery();
      const landed = wrapped.landed();
      const adding = store.addRelationships(owns(rs, podRef('p1')));
      await landed;
      const graph = await store.traverse({ from: deploy, maxDepth: 2 });
      assert.deepEqual(graph.nodes.map((n) => n.ref.name), ['nginx', 'nginx-7f', 'p0', 'p1'], 'the graph at the revision it reports');
      wrapped.releaseDelivery();
      await adding;
      await store.close();
    });

    it('does not keep the steps a walk scanned from a snapshot holding a commit not yet delivered', async () => {
      const { store, wrapped } = await openWrapped(factory);
      await store.addRelationships(owns(deploy, rs), owns(rs, podRef('p0')));
      wrapped.holdDelivery();
      const landed = wrapped.landed();
      const adding = store.addRelationships(owns(rs, podRef('p1')));
      await landed;
      const graph = await store.traverse({ from: deploy, maxDepth: 2 });
      assert.deepEqual(graph.nodes.map((n) => n.ref.name), ['nginx', 'nginx-7f', 'p0', 'p1']);
      const page = await store.getRelationships({ subject: rs });
      assert.deepEqual(names(page), ['nginx-7f→p0:u1', 'nginx-7f→p1:u1']);
      assert.ok(page.revision >= graph.revision, `answered at ${page.revision} what the store has at ${graph.revision}`);
      wrapped.releaseDelivery();
      await adding;
      await store.close();
    });
  });
}

describe('the relationship cache and predicate types registered later', () => {
  it('forgets what it held of a type read before the type was registered', async () => {
    const root = protobuf.Root.fromJSON({ nested: { example: { nested: { DependsOn: { fields: { reason: { type: 'string', id: 1 } } } } } } });
    const type = root.lookupType('example.DependsOn') as never;
    const { store: writer, path } = await diskFactory.open();
    writer.registerPredicate('example.DependsOn', type);
    await writer.addRelationships({ subject: deploy, predicate: { type: 'DependsOn', value: { reason: 'db' } }, object: node });
    await writer.close();
    const { store } = await diskFactory.open({}, path);
    const read = async () => (await store.getRelationships({ subject: deploy })).items[0]!.predicate;
    assert.deepEqual(await read(), { type: 'example.DependsOn', value: null }, 'a type this store does not know');
    assert.deepEqual(await read(), { type: 'example.DependsOn', value: null });
    store.registerPredicate('example.DependsOn', type);
    assert.deepEqual(await read(), { type: 'example.DependsOn', value: { reason: 'db' } });
    await store.close();
  });
});

describe('the relationship cache on postgresql', () => {
  it('answers from memory only while the database is at the revision this process has learnt, so another process’s write is in the next query', async () => {
    const location = await freshLocation();
    const [a, b] = [await openStore({ postgres: location }), await openStore({ postgres: location })];
    const hits = async () => Number(/resourcestore_relationship_cache_hits_total (\d+)/.exec(await b.metrics.metrics())![1]);
    const learnt = firstValueFrom(b.subscribe({ relationships: true })); // b learns of a's write
    await a.addRelationships(owns(rs, podRef('p0')));
    assert.deepEqual(names(await b.getRelationships({ subject: rs })), ['nginx-7f→p0:u1']);
    await learnt;
    const again = await b.getRelationships({ subject: rs });
    assert.deepEqual(names(again), ['nginx-7f→p0:u1']);
    assert.equal(again.revision, a.revision);
    const before = await hits();
    assert.deepEqual(names(await b.getRelationships({ subject: rs })), ['nginx-7f→p0:u1']);
    assert.equal(await hits(), before + 1, 'asked again with nothing new: answered from memory');
    // a writes; b has not learnt of it yet, and the database is ahead of b: b reads it.
    await a.addRelationships(owns(rs, podRef('p1')));
    assert.deepEqual(names(await b.getRelationships({ subject: rs })), ['nginx-7f→p0:u1', 'nginx-7f→p1:u1']);
    await a.close();
    await b.close();
  });
});

describe('the relationship cache’s bounds', () => {
  it('holds at most maxQueries answers and about maxBytes, least recently used out first, and refuses bad bounds', async () => {
    const { store, wrapped } = await openWrapped(memoryFactory, { cache: { relationships: { maxQueries: 2 } } });
    await store.addRelationships(...pods(3).map(bound));
    const scansOf = async (pod: string) => {
      const before = wrapped.scanned.length;
      await store.getRelationships({ subject: podRef(pod) });
      return wrapped.scanned.length - before;
    };
    assert.deepEqual([await scansOf('p0'), await scansOf('p1'), await scansOf('p0'), await scansOf('p2'), await scansOf('p0'), await scansOf('p1')], [1, 1, 0, 1, 0, 1]);
    await store.close();
    // And at most about maxBytes: 1 KiB a relationship, and one per answer.
    const small = await openStore({ cache: { relationships: { maxBytes: 8 * 1024 } } });
    await small.addRelationships(...pods(6).map(bound));
    for (let i = 0; i < 6; i++) await small.getRelationships({ subject: podRef(`p${i}`) });
    assert.match(await small.metrics.metrics(), /resourcestore_relationship_cache_answers 4\n/);
    await small.close();
    for (const relationships of [{ maxQueries: -1 }, { maxBytes: 'big' }, 'none']) {
      await assert.rejects(openStore({ cache: { relationships } as never }), (err: unknown) => isStoreError(err, 'INVALID_ARGUMENT') && /options\.cache\.relationships/.test(err.details.field ?? ''));
    }
  });

  it('counts an end whose last change it no longer remembers as changed at the latest change it let go', () => {
    const cache = new RelationCache(10, 1024 * 1024, 0);
    const ref = (name: string) => ({ group: '', version: 'v1', kind: 'Pod', namespace: 'web', name });
    const tick = cache.startScans();
    // More changed ends than it remembers: the first end's mark is let go.
    const changes = Array.from({ length: 5_001 }, (_, i) => ({ subject: ref(`s${i}`), object: ref(`o${i}`) }) as unknown as Relationship);
    cache.changed(changes);
    assert.equal(cache.changedSince(endCountKey(ref('s0')), tick), true);
    cache.keep('prefix', endCountKey(ref('s0')), tick, { keys: ['k'], items: [changes[0]!] });
    assert.equal(cache.get('prefix'), undefined);
    cache.endScans();
  });
});
