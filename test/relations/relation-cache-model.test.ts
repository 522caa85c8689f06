/**
 * The relationship cache under concurrency: random writes and queries issued together, so that
 * queries race the writes, on a store that keeps the cache (and on PostgreSQL, two processes
 * writing and asking at once). Every answer must be exactly the
 * relationships committed at the revision it reports, as the ordered event stream says they were:
 * the model replays the relationship events up to that revision.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Relationship, RelationshipInput } from '../../src/model/relationship-types.js';
import type { ResourceRef } from '../../src/model/types.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { isStoreError } from '../../src/storage/errors.js';
import { diskFactory, memoryFactory } from '../helpers/stores.js';
import { freshLocation } from '../helpers/postgres.js';
import { openStore } from '../../src/store/open-store.js';
import { filter, firstValueFrom } from 'rxjs';

const REFS: ResourceRef[] = [
  { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'a', name: 'd' },
  { group: '', version: 'v1', kind: 'Pod', namespace: 'a', name: 'p' },
  { group: '', version: 'v1', kind: 'Pod', namespace: 'a', name: 'q' },
  { group: '', version: 'v1', kind: 'Node', namespace: '', name: 'n' },
];
const TYPES = ['resourcestore.v1.OwnerReference', 'resourcestore.v1.PodNodeBinding'];
const refId = (r: ResourceRef) => `${r.group}/${r.kind}/${r.namespace}/${r.name}`;
const indexOf = (r: ResourceRef) => REFS.findIndex((x) => refId(x) === refId(r));
const idOf = (r: Relationship) => `${indexOf(r.subject)}|${TYPES.indexOf(r.predicate.type)}|${indexOf(r.object)}`;
const rel = (s: number, t: number, o: number, v: number): RelationshipInput => ({ subject: REFS[s]!, predicate: { type: TYPES[t]!, value: t === 0 ? { kind: 'Deployment', name: `v${v}` } : { nodeName: `v${v}` } }, object: REFS[o]! });

type Op =
  | { op: 'relate'; s: number; t: number; o: number; v: number }
  | { op: 'unrelate'; s: number; t: number; o: number }
  | { op: 'addResource'; r: number }
  | { op: 'deleteResource'; r: number }
  | { op: 'query'; end: number; as: 'subject' | 'object' | 'predicate+object'; t: number }
  | { op: 'walk'; from: number };

const ref = fc.nat(3);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('relate' as const), s: ref, t: fc.nat(1), o: ref, v: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unrelate' as const), s: ref, t: fc.nat(1), o: ref }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('addResource' as const, 'deleteResource' as const), r: ref }) as fc.Arbitrary<Op> },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('query' as const), end: ref, as: fc.constantFrom('subject' as const, 'object' as const, 'predicate+object' as const), t: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('walk' as const), from: ref }) },
);

/** What a query or walk answered: the triples (or nodes) and the revision it reported. */
interface Seen {
  readonly op: Op;
  readonly revision: number;
  readonly answer: string[];
}

async function perform(store: ResourceStore, o: Op, seen: Seen[]): Promise<void> {
  try {
    if (o.op === 'relate') await store.addRelationships(rel(o.s, o.t, o.o, o.v));
    else if (o.op === 'unrelate') await store.deleteRelationships(rel(o.s, o.t, o.o, 0), { ignoreMissing: true });
    else if (o.op === 'addResource' || o.op === 'deleteResource') await (o.op === 'addResource' ? store.add({ ref: REFS[o.r]! }) : store.delete(REFS[o.r]!));
    else if (o.op === 'query') {
      const end = REFS[o.end]!;
      const query = o.as === 'subject' ? { subject: end } : o.as === 'object' ? { object: end } : { predicate: TYPES[o.t]!, object: end };
      const page = await store.getRelationships(query);
      seen.push({ op: o, revision: page.revision, answer: page.items.map((r) => `${idOf(r)}|${JSON.stringify(r.predicate.value)}`).sort() });
    } else {
      const graph = await store.traverse({ from: REFS[o.from]!, direction: 'both', maxDepth: 3 });
      seen.push({ op: o, revision: graph.revision, answer: graph.nodes.map((n) => `${n.depth}:${indexOf(n.ref)}`).sort() });
    }
  } catch (err) {
    if (!isStoreError(err, 'NOT_FOUND') && !isStoreError(err, 'ALREADY_EXISTS')) throw err;
  }
}

/** The relationships committed at each revision, from the ordered events: triple id → predicate value. */
class History {
  readonly #events: Array<{ revision: number; type: string; relationship: Relationship }> = [];
  /** The last revision whose event was noted. */
  last = 0;

  note(revision: number, type: string, relationship: Relationship): void {
    this.#events.push({ revision, type, relationship });
    this.last = revision;
  }

  at(revision: number): Map<string, string> {
    const state = new Map<string, string>();
    for (const e of this.#events) {
      if (e.revision > revision) break;
      if (e.type === 'delete') state.delete(idOf(e.relationship));
      else state.set(idOf(e.relationship), JSON.stringify(e.relationship.predicate.value));
    }
    return state;
  }
}

