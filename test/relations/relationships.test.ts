import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { OWNER_REFERENCE, POD_NODE_BINDING } from '../../src/relations/predicates.js';
import type { RelationshipInput } from '../../src/model/relationship-types.js';
import { StoreError } from '../../src/storage/errors.js';
import type { RefInput } from '../../src/model/types.js';
import { factories, rawKeySpace } from '../helpers/stores.js';
import { pod, podRef } from '../helpers/fixtures.js';
import { pull } from '../helpers/events.js';

const deploy: RefInput = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'web', name: 'nginx' };
const rs: RefInput = { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'web', name: 'nginx-7f' };
const node: RefInput = { version: 'v1', kind: 'Node', name: 'node-1' };
const owns = (subject: RefInput, object: RefInput, uid = 'u1'): RelationshipInput => ({
  subject,
  predicate: { type: 'OwnerReference', value: { kind: subject.kind, name: subject.name, uid, controller: true } },
  object,
});
const bound = (p: RefInput, n: RefInput): RelationshipInput => ({ subject: p, predicate: { type: 'PodNodeBinding', value: { nodeName: n.name } }, object: n });
const code = (expected: string, field?: string) => (err: unknown) =>
  err instanceof StoreError && err.code === expected && (field === undefined || err.details.field === field);
const describeRel = (r: { subject: { name: string }; predicate: { type: string }; object: { name: string } }) =>
  `${r.subject.name} ${r.predicate.type.split('.').pop()} ${r.object.name}`;

