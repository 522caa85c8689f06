/**
 * ingest: N resources with three labels (Pods, each on one of 100 Nodes) through `add` with 64
 * calls in flight, and through `batch` of 1,000; the anchor is raw classic-level writing the very
 * keys and values the store writes for them, in as many batches: the store's own key space after
 * the same ingest (in memory, the change log kept whole), so what derivation adds (the Pod's
 * PodNodeBinding edge in three orders, both ends' counts, its log entry, the label guards) is in
 * the anchor too, and only the work of making them is the store's.
 */
import { ClassicLevel } from 'classic-level';
import { DEFAULT_RETENTION } from '../../src/events/change-log.js';
import { KEY_SPACE } from '../../src/storage/key-catalogue.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { openStore, openStoreOn } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import type { ResourceInput } from '../../src/model/types.js';
import { rate, type BenchCase } from '../harness.js';
import { resource, scratch } from '../data.js';

const stored = new Map<number, Promise<Array<[string, Uint8Array]>>>();

/**
 * Every key and value the store holds after ingesting resources 0..n-1 (made once per N), in a
 * fixed shuffled order: the store's batches spread over the key space as its resources do, and a
 * sorted stream would let LevelDB move whole files down its levels without merging them.
 */
export function storedEntries(n: number): Promise<Array<[string, Uint8Array]>> {
  if (!stored.has(n)) stored.set(n, readStoredEntries(n).then(shuffled));
  return stored.get(n)!;
}

function shuffled<T>(items: T[]): T[] {
  let seed = 42;
  for (let i = items.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function readStoredEntries(n: number): Promise<Array<[string, Uint8Array]>> {
  const engine = await openLevelEngine();
  const store = await openStoreOn(engine, { maxDataBytes: 1 << 20, cache: { maxEntries: 0 }, registry: undefined, retention: { ...DEFAULT_RETENTION, maxEvents: Number.MAX_SAFE_INTEGER } });
  try {
    for (let b = 0; b < n; b += 1000) await store.batch(Array.from({ length: Math.min(1000, n - b) }, (_, j) => ({ op: 'add' as const, resource: resource(b + j) })));
    const entries: Array<[string, Uint8Array]> = [];
    for await (const chunk of engine.scan(KEY_SPACE)) for (const [key, value] of chunk) entries.push([key, value]);
    return entries;
  } finally {
    await store.close();
  }
}

async function rawIngest(n: number): Promise<number> {
  const entries = await storedEntries(n);
  const perBatch = Math.ceil(entries.length / Math.ceil(n / 1000));
  const dir = scratch();
  const db = new ClassicLevel<string, Uint8Array>(dir.path, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  try {
    return await rate(n, async () => {
      for (let b = 0; b < entries.length; b += perBatch) {
        const batch = db.batch();
        for (let i = b; i < Math.min(entries.length, b + perBatch); i++) batch.put(entries[i]![0], entries[i]![1]);
        await batch.write();
      }
    });
  } finally {
    await db.close();
    dir.remove();
  }
}

/** Resources per second writing `inputs` into `store`: through `add` with `inFlight` calls in flight, or through `batch` of 1,000. */
export function ingestInto(store: ResourceStore, inputs: readonly ResourceInput[], mode: 'add' | 'batch', inFlight = 64): Promise<number> {
  return rate(inputs.length, async () => {
    if (mode === 'batch') {
      for (let b = 0; b < inputs.length; b += 1000) await store.batch(inputs.slice(b, b + 1000).map((r) => ({ op: 'add' as const, resource: r })));
    } else {
      let next = 0;
      await Promise.all(Array.from({ length: inFlight }, async () => {
        while (next < inputs.length) await store.add(inputs[next++]!);
      }));
    }
  });
}

async function storeIngest(n: number, mode: 'add' | 'batch'): Promise<number> {
  const inputs = Array.from({ length: n }, (_, i) => resource(i));
  const dir = scratch();
  const store = await openStore({ path: dir.path });
  try {
    return await ingestInto(store, inputs, mode);
  } finally {
    await store.close();
    dir.remove();
  }
}

export function ingestCases(n: number): BenchCase[] {
  const anchor = () => rawIngest(n);
  return [
    { workload: 'ingest', name: `add, 64 in flight (N=${n})`, unit: 'resources/s', project: () => storeIngest(n, 'add'), anchor, anchorName: 'raw classic-level, the keys and values the store writes, in as many batches', target: { ratio: 0.5, text: '≥ 0.5×' } },
    { workload: 'ingest', name: `batch of 1,000 (N=${n})`, unit: 'resources/s', project: () => storeIngest(n, 'batch'), anchor, anchorName: 'raw classic-level, the keys and values the store writes, in as many batches', target: { ratio: 0.7, text: '≥ 0.7×' } },
  ];
}