function expected(o: Op, state: Map<string, string>): string[] {
  const triples = [...state].map(([id, value]) => ({ id, value, parts: id.split('|').map(Number) as [number, number, number] }));
  if (o.op === 'query') {
    return triples
      .filter(({ parts: [s, t, ob] }) => (o.as === 'subject' ? s === o.end : o.as === 'object' ? ob === o.end : ob === o.end && t === o.t))
      .map(({ id, value }) => `${id}|${value}`)
      .sort();
  }
  if (o.op !== 'walk') throw new Error('not a read');
  const depth = new Map([[o.from, 0]]);
  let frontier = [o.from];
  for (let d = 1; d <= 3; d++) {
    const next: number[] = [];
    for (const n of frontier) {
      for (const { parts: [s, , ob] } of triples) {
        for (const m of [s === n ? ob : undefined, ob === n ? s : undefined]) {
          if (m !== undefined && !depth.has(m)) {
            depth.set(m, d);
            next.push(m);
          }
        }
      }
    }
    frontier = next;
  }
  return [...depth].map(([n, d]) => `${d}:${n}`).sort();
}

/** Until `store`'s event stream has delivered `revision`. */
function learnt(store: ResourceStore, history: History, revision: number): Promise<void> {
  if (history.last >= revision) return Promise.resolve();
  return firstValueFrom(store.subscribe({ relationships: true }, { fromRevision: history.last }).pipe(filter((e) => e.revision >= revision))).then(() => undefined);
}

/** Until `store` has learnt of every commit up to `revision`. */
async function caughtUp(store: ResourceStore, revision: number): Promise<void> {
  if (store.revision >= revision) return;
  await firstValueFrom(store.subscribe({ relationships: true }, { fromRevision: store.revision }).pipe(filter((e) => e.revision >= revision)));
}

/**
 * Found by CI: two resources' deletes run together, and the cascade of one lists a relationship
 * that the other's takes before the first reads it (test/relations/guarded-scans.test.ts holds that
 * window open).
 */
const CASCADE_RACE: Op[][] = [
  [{ op: 'addResource', r: 3 }, { op: 'relate', s: 0, t: 0, o: 0, v: 0 }],
  [{ op: 'addResource', r: 1 }, { op: 'query', end: 0, as: 'subject', t: 0 }],
  [{ op: 'relate', s: 1, t: 0, o: 3, v: 0 }],
  [{ op: 'relate', s: 0, t: 1, o: 3, v: 0 }, { op: 'query', end: 0, as: 'subject', t: 0 }],
  [{ op: 'deleteResource', r: 1 }, { op: 'unrelate', s: 0, t: 1, o: 3 }, { op: 'deleteResource', r: 3 }],
  [{ op: 'addResource', r: 0 }],
];

for (const factory of [memoryFactory, diskFactory]) {
  describe(`the relationship cache under concurrent writes on ${factory.name}`, () => {
    it('answers every query and walk with exactly what was committed at the revision it reports', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 10 }), async (waves) => {
          const { store } = await factory.open();
          const history = new History();
          const sub = store.subscribe({ relationships: true }).subscribe((event) => {
            if (event.kind === 'relationship') history.note(event.revision, event.type, event.relationship);
          });
          const seen: Seen[] = [];
          try {
            // Each wave's operations run together: its queries race its writes.
            for (const wave of waves) await Promise.all(wave.map((o) => perform(store, o, seen)));
            for (const s of seen) assert.deepEqual(s.answer, expected(s.op, history.at(s.revision)), `${JSON.stringify(s.op)} at revision ${s.revision}`);
          } finally {
            sub.unsubscribe();
            await store.close();
          }
        }),
        { numRuns: factory.name === 'memory-level' ? 60 : 20, examples: [[CASCADE_RACE]] },
      );
    });
  });
}

describe('the relationship cache under concurrent writes of two processes on postgresql', () => {
  it('answers every query and walk of either process with exactly what was committed at the revision it reports', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.tuple(fc.nat(1), op), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), async (waves) => {
        const location = await freshLocation();
        const stores = [await openStore({ postgres: location }), await openStore({ postgres: location })];
        const history = new History();
        // One process's stream has every commit of both, in revision order.
        const sub = stores[0]!.subscribe({ relationships: true }).subscribe((event) => {
          if (event.kind === 'relationship') history.note(event.revision, event.type, event.relationship);
        });
        const seen: Seen[] = [];
        try {
          for (const wave of waves) {
            await Promise.all(wave.map(([on, o]) => perform(stores[on]!, o, seen)));
            // Both processes learn of every commit before the next wave, so their caches fill (and must be dropped).
            const revision = Math.max(...stores.map((s) => s.revision));
            await Promise.all(stores.map((s) => caughtUp(s, revision)));
          }
          await learnt(stores[0]!, history, Math.max(...stores.map((s) => s.revision)));
          for (const s of seen) assert.deepEqual(s.answer, expected(s.op, history.at(s.revision)), `${JSON.stringify(s.op)} at revision ${s.revision}`);
        } finally {
          sub.unsubscribe();
          for (const store of stores) await store.close();
        }
      }),
      { numRuns: 8 },
    );
  });
});
