/**
 * Model-based test: random sequences of resource and relationship writes and deletes, on both
 * engines, against a naive in-memory model; after every step, every query shape and traversals
 * in every direction must agree with the model.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { RelationshipInput } from '../../src/model/relationship-types.js';
import { isStoreError } from '../../src/storage/errors.js';
import type { ResourceRef } from '../../src/model/types.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { factories } from '../helpers/stores.js';

const REFS: ResourceRef[] = [
  { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'a', name: 'd' },
  { group: '', version: 'v1', kind: 'Pod', namespace: 'a', name: 'p' },
  { group: '', version: 'v1', kind: 'Pod', namespace: 'ab', name: 'p' },
  { group: '', version: 'v1', kind: 'Node', namespace: '', name: 'n' },
];
const TYPES = ['resourcestore.v1.OwnerReference', 'resourcestore.v1.PodNodeBinding'];
const refId = (r: ResourceRef) => `${r.group}/${r.kind}/${r.namespace}/${r.name}`;
const tripleId = (s: number, t: number, o: number) => `${s}|${t}|${o}`;

type Step =
  | { op: 'addResource' | 'deleteResource'; r: number }
  | { op: 'relate' | 'unrelate'; s: number; t: number; o: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constantFrom('addResource' as const, 'deleteResource' as const), r: fc.nat(3) }),
  fc.record({ op: fc.constantFrom('relate' as const, 'relate' as const, 'unrelate' as const), s: fc.nat(3), t: fc.nat(1), o: fc.nat(3) }),
);

class Model {
  readonly resources = new Set<number>();
  readonly triples = new Set<string>();

  apply(s: Step): 'ok' | 'NOT_FOUND' | 'ALREADY_EXISTS' {
    if (s.op === 'addResource') {
      if (this.resources.has(s.r)) return 'ALREADY_EXISTS';
      this.resources.add(s.r);
    } else if (s.op === 'deleteResource') {
      if (!this.resources.delete(s.r)) return 'NOT_FOUND';
      for (const id of [...this.triples]) {
        const [a, , b] = id.split('|').map(Number);
        if (a === s.r || b === s.r) this.triples.delete(id);
      }
    } else if (s.op === 'relate') {
      this.triples.add(tripleId(s.s, s.t, s.o));
    } else if (s.op === 'unrelate' && !this.triples.delete(tripleId(s.s, s.t, s.o))) {
      return 'NOT_FOUND';
    }
    return 'ok';
  }

  query(s?: number, t?: number, o?: number): string[] {
    return [...this.triples].filter((id) => {
      const [a, b, c] = id.split('|').map(Number);
      return (s === undefined || a === s) && (t === undefined || b === t) && (o === undefined || c === o);
    }).sort();
  }

  reach(from: number, out: boolean, inward: boolean, depth: number): string[] {
    const seen = new Map([[from, 0]]);
    let frontier = [from];
    for (let d = 1; d <= depth; d++) {
      const next: number[] = [];
      for (const n of frontier) {
        for (const id of this.triples) {
          const [a, , b] = id.split('|').map(Number) as [number, number, number];
          for (const m of [out && a === n ? b : undefined, inward && b === n ? a : undefined]) {
            if (m !== undefined && !seen.has(m)) {
              seen.set(m, d);
              next.push(m);
            }
          }
        }
      }
      frontier = next;
    }
    return [...seen].map(([n, d]) => `${d}:${refId(REFS[n]!)}`).sort();
  }
}

const rel = (s: number, t: number, o: number): RelationshipInput => ({ subject: REFS[s]!, predicate: { type: TYPES[t]! }, object: REFS[o]! });

async function run(store: ResourceStore, s: Step): Promise<string> {
  try {
    if (s.op === 'addResource') await store.add({ ref: REFS[s.r]! });
    else if (s.op === 'deleteResource') await store.delete(REFS[s.r]!);
    else if (s.op === 'relate') await store.addRelationships(rel(s.s, s.t, s.o));
    else if (s.op === 'unrelate') await store.deleteRelationships(rel(s.s, s.t, s.o));
    return 'ok';
  } catch (err) {
    if (isStoreError(err)) return err.code;
    throw err;
  }
}

async function check(store: ResourceStore, model: Model): Promise<void> {
  const ids = (items: readonly { subject: ResourceRef; predicate: { type: string }; object: ResourceRef }[]) =>
    items.map((r) => tripleId(REFS.findIndex((x) => refId(x) === refId(r.subject)), TYPES.indexOf(r.predicate.type), REFS.findIndex((x) => refId(x) === refId(r.object)))).sort();
  const ends = [undefined, 0, 1, 2, 3];
  for (const s of ends) {
    for (const t of [undefined, 0, 1]) {
      for (const o of ends) {
        const query = { ...(s === undefined ? {} : { subject: REFS[s] }), ...(t === undefined ? {} : { predicate: TYPES[t] }), ...(o === undefined ? {} : { object: REFS[o] }) };
        assert.deepEqual(ids((await store.getRelationships(query)).items), model.query(s, t, o), JSON.stringify(query));
      }
    }
  }
  for (let from = 0; from < REFS.length; from++) {
    for (const [out, inward] of [[true, false], [false, true], [true, true]] as const) {
      const graph = await store.traverse({ from: REFS[from]!, direction: out && inward ? 'both' : out ? 'out' : 'in', maxDepth: 2 });
      assert.deepEqual(graph.nodes.map((n) => `${n.depth}:${refId(n.ref)}`).sort(), model.reach(from, out, inward, 2));
      for (const n of graph.nodes) assert.equal(n.resource !== undefined, model.resources.has(REFS.findIndex((x) => refId(x) === refId(n.ref))));
    }
  }
}

for (const factory of factories) {
  describe(`relationship model on ${factory.name}`, () => {
    it('agrees with a naive model after every step of random write sequences', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
          const { store } = await factory.open();
          const model = new Model();
          try {
            for (const s of steps) {
              assert.equal(await run(store, s), model.apply(s), JSON.stringify(s));
              await check(store, model);
            }
          } finally {
            await store.close();
          }
        }),
        { numRuns: factory.name === 'memory-level' ? 40 : 12 },
      );
    });
  });
}
