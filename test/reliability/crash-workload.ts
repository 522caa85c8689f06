/**
 * The crash test's workload: a deterministic stream of valid operations (adds, updates, deletes,
 * applies, relationship adds and deletes, batches) for one writer over its own namespace, derived
 * from a seed, with the model state it leads to. The writer process and the checking parent both
 * run it, so the parent knows exactly what each acknowledged operation did.
 */
import type { RefInput } from '../../src/model/types.js';
import type { BatchOperation } from '../../src/store/types.js';
import type { RelationshipInput } from '../../src/model/relationship-types.js';

export type Op =
  | { kind: 'add' | 'update' | 'apply'; name: string; value: number }
  | { kind: 'delete'; name: string }
  | { kind: 'relate' | 'unrelate'; from: string; to: string }
  | { kind: 'batch'; ops: Array<{ kind: 'add' | 'update'; name: string; value: number } | { kind: 'delete'; name: string }> };

/** What a writer's namespace holds: resources (name → value, version) and relationships (from>to). */
export interface WriterModel {
  readonly resources: Map<string, { value: number; version: number }>;
  readonly relationships: Set<string>;
  /** Store revisions taken so far. */
  changes: number;
}

const NAMES = Array.from({ length: 12 }, (_, i) => `r${i}`);

export function newModel(): WriterModel {
  return { resources: new Map(), relationships: new Set(), changes: 0 };
}

/** A small seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** The next valid operation for the model. */
export function nextOp(random: () => number, model: WriterModel, counter: number): Op {
  const present = [...model.resources.keys()];
  const absent = NAMES.filter((n) => !model.resources.has(n));
  const roll = random();
  if (roll < 0.25 && absent.length > 0) return { kind: 'add', name: pick(random, absent), value: counter };
  if (roll < 0.45 && present.length > 0) return { kind: 'update', name: pick(random, present), value: counter };
  if (roll < 0.55) return { kind: 'apply', name: pick(random, NAMES), value: counter };
  if (roll < 0.65 && present.length > 0) return { kind: 'delete', name: pick(random, present) };
  if (roll < 0.8) return { kind: 'relate', from: pick(random, NAMES), to: pick(random, NAMES) };
  if (roll < 0.88 && model.relationships.size > 0) {
    const [from, to] = pick(random, [...model.relationships]).split('>') as [string, string];
    return { kind: 'unrelate', from, to };
  }
  // A batch on distinct names, valid in order.
  const names = [...NAMES].sort(() => random() - 0.5).slice(0, 3);
  return {
    kind: 'batch',
    ops: names.map((name) => (model.resources.has(name) ? (random() < 0.5 ? { kind: 'update' as const, name, value: counter } : { kind: 'delete' as const, name }) : { kind: 'add' as const, name, value: counter })),
  };
}

function dropRelationshipsOf(model: WriterModel, name: string): void {
  for (const rel of [...model.relationships]) {
    const [from, to] = rel.split('>');
    if (from === name || to === name) {
      model.relationships.delete(rel);
      model.changes++;
    }
  }
}

/** Applies an operation to the model. */
export function applyOp(model: WriterModel, op: Op): void {
  switch (op.kind) {
    case 'add':
      model.resources.set(op.name, { value: op.value, version: 1 });
      model.changes++;
      return;
    case 'update': {
      const current = model.resources.get(op.name)!;
      model.resources.set(op.name, { value: op.value, version: current.version + 1 });
      model.changes++;
      return;
    }
    case 'apply': {
      const current = model.resources.get(op.name);
      model.resources.set(op.name, { value: op.value, version: current ? current.version + 1 : 1 });
      model.changes++;
      return;
    }
    case 'delete':
      model.resources.delete(op.name);
      model.changes++;
      dropRelationshipsOf(model, op.name);
      return;
    case 'relate': {
      // The payload follows from the triple: relating a stored triple again changes nothing.
      const triple = `${op.from}>${op.to}`;
      if (!model.relationships.has(triple)) model.changes++;
      model.relationships.add(triple);
      return;
    }
    case 'unrelate':
      model.relationships.delete(`${op.from}>${op.to}`);
      model.changes++;
      return;
    case 'batch':
      for (const inner of op.ops) applyOp(model, inner);
  }
}

export function refOf(namespace: string, name: string): RefInput {
  return { version: 'v1', kind: 'Item', namespace, name };
}

function relationship(namespace: string, from: string, to: string): RelationshipInput {
  return { subject: refOf(namespace, from), predicate: { type: 'OwnerReference', value: { name: from } }, object: refOf(namespace, to) };
}

/** The store call an operation makes. */
export function storeCall(namespace: string, op: Op): { method: string; args: unknown[] } {
  const resource = (name: string, value: number) => ({ ref: refOf(namespace, name), labels: { parity: value % 2 ? 'odd' : 'even' }, data: { value } });
  switch (op.kind) {
    case 'add':
    case 'update':
    case 'apply':
      return { method: op.kind, args: [resource(op.name, op.value)] };
    case 'delete':
      return { method: 'delete', args: [refOf(namespace, op.name)] };
    case 'relate':
      return { method: 'addRelationships', args: [relationship(namespace, op.from, op.to)] };
    case 'unrelate':
      return { method: 'deleteRelationships', args: [relationship(namespace, op.from, op.to)] };
    case 'batch':
      return {
        method: 'batch',
        args: [
          op.ops.map((inner): BatchOperation =>
            inner.kind === 'delete' ? { op: 'delete', ref: refOf(namespace, inner.name) } : { op: inner.kind, resource: resource(inner.name, inner.value) },
          ),
        ],
      };
  }
}
