/**
 * derive: what keeping the derived graph true costs in the write path.
 * - Ingest of the real dumps in test/fixtures/k8s-dumps (1,317 objects, parsed beforehand, each ref
 *   once), into a fresh on-disk store per copy, as many copies as make about N objects (at most
 *   20,000): through `batch` of 1,000, and through `apply` one at a time as `import` writes; each
 *   with every built-in rule against a store that runs none (`derivation.disable`). Target ≥ 0.7×.
 * - A Pod relabel (its `rev` label changes, so ServiceSelects is worked out again) in a namespace
 *   with 1,000 Services that do not select it, against the same with 10: the cost must not grow
 *   with the Services that do not select it (target ≥ 0.8×, flat within this machine's noise). One
 *   Service selects the Pod on both sides. The 1,000 select on another value of the Pod's label
 *   key (`app=svc-i`), so the selector index files them apart from the Pod's labels.
 * - The same relabel with 1,000 Services whose selectors share the Pod's first label pair
 *   (`app=web`) but not their second (`tier=svc-i`): the selector index files a selector under its
 *   first pair only, so these are scanned and checked; this case shows what that costs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { BUILTIN_RULES } from '../../src/relations/builtin-rules.js';
import { SERVICE_SELECTS_RULE } from '../../src/relations/derivation-rules.js';
import { readKubernetesObjects } from '../../src/import/kubernetes-objects.js';
import { toResourceInput } from '../../src/import/resource-input.js';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import type { ResourceInput, ResourceRef } from '../../src/model/types.js';
import { type BenchCase } from '../harness.js';
import { scratch } from '../data.js';

const DUMPS = new URL('../../test/fixtures/k8s-dumps/', import.meta.url);
const EVERY_RULE = [...BUILTIN_RULES.map((rule) => rule.name), SERVICE_SELECTS_RULE];

/** The resources of every dump, each ref once (the last object of a ref wins, as `import` leaves it). */
function dumpResources(): ResourceInput[] {
  const byRef = new Map<string, ResourceInput>();
  for (const file of readdirSync(DUMPS).filter((f) => !f.endsWith('.md')).sort()) {
    for (const { object } of readKubernetesObjects(file, readFileSync(new URL(file, DUMPS), 'utf8')).objects) {
      const input = toResourceInput(object as Record<string, unknown>);
      if (typeof input !== 'string') byRef.set(JSON.stringify(input.ref), input);
    }
  }
  return [...byRef.values()];
}

/** Objects per second ingesting `copies` copies of `inputs`, each into a fresh store; only the writes are timed. */
async function ingest(inputs: ResourceInput[], copies: number, mode: 'batch' | 'apply', derive: boolean): Promise<number> {
  let ms = 0;
  for (let copy = 0; copy < copies; copy++) {
    const dir = scratch();
    const store = await openStore({ path: dir.path, ...(derive ? {} : { derivation: { disable: EVERY_RULE } }) });
    try {
      const start = performance.now();
      if (mode === 'batch') {
        for (let b = 0; b < inputs.length; b += 1000) await store.batch(inputs.slice(b, b + 1000).map((resource) => ({ op: 'add' as const, resource })));
      } else {
        for (const resource of inputs) await store.apply(resource);
      }
      ms += performance.now() - start;
    } finally {
      await store.close();
      dir.remove();
    }
  }
  return (inputs.length * copies) / (ms / 1000);
}

const NS = 'web';
const podRef: ResourceRef = { group: '', version: 'v1', kind: 'Pod', namespace: NS, name: 'p' };
const pod = (rev: number): ResourceInput => ({ ref: podRef, labels: { app: 'web', tier: 'front', rev: `r${rev}` }, data: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: NS }, spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'nginx' }] } } });
const service = (name: string, selector: Record<string, string>): ResourceInput => ({
  ref: { group: '', version: 'v1', kind: 'Service', namespace: NS, name },
  data: { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { selector } },
});

/** A store holding the Pod, one Service that selects it and `others` Services that do not (selecting `app=svc-i`, or with `shared`, `app=web,tier=svc-i`). */
async function relabelStore(others: number, shared: boolean): Promise<{ store: ResourceStore; remove: () => void }> {
  const dir = scratch();
  const store = await openStore({ path: dir.path });
  const services = Array.from({ length: others }, (_, i) => service(`other-${i}`, shared ? { app: 'web', tier: `svc-${i}` } : { app: `svc-${i}` }));
  await store.batch([service('selecting', { app: 'web' }), ...services, pod(0)].map((resource) => ({ op: 'add' as const, resource })));
  return { store, remove: dir.remove };
}

/** Relabels per second: `count` updates of the Pod's `rev` label, each checked to leave the one ServiceSelects edge. */
async function relabel(store: ResourceStore, count: number, from: number): Promise<number> {
  const start = performance.now();
  for (let i = 1; i <= count; i++) await store.update(pod(from + i));
  const ms = performance.now() - start;
  const selecting = await store.getRelationships({ predicate: 'ServiceSelects', object: podRef });
  if (selecting.items.length !== 1) throw new Error(`expected 1 Service to select the Pod, found ${selecting.items.length}`);
  return count / (ms / 1000);
}

export function deriveCases(n: number): BenchCase[] {
  const inputs = dumpResources();
  const copies = Math.max(1, Math.round(Math.min(n, 20_000) / inputs.length));
  const objects = (inputs.length * copies).toLocaleString('en-US');
  const relabels = Math.max(200, Math.min(n, 2_000));
  const ingestCase = (mode: 'batch' | 'apply', name: string): BenchCase => ({
    workload: 'derive',
    name: `ingest the dumps, ${name} (${objects} objects)`,
    unit: 'objects/s',
    project: () => ingest(inputs, copies, mode, true),
    anchor: () => ingest(inputs, copies, mode, false),
    anchorName: 'the same store with every built-in rule disabled',
    target: { ratio: 0.7, text: '≥ 0.7×' },
  });
  const relabelCase = (shared: boolean, name: string, target: BenchCase['target']): BenchCase => {
    let many: { store: ResourceStore; remove: () => void };
    let few: { store: ResourceStore; remove: () => void };
    let rounds = 0;
    return {
      workload: 'derive',
      name: `Pod relabel, ${name} (${relabels.toLocaleString('en-US')} relabels)`,
      unit: 'relabels/s',
      setup: async () => {
        many = await relabelStore(1000, shared);
        few = await relabelStore(10, shared);
      },
      teardown: async () => {
        await many.store.close();
        await few.store.close();
        many.remove();
        few.remove();
      },
      project: () => relabel(many.store, relabels, relabels * rounds++),
      anchor: () => relabel(few.store, relabels, relabels * rounds++),
      anchorName: `the same with 10 such Services`,
      ...(target ? { target } : {}),
    };
  };
  return [
    ingestCase('batch', 'batches of 1,000'),
    ingestCase('apply', 'apply one at a time (as import)'),
    relabelCase(false, '1,000 Services that do not select it', { ratio: 0.8, text: '≥ 0.8× (flat)' }),
    relabelCase(true, '1,000 Services sharing its first label pair that do not select it', undefined),
  ];
}
