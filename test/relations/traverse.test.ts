import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RelationshipInput } from '../../src/model/relationship-types.js';
import { StoreError } from '../../src/storage/errors.js';
import type { RefInput } from '../../src/model/types.js';
import { factories } from '../helpers/stores.js';
import { podRef } from '../helpers/fixtures.js';

const deploy: RefInput = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'web', name: 'nginx' };
const rs: RefInput = { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'web', name: 'nginx-7f' };
const node: RefInput = { version: 'v1', kind: 'Node', name: 'node-1' };
const owns = (subject: RefInput, object: RefInput): RelationshipInput => ({ subject, predicate: { type: 'OwnerReference', value: { kind: subject.kind, name: subject.name } }, object });
const bound = (p: RefInput): RelationshipInput => ({ subject: p, predicate: { type: 'PodNodeBinding', value: { nodeName: 'node-1' } }, object: node });
const invalid = (field: string) => (err: unknown) => err instanceof StoreError && err.code === 'INVALID_ARGUMENT' && err.details.field === field;

for (const factory of factories) {
  describe(`traverse on ${factory.name}`, () => {
    async function cluster() {
      const opened = await factory.open();
      await opened.store.add({ ref: deploy, data: { spec: { replicas: 2 } } });
      await opened.store.add({ ref: node });
      await opened.store.addRelationships(owns(deploy, rs), owns(rs, podRef('p1')), owns(rs, podRef('p2')), bound(podRef('p1')), bound(podRef('p2')));
      return opened;
    }
    const summary = (graph: { nodes: readonly { ref: { name: string }; depth: number }[] }) => graph.nodes.map((n) => `${n.depth}:${n.ref.name}`);

    it('walks Deployment → ReplicaSet → Pods → Node outward, breadth first, with resources and edges', async () => {
      const { store } = await cluster();
      const graph = await store.traverse({ from: deploy, direction: 'out', maxDepth: 3 });
      assert.deepEqual(summary(graph), ['0:nginx', '1:nginx-7f', '2:p1', '2:p2', '3:node-1']);
      assert.equal(graph.edges.length, 5);
      assert.equal(graph.truncated, false);
      assert.equal(graph.revision, store.revision);
      assert.deepEqual(graph.nodes[0]!.resource?.data, { spec: { replicas: 2 } });
      assert.equal(graph.nodes[1]!.resource, undefined, 'the ReplicaSet is not stored');
      await store.close();
    });

    it('walks inward from a Node to what runs on it and what owns that', async () => {
      const { store } = await cluster();
      assert.deepEqual(summary(await store.traverse({ from: node, direction: 'in', maxDepth: 5 })), ['0:node-1', '1:p1', '1:p2', '2:nginx-7f', '3:nginx']);
      assert.deepEqual(summary(await store.traverse({ from: node, direction: 'in', maxDepth: 1 })), ['0:node-1', '1:p1', '1:p2']);
      assert.deepEqual(summary(await store.traverse({ from: node, direction: 'in', maxDepth: 0 })), ['0:node-1']);
      await store.close();
    });

    it('walks both ways, and only along the predicate types asked for', async () => {
      const { store } = await cluster();
      assert.deepEqual(summary(await store.traverse({ from: podRef('p1'), direction: 'both', maxDepth: 2 })), ['0:p1', '1:node-1', '1:nginx-7f', '2:p2', '2:nginx']);
      assert.deepEqual(summary(await store.traverse({ from: deploy, predicates: ['OwnerReference'], maxDepth: 5 })), ['0:nginx', '1:nginx-7f', '2:p1', '2:p2']);
      assert.deepEqual(summary(await store.traverse({ from: node, direction: 'in', predicates: ['PodNodeBinding'], maxDepth: 5 })), ['0:node-1', '1:p1', '1:p2']);
      await store.close();
    });

    it('ends on cycles and cuts at the node limit, saying so', async () => {
      const { store } = await factory.open();
      const a = podRef('a');
      const b = podRef('b');
      await store.addRelationships(owns(a, b), owns(b, a), owns(a, a));
      const cycle = await store.traverse({ from: a, direction: 'both', maxDepth: 10 });
      assert.deepEqual(summary(cycle), ['0:a', '1:b']);
      assert.equal(cycle.edges.length, 3);
      await store.addRelationships(...Array.from({ length: 10 }, (_, i) => owns(rs, podRef(`p${i}`))));
      const cut = await store.traverse({ from: rs, limit: 4 });
      assert.equal(cut.nodes.length, 4);
      assert.equal(cut.truncated, true);
      assert.equal(cut.edges.length, 3, 'only edges between returned nodes');
      await store.close();
    });

    it('refuses bad options with INVALID_ARGUMENT naming them', async () => {
      const { store } = await factory.open();
      await assert.rejects(store.traverse({ from: deploy, direction: 'up' as never }), invalid('direction'));
      await assert.rejects(store.traverse({ from: deploy, maxDepth: 65 }), invalid('maxDepth'));
      await assert.rejects(store.traverse({ from: deploy, maxDepth: -1 }), invalid('maxDepth'));
      await assert.rejects(store.traverse({ from: deploy, limit: 0 }), invalid('limit'));
      await assert.rejects(store.traverse({ from: deploy, predicates: ['Nope'] }), invalid('predicates[0]'));
      await assert.rejects(store.traverse({ from: { version: 'v1', kind: 'Pod' } as never }), invalid('from.name'));
      await store.close();
    });
  });
}
