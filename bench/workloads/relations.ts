/**
 * relations: a fixture graph of Deployments → ReplicaSets → Pods → Nodes (each ReplicaSet owns
 * 100 Pods, each Node runs 100), N triples in all. Adding them, and queries by subject (100
 * results), by object (100 results), by predicate + object (100 results), and a traversal of
 * depth 3 from a Deployment; the anchor is levelgraph 4 (on `level` 8) holding the same triples.
 * Each query is asked of two stores holding the same triples: one as opened by default, whose
 * relationship cache answers a query asked again (the rounds ask the same ends again, as a
 * dashboard does), and one with that cache off, where every query scans.
 */
import { Level } from 'level';
import levelgraph from 'levelgraph';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import type { RelationshipInput } from '../../src/model/relationship-types.js';
import type { ResourceRef } from '../../src/model/types.js';
import { rate, type BenchCase } from '../harness.js';
import { randomInts, scratch } from '../data.js';

interface Triple {
  subject: string;
  predicate: string;
  object: string;
}
type Graph = ReturnType<typeof levelgraph>;

const refString = (r: ResourceRef): string => `${r.group}/${r.version}/${r.kind}/${r.namespace}/${r.name}`;

function fixture(n: number): { rels: RelationshipInput[]; triples: Triple[]; replicaSets: number; nodes: number } {
  const pods = Math.floor(n / 2 / 100) * 100;
  const replicaSets = pods / 100;
  const nodes = pods / 100;
  const rels: RelationshipInput[] = [];
  const deployment = (i: number): ResourceRef => ({ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'ns', name: `d-${i}` });
  const rs = (i: number): ResourceRef => ({ group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'ns', name: `rs-${i}` });
  const pod = (i: number): ResourceRef => ({ group: '', version: 'v1', kind: 'Pod', namespace: 'ns', name: `pod-${i}` });
  const node = (i: number): ResourceRef => ({ group: '', version: 'v1', kind: 'Node', namespace: '', name: `node-${i}` });
  for (let i = 0; i < replicaSets; i++) rels.push({ subject: deployment(i), predicate: { type: 'OwnerReference', value: { kind: 'Deployment', name: `d-${i}` } }, object: rs(i) });
  for (let i = 0; i < pods; i++) {
    rels.push({ subject: rs(Math.floor(i / 100)), predicate: { type: 'OwnerReference', value: { kind: 'ReplicaSet', name: `rs-${Math.floor(i / 100)}` } }, object: pod(i) });
    rels.push({ subject: pod(i), predicate: { type: 'PodNodeBinding', value: { nodeName: `node-${i % nodes}` } }, object: node(i % nodes) });
  }
  const triples = rels.map((r) => ({ subject: refString(r.subject as ResourceRef), predicate: (r.predicate as { type: string }).type, object: refString(r.object as ResourceRef) }));
  return { rels, triples, replicaSets, nodes };
}

const put = (db: Graph, triples: Triple[]): Promise<void> => new Promise((resolve, reject) => db.put(triples, (err: unknown) => (err ? reject(err) : resolve())));
const get = (db: Graph, pattern: Partial<Triple>): Promise<Triple[]> => new Promise((resolve, reject) => db.get(pattern, (err: unknown, list: Triple[]) => (err ? reject(err) : resolve(list))));
const close = (db: Graph): Promise<void> => new Promise((resolve) => db.close(() => resolve()));