for (const factory of factories) {
  describe(`relationships on ${factory.name}`, () => {
    it('adds triples and answers every combination of subject, predicate and object', async () => {
      const { store } = await factory.open();
      await store.addRelationships(owns(deploy, rs), owns(rs, podRef('p1')), owns(rs, podRef('p2')), bound(podRef('p1'), node), bound(podRef('p2'), node));
      const q = async (query: object) => (await store.getRelationships(query)).items.map(describeRel).sort();
      assert.deepEqual(await q({}), ['nginx OwnerReference nginx-7f', 'nginx-7f OwnerReference p1', 'nginx-7f OwnerReference p2', 'p1 PodNodeBinding node-1', 'p2 PodNodeBinding node-1']);
      assert.deepEqual(await q({ subject: rs }), ['nginx-7f OwnerReference p1', 'nginx-7f OwnerReference p2']);
      assert.deepEqual(await q({ subject: podRef('p1'), predicate: 'PodNodeBinding' }), ['p1 PodNodeBinding node-1']);
      assert.deepEqual(await q({ subject: rs, predicate: OWNER_REFERENCE, object: podRef('p2') }), ['nginx-7f OwnerReference p2']);
      assert.deepEqual(await q({ predicate: 'PodNodeBinding' }), ['p1 PodNodeBinding node-1', 'p2 PodNodeBinding node-1']);
      assert.deepEqual(await q({ predicate: 'OwnerReference', object: podRef('p1') }), ['nginx-7f OwnerReference p1']);
      assert.deepEqual(await q({ object: node }), ['p1 PodNodeBinding node-1', 'p2 PodNodeBinding node-1']);
      assert.deepEqual(await q({ subject: podRef('p2'), object: node }), ['p2 PodNodeBinding node-1']);
      const [first] = (await store.getRelationships({ subject: deploy })).items;
      assert.deepEqual(first!.predicate, { type: OWNER_REFERENCE, value: { kind: 'Deployment', name: 'nginx', uid: 'u1', controller: true, blockOwnerDeletion: false, apiVersion: '' } });
      assert.deepEqual(first!.subject, { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'web', name: 'nginx' });
      await store.close();
    });

    it('takes a type or a type in a namespace as a prefix where the index order allows', async () => {
      const { store } = await factory.open();
      await store.addRelationships(owns(rs, podRef('p1', 'web')), owns(rs, podRef('p2', 'db')), bound(podRef('p1', 'web'), node));
      const q = async (query: object) => (await store.getRelationships(query)).items.map(describeRel).sort();
      const pods = { version: 'v1', kind: 'Pod' };
      assert.deepEqual(await q({ object: pods }), ['nginx-7f OwnerReference p1', 'nginx-7f OwnerReference p2']);
      assert.deepEqual(await q({ object: { ...pods, namespace: 'db' } }), ['nginx-7f OwnerReference p2']);
      assert.deepEqual(await q({ subject: pods }), ['p1 PodNodeBinding node-1']);
      assert.deepEqual(await q({ predicate: 'OwnerReference', object: { ...pods, namespace: 'web' } }), ['nginx-7f OwnerReference p1']);
      assert.deepEqual(await q({ object: node, subject: { ...pods, namespace: 'web' } }), ['p1 PodNodeBinding node-1']);
      await assert.rejects(store.getRelationships({ subject: pods, predicate: 'OwnerReference' }), code('INVALID_ARGUMENT', 'subject'));
      await assert.rejects(store.getRelationships({ subject: rs, object: pods }), code('INVALID_ARGUMENT', 'object'));
      await store.close();
    });

    it('updates an existing triple instead of duplicating it, keeping createdAt', async () => {
      const { store } = await factory.open();
      const [first] = await store.addRelationships(owns(deploy, rs, 'old'));
      const revision = store.revision;
      const [second] = await store.addRelationships(owns(deploy, rs, 'new'));
      assert.equal(store.revision, revision + 1);
      assert.equal(second!.createdAt, first!.createdAt);
      assert.ok(second!.updatedAt >= first!.updatedAt);
      const items = (await store.getRelationships({ subject: deploy })).items;
      assert.equal(items.length, 1);
      assert.equal(items[0]!.predicate.value!.uid, 'new');
      await store.close();
    });

    it('changes nothing when a triple is added again with an equal payload: no revision, no event, updatedAt kept', async () => {
      const { store } = await factory.open();
      const [first] = await store.addRelationships(owns(deploy, rs, 'same'), bound(podRef('a'), node));
      const revision = store.revision;
      const events = store.watch({}, { fromRevision: revision });
      const [again, boundAgain] = await store.addRelationships(owns(deploy, rs, 'same'), bound(podRef('a'), node));
      const [inBatch] = await store.batch([{ op: 'relate', relationship: owns(deploy, rs, 'same') }]);
      assert.equal(store.revision, revision);
      assert.deepEqual(again, first);
      assert.equal(again!.updatedAt, first!.updatedAt);
      assert.equal(boundAgain!.predicate.value!.nodeName, 'node-1');
      assert.equal((inBatch as { updatedAt: string }).updatedAt, first!.updatedAt);
      await store.add(pod('marker'));
      const [next] = await pull(events, 1);
      assert.equal(next!.kind, 'resource', 'the first change after the re-adds is the marker');
      assert.equal(next!.revision, revision + 1);
      await events.return?.();
      const [changed] = await store.addRelationships(owns(deploy, rs, 'other'));
      assert.equal(store.revision, revision + 2);
      assert.equal(changed!.createdAt, first!.createdAt);
      await store.close();
    });

    it('deletes relationships: NOT_FOUND for an absent one unless told to ignore it', async () => {
      const { store } = await factory.open();
      await store.addRelationships(owns(deploy, rs));
      await assert.rejects(store.deleteRelationships(owns(rs, podRef('x'))), code('NOT_FOUND'));
      const [gone] = await store.deleteRelationships(owns(deploy, rs));
      assert.equal(gone!.subject.name, 'nginx');
      assert.deepEqual(await store.deleteRelationships(owns(deploy, rs), { ignoreMissing: true }), [undefined]);
      assert.equal((await store.getRelationships({})).items.length, 0);
      await store.close();
    });

    it('is atomic as a set: one bad or missing relationship writes none', async () => {
      const { store, engine } = await factory.open();
      await store.addRelationships(owns(deploy, rs));
      const before = await rawKeySpace(engine);
      await assert.rejects(store.addRelationships(owns(rs, podRef('p1')), { ...owns(rs, podRef('p2')), object: { version: 'v1', kind: 'Pod', name: '' } }), code('INVALID_ARGUMENT', 'relationships[1].object.name'));
      await assert.rejects(store.deleteRelationships(owns(deploy, rs), owns(rs, podRef('absent'))), code('NOT_FOUND'));
      assert.deepEqual(await rawKeySpace(engine), before);
      await store.close();
    });

    it('accepts ends that are not stored, in any order, and takes a revision per change', async () => {
      const { store } = await factory.open();
      const start = store.revision;
      await store.addRelationships(owns(deploy, rs), owns(rs, podRef('p1')));
      assert.equal(store.revision, start + 2);
      await store.add(pod('p1'));
      const graph = await store.traverse({ from: deploy });
      assert.deepEqual(graph.nodes.map((n) => [n.ref.name, n.depth, n.resource !== undefined]), [['nginx', 0, false], ['nginx-7f', 1, false], ['p1', 2, true]]);
      await store.close();
    });

    it('deletes every relationship naming a resource with it, in the same write', async () => {
      const { store, engine } = await factory.open();
      await store.add(pod('p1'));
      await store.addRelationships(owns(rs, podRef('p1')), bound(podRef('p1'), node), bound(podRef('p2'), node), owns(podRef('p1'), podRef('p1')));
      const revision = store.revision;
      await store.delete(podRef('p1'));
      assert.equal(store.revision, revision + 4, 'the resource and its three relationships');
      assert.deepEqual((await store.getRelationships({})).items.map(describeRel), ['p2 PodNodeBinding node-1']);
      const keys = [...(await rawKeySpace(engine)).keys()].filter((k) => k.startsWith('/rel'));
      assert.ok(keys.every((k) => !k.includes('/p1')), keys.join('\n'));
      assert.ok(keys.includes('/rel-count//v1/Node//node-1'));
      await store.close();
    });

    it('keeps relationship counts and indices exact when cascades race relationship writes', async () => {
      const { store, engine } = await factory.open();
      await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const p = podRef(`p${i % 6}`);
          await Promise.allSettled([
            store.add(pod(`p${i % 6}`)),
            store.addRelationships(owns(rs, p), bound(p, node)),
            store.delete(p),
            store.addRelationships(owns(p, podRef(`p${(i + 1) % 6}`))),
          ]);
        }),
      );
      const keys = [...(await rawKeySpace(engine))];
      const triples = keys.filter(([k]) => k.startsWith('/rel-spo/')).map(([k]) => k.split('/').slice(2));
      for (const order of ['/rel-pos/', '/rel-osp/']) assert.equal(keys.filter(([k]) => k.startsWith(order)).length, triples.length, order);
      const counts = new Map<string, number>();
      for (const t of triples) for (const end of [t.slice(0, 5), t.slice(6, 11)]) counts.set(end.join('/'), (counts.get(end.join('/')) ?? 0) + 1);
      const stored = new Map(keys.filter(([k]) => k.startsWith('/rel-count/')).map(([k, v]) => [k.slice('/rel-count/'.length), Buffer.from(v, 'hex').readDoubleBE(0)]));
      assert.deepEqual(stored, counts);
      await store.close();
    });

    it('refuses incomplete refs, unknown predicate types and undecodable payloads, writing nothing', async () => {
      const { store, engine } = await factory.open();
      const before = await rawKeySpace(engine);
      const cases: Array<[unknown, string]> = [
        [{ ...owns(deploy, rs), subject: { kind: 'Deployment', name: 'x' } }, 'relationships[0].subject.version'],
        [{ ...owns(deploy, rs), object: undefined }, 'relationships[0].object'],
        [{ ...owns(deploy, rs), predicate: { type: 'Unregistered' } }, 'relationships[0].predicate.type'],
        [{ ...owns(deploy, rs), predicate: { type: 'OwnerReference', value: { controller: 'yes' } } }, 'relationships[0].predicate.value'],
        [{ ...owns(deploy, rs), predicate: { type: 'OwnerReference', value: { nope: 1 } } }, 'relationships[0].predicate.value'],
        [{ ...owns(deploy, rs), predicate: { typeUrl: `type.googleapis.com/${OWNER_REFERENCE}`, value: new Uint8Array([0x0a, 0xff]) } }, 'relationships[0].predicate.value'],
        [{ ...owns(deploy, rs), predicate: { typeUrl: 'type.googleapis.com/x.Unknown', value: new Uint8Array() } }, 'relationships[0].predicate.typeUrl'],
        [{ ...owns(deploy, rs), predicate: 'OwnerReference' }, 'relationships[0].predicate'],
      ];
      for (const [input, field] of cases) {
        await assert.rejects(store.addRelationships(input as RelationshipInput), code('INVALID_ARGUMENT', field), field);
      }
      await assert.rejects(store.addRelationships(), code('INVALID_ARGUMENT'));
      await assert.rejects(store.getRelationships({ predicate: 'Nope' }), code('INVALID_ARGUMENT', 'predicate'));
      assert.deepEqual(await rawKeySpace(engine), before);
      await store.close();
    });

    it('stores a predicate given as an encoded protobuf Any', async () => {
      const { store } = await factory.open();
      const { resourcestore } = await import('../../src/gen/schema.js');
      const value = resourcestore.v1.PodNodeBinding.encode({ nodeName: 'node-1' }).finish();
      await store.addRelationships({ subject: podRef('p1'), predicate: { typeUrl: `type.googleapis.com/${POD_NODE_BINDING}`, value }, object: node });
      assert.deepEqual((await store.getRelationships({ subject: podRef('p1') })).items[0]!.predicate, { type: POD_NODE_BINDING, value: { nodeName: 'node-1' } });
      await store.close();
    });

    it('takes predicate types of the user’s own, by full name and unambiguous short name', async () => {
      const { store } = await factory.open();
      const root = protobuf.Root.fromJSON({
        nested: {
          example: { nested: { DependsOn: { fields: { reason: { type: 'string', id: 1 } } } } },
          other: { nested: { DependsOn: { fields: { weight: { type: 'int32', id: 1 } } } } },
        },
      });
      store.registerPredicate('example.DependsOn', root.lookupType('example.DependsOn') as never);
      await store.addRelationships({ subject: deploy, predicate: { type: 'DependsOn', value: { reason: 'db' } }, object: node });
      store.registerPredicate('other.DependsOn', root.lookupType('other.DependsOn') as never);
      await assert.rejects(store.addRelationships({ subject: deploy, predicate: { type: 'DependsOn' }, object: node }), code('INVALID_ARGUMENT', 'relationships[0].predicate.type'));
      await store.addRelationships({ subject: deploy, predicate: { type: 'other.DependsOn', value: { weight: 3 } }, object: node });
      const items = (await store.getRelationships({ subject: deploy })).items;
      assert.deepEqual(items.map((r) => r.predicate), [{ type: 'example.DependsOn', value: { reason: 'db' } }, { type: 'other.DependsOn', value: { weight: 3 } }]);
      assert.throws(() => store.registerPredicate('not a name', root.lookupType('other.DependsOn') as never), code('INVALID_ARGUMENT'));
      assert.throws(() => store.registerPredicate('x.Y', {} as never), code('INVALID_ARGUMENT'));
      await store.close();
    });

    it('pages relationship queries with limit and continue', async () => {
      const { store } = await factory.open();
      await store.addRelationships(...Array.from({ length: 9 }, (_, i) => owns(rs, podRef(`p${i}`))));
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await store.getRelationships({ subject: rs, limit: 4, ...(token ? { continue: token } : {}) });
        seen.push(...page.items.map((r) => r.object.name));
        token = page.continue;
      } while (token);
      assert.deepEqual(seen, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']);
      const first = (await store.getRelationships({ subject: rs, limit: 4 })).continue!;
      await assert.rejects(store.getRelationships({ object: rs, limit: 4, continue: first }), code('INVALID_ARGUMENT', 'continue'));
      await store.close();
    });

    it('mixes resource writes and relationships in one batch', async () => {
      const { store } = await factory.open();
      await store.batch([
        { op: 'add', resource: pod('p1') },
        { op: 'add', resource: { ref: node } },
        { op: 'relate', relationship: bound(podRef('p1'), node) },
      ]);
      assert.equal((await store.getRelationships({ object: node })).items.length, 1);
      await assert.rejects(store.batch([{ op: 'unrelate', relationship: bound(podRef('p1'), node) }, { op: 'add', resource: pod('p1') }]), code('ALREADY_EXISTS'));
      assert.equal((await store.getRelationships({ object: node })).items.length, 1, 'the failed batch left the relationship');
      const [none] = await store.batch([{ op: 'unrelate', relationship: owns(deploy, rs), ignoreMissing: true }]);
      assert.equal(none, undefined);
      await store.close();
    });
  });
}
