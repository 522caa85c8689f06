/**
 * Graph traversal for dashboards: breadth first from a resource, along relationships out
 * (subject to object), in (object to subject) or both, optionally only of some predicate types,
 * up to a depth, within one snapshot. Each step is prefix scans of the node's own relationships
 * (`/rel-spo/{node}/[{predicate}/]` out, `/rel-pos/{predicate}/{node}/` or `/rel-osp/{node}/` in),
 * so a traversal costs what it returns; the relationship cache answers the steps it holds. A node
 * is visited once, so cycles end; the node limit cuts the walk, and `truncated` says so. Edges
 * are every relationship walked between returned nodes.
 */
import type { Engine, EngineSnapshot } from '../storage/engine.js';
import { encodeKey, prefixRange } from '../storage/key-codec.js';
import { refFields } from '../model/refs.js';
import { resourceKey } from '../model/resource-keys.js';
import type { Resource, ResourceRef } from '../model/types.js';
import { decodeRelationship } from './relation-codec.js';
import { endCountKey, OSP, POS, SPO, spoKey, tripleOfKey } from './relation-keys.js';
import type { RelationCache, ScanAnswer } from './relation-cache.js';
import type { PredicateRegistry } from './predicates.js';
import type { Graph, GraphNode, Relationship } from '../model/relationship-types.js';

/** A validated traversal. */
export interface TraversalPlan {
  readonly from: ResourceRef;
  readonly out: boolean;
  readonly in: boolean;
  /** Full predicate type names, or undefined for all. */
  readonly predicates: readonly string[] | undefined;
  readonly maxDepth: number;
  readonly limit: number;
}

/** What a traversal reads with. */
export interface TraversalContext {
  readonly engine: Engine;
  readonly predicates: PredicateRegistry;
  /** The resource stored under a key, from bytes read in the snapshot. */
  readonly loadResource: (key: string, bytes: Uint8Array) => Resource;
  /** The relationship cache, where the store keeps one. */
  readonly cache: RelationCache | undefined;
}

/** The prefixes holding the relationships one step from `node` takes. */
function stepPrefixes(node: ResourceRef, plan: TraversalPlan): string[] {
  const fields = refFields(node);
  const prefixes: string[] = [];
  if (plan.out) {
    if (plan.predicates) for (const p of plan.predicates) prefixes.push(encodeKey(SPO, ...fields, p));
    else prefixes.push(encodeKey(SPO, ...fields));
  }
  if (plan.in) {
    if (plan.predicates) for (const p of plan.predicates) prefixes.push(encodeKey(POS, p, ...fields));
    else prefixes.push(encodeKey(OSP, ...fields));
  }
  return prefixes;
}

function sameRef(a: ResourceRef, b: ResourceRef): boolean {
  return a.name === b.name && a.namespace === b.namespace && a.kind === b.kind && a.version === b.version && a.group === b.group;
}

/** Answers held in the relationship cache, for one traversal: its tick, and the ends it took answers of. */
interface CachedSteps {
  readonly cache: RelationCache;
  readonly tick: number;
  readonly ends: Set<string>;
}

/**
 * Walks the graph from `plan.from`. With the relationship cache, each step's answer it holds is
 * read from memory, and each step scanned is offered to it. A held answer is the latest state,
 * the snapshot's only if its end did not change since the walk began (and every commit the
 * snapshot holds has been delivered, so such a change is known); if not, the walk is done again
 * from a fresh snapshot, without the cache.
 */
export async function traverse(plan: TraversalPlan, ctx: TraversalContext): Promise<Graph> {
  const { cache } = ctx;
  if (cache === undefined) return walk(plan, ctx, undefined);
  const steps: CachedSteps = { cache, tick: cache.startScans(), ends: new Set() };
  try {
    const graph = await walk(plan, ctx, steps);
    // Every commit the snapshot holds is delivered, so a change of a held step's end since the walk began has marked it.
    if (cache.upTo >= graph.revision && ![...steps.ends].some((end) => cache.changedSince(end, steps.tick))) return graph;
  } finally {
    cache.endScans();
  }
  return walk(plan, ctx, undefined);
}

const SPO_PREFIX = encodeKey(SPO);

/** The SPO key of a relationship read under `key` in any order: one key per relationship, whichever way it was walked. */
function spoKeyOf(key: string): string {
  return key.startsWith(SPO_PREFIX) ? key : spoKey(tripleOfKey(key));
}

/** The relationships under `prefix`, all naming `node`, in key order: held by the cache, or scanned (and offered to it). */
async function step(prefix: string, node: ResourceRef, snapshot: EngineSnapshot, revision: number, ctx: TraversalContext, cached: CachedSteps | undefined): Promise<ScanAnswer> {
  const end = cached && endCountKey(node);
  const held = cached?.cache.get(prefix);
  cached?.cache.answered(held !== undefined);
  if (held) {
    cached!.ends.add(end!);
    return held;
  }
  const keys: string[] = [];
  const items: Relationship[] = [];
  for await (const chunk of ctx.engine.scan({ ...prefixRange(prefix), snapshot })) {
    for (const [key, bytes] of chunk) {
      keys.push(key);
      items.push(decodeRelationship(bytes, key, ctx.predicates));
    }
  }
  const answer = { keys, items };
  // As a query's: kept only once every commit the snapshot holds has been delivered.
  if (cached && cached.cache.upTo >= revision) cached.cache.keep(prefix, end!, cached.tick, answer);
  return answer;
}

async function walk(plan: TraversalPlan, ctx: TraversalContext, cached: CachedSteps | undefined): Promise<Graph> {
  const { engine } = ctx;
  const snapshot: EngineSnapshot = engine.snapshot();
  try {
    const revision = await engine.revisionAt(snapshot);
    const depths = new Map<string, { ref: ResourceRef; depth: number }>([[resourceKey(plan.from), { ref: plan.from, depth: 0 }]]);
    const edges = new Map<string, Relationship>();
    let truncated = false;
    let frontier = [plan.from];
    for (let depth = 1; depth <= plan.maxDepth && frontier.length > 0; depth++) {
      const next: ResourceRef[] = [];
      for (const node of frontier) {
        for (const prefix of stepPrefixes(node, plan)) {
          const { keys, items } = await step(prefix, node, snapshot, revision, ctx, cached);
          for (let i = 0; i < items.length; i++) {
            const relationship = items[i]!;
            const neighbour = sameRef(relationship.subject, node) && plan.out ? relationship.object : relationship.subject;
            const neighbourKey = resourceKey(neighbour);
            if (!depths.has(neighbourKey)) {
              if (depths.size >= plan.limit) {
                truncated = true;
                continue;
              }
              depths.set(neighbourKey, { ref: neighbour, depth });
              next.push(neighbour);
            }
            const spo = spoKeyOf(keys[i]!);
            if (!edges.has(spo)) edges.set(spo, relationship);
          }
        }
      }
      frontier = next;
    }
    const entries = [...depths.entries()];
    const values = await engine.getMany(entries.map(([key]) => key), snapshot);
    const nodes: GraphNode[] = entries.map(([key, { ref, depth }], i) => {
      const bytes = values[i];
      return bytes === undefined ? { ref, depth } : { ref, depth, resource: ctx.loadResource(key, bytes) };
    });
    return { nodes, edges: [...edges.values()], revision, truncated };
  } finally {
    await snapshot.close();
  }
}