export function relationCases(n: number, queries: number): BenchCase[] {
  const { rels, triples, replicaSets, nodes } = fixture(n);
  let store: ResourceStore;
  /** The same store's data, its relationship cache off: what a query costs the first time. */
  let cold: ResourceStore;
  let graph: Graph;
  const dirs: Array<() => void> = [];
  const pickRs = randomInts(replicaSets, queries, 7);
  const pickNode = randomInts(nodes, queries, 9);
  const pickDeployment = randomInts(replicaSets, Math.max(10, queries / 10), 11);
  const setup = async (): Promise<void> => {
    const a = scratch();
    const b = scratch();
    const c = scratch();
    dirs.push(a.remove, b.remove, c.remove);
    store = await openStore({ path: a.path });
    cold = await openStore({ path: c.path, cache: { relationships: { maxQueries: 0 } } });
    for (const s of [store, cold]) for (let i = 0; i < rels.length; i += 1000) await s.addRelationships(...rels.slice(i, i + 1000));
    graph = levelgraph(new Level(b.path));
    for (let i = 0; i < triples.length; i += 1000) await put(graph, triples.slice(i, i + 1000));
  };
  const teardown = async (): Promise<void> => {
    await store.close();
    await cold.close();
    await close(graph);
    for (const remove of dirs.splice(0)) remove();
  };
  const rsRef = (i: number): ResourceRef => ({ group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'ns', name: `rs-${i}` });
  const nodeRef = (i: number): ResourceRef => ({ group: '', version: 'v1', kind: 'Node', namespace: '', name: `node-${i}` });
  const deploymentRef = (i: number): ResourceRef => ({ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'ns', name: `d-${i}` });
  const check = (count: number, expected: number): void => {
    if (count !== expected) throw new Error(`expected ${expected} results, got ${count}`);
  };
  const queryCase = (
    name: string,
    project: (s: ResourceStore, i: number) => Promise<number>,
    anchor: (i: number) => Promise<number>,
    picks: number[],
    expected: number,
    which: 'held' | 'cold',
  ): BenchCase => ({
    workload: 'relations',
    name: which === 'held' ? `${name}, asked again (the relationship cache)` : `${name}, relationship cache off`,
    unit: 'queries/s',
    setup,
    teardown,
    project: () => rate(picks.length, async () => {
      const s = which === 'held' ? store : cold;
      for (const i of picks) check(await project(s, i), expected);
    }),
    anchor: () => rate(picks.length, async () => {
      for (const i of picks) check(await anchor(i), expected);
    }),
    anchorName: 'levelgraph 4, same triples',
    ...(which === 'held' ? { target: { ratio: 2, text: '≥ 2×' } } : {}),
  });

  /** Breadth-first walk in levelgraph, one `get` per node, as a traversal must. */
  const levelgraphWalk = async (from: string, depth: number): Promise<number> => {
    const seen = new Set([from]);
    let frontier = [from];
    for (let d = 0; d < depth; d++) {
      const next: string[] = [];
      for (const node of frontier) {
        for (const t of await get(graph, { subject: node })) {
          if (!seen.has(t.object)) {
            seen.add(t.object);
            next.push(t.object);
          }
        }
      }
      frontier = next;
    }
    return seen.size;
  };

  return [
    {
      workload: 'relations',
      name: `add ${rels.length} triples (batches of 1,000)`,
      unit: 'triples/s',
      project: async () => {
        const dir = scratch();
        const s = await openStore({ path: dir.path });
        try {
          return await rate(rels.length, async () => {
            for (let i = 0; i < rels.length; i += 1000) await s.addRelationships(...rels.slice(i, i + 1000));
          });
        } finally {
          await s.close();
          dir.remove();
        }
      },
      anchor: async () => {
        const dir = scratch();
        const g = levelgraph(new Level(dir.path));
        try {
          return await rate(triples.length, async () => {
            for (let i = 0; i < triples.length; i += 1000) await put(g, triples.slice(i, i + 1000));
          });
        } finally {
          await close(g);
          dir.remove();
        }
      },
      anchorName: 'levelgraph 4, same triples, batches of 1,000',
      target: { ratio: 1.5, text: '≥ 1.5×' },
    },
    ...(['held', 'cold'] as const).flatMap((which) => [
      queryCase('by subject (100 results)', async (s, i) => (await s.getRelationships({ subject: rsRef(i) })).items.length, async (i) => (await get(graph, { subject: refString(rsRef(i)) })).length, pickRs, 100, which),
      queryCase('by object (100 results)', async (s, i) => (await s.getRelationships({ object: nodeRef(i) })).items.length, async (i) => (await get(graph, { object: refString(nodeRef(i)) })).length, pickNode, 100, which),
      queryCase(
        'by predicate + object (100 results)',
        async (s, i) => (await s.getRelationships({ predicate: 'PodNodeBinding', object: nodeRef(i) })).items.length,
        async (i) => (await get(graph, { predicate: 'PodNodeBinding', object: refString(nodeRef(i)) })).length,
        pickNode,
        100,
        which,
      ),
      queryCase(
        'traversal depth 3 from a Deployment (1 + 1 + 100 + ≤100 nodes)',
        async (s, i) => {
          const walk = await s.traverse({ from: deploymentRef(i), maxDepth: 3, limit: 100_000 });
          return walk.nodes.length > 100 ? 1 : 0;
        },
        async (i) => ((await levelgraphWalk(refString(deploymentRef(i)), 3)) > 100 ? 1 : 0),
        pickDeployment,
        1,
        which,
      ),
    ]),
  ];
}
