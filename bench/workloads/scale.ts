/**
 * scale: one store grown to each size in turn; from each, the rate of the next 10,000 writes
 * (`batch` of 1,000) and of 10,000 random gets with the cache off, and of lists by type + namespace
 * (each the median of three such probes, one after another), each held against its own figure
 * at the smallest size (the cost of a write must not grow with the store), after a warm-up in a
 * store of its own. Then the time to open the largest store, and the process's peak RSS,
 * with what it is made of measured apart: the process before the store opened, the store's live
 * JS heap after a full collection, and the largest anonymous and file-mapped RSS seen at the end
 * of each phase (LevelDB maps the tables it reads, and those pages count as the process's).
 * Last, with the memory already read, raw classic-level grown the same way with each resource's
 * record, index entries and log entry (`rawEntries`): how much of a write's growth is LevelDB's.
 */
import { readFileSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { rate, type BenchCase } from '../harness.js';
import { NAMESPACES, randomInts, rawEntries, ref, resource, scratch } from '../data.js';

const PROBE = 10_000;
/** Probes per size: each figure is the median of three (one probe can fall on a compaction, or miss it). */
const PROBES = 3;

/** The median of `PROBES` figures of `probe`, taken one after another. */
async function medianProbe(probe: (k: number) => Promise<number>): Promise<number> {
  const figures: number[] = [];
  for (let k = 0; k < PROBES; k++) figures.push(await probe(k));
  return figures.sort((a, b) => a - b)[PROBES >> 1]!;
}

/** The process's resident memory now, in MB: all of it, and its anonymous and file-mapped parts (Linux; zero elsewhere). */
function residentMb(): { anon: number; file: number } {
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return { anon: 0, file: 0 };
  }
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { anon: kb('RssAnon') / 1024, file: kb('RssFile') / 1024 };
}

/** The JS heap's live objects in MB, after a full collection when the process runs with `--expose-gc`. */
function liveHeapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/**
 * The process's first writes, gets and lists pay for compiling their paths, which would make the
 * figures at the smallest size (the anchors) the compiler's: they run first in a store of their
 * own, removed after.
 */
async function warmUp(): Promise<void> {
  const dir = scratch();
  const store = await openStore({ path: dir.path, cache: { maxEntries: 0 } });
  try {
    for (let b = 0; b < PROBE; b += 1000) await store.batch(Array.from({ length: 1000 }, (_, j) => ({ op: 'add' as const, resource: resource(b + j) })));
    for (const i of randomInts(PROBE, PROBE, 1)) await store.get(ref(i));
    await store.list({ type: { version: 'v1', kind: 'Pod' }, namespace: 'ns-0', limit: 500 });
  } finally {
    await store.close();
    dir.remove();
  }
}

/**
 * Raw classic-level grown to each size in turn with the keys and values of `rawEntries`, a batch
 * per 1,000 resources as the store writes them: from each size, the rate of the next 10,000
 * resources' writes (the median of three probes).
 */
async function rawGrowth(sizes: readonly number[]): Promise<Map<number, number>> {
  const dir = scratch();
  const db = new ClassicLevel<string, Uint8Array>(dir.path, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const rates = new Map<number, number>();
  let stored = 0;
  /** The entries of the next `count` resources, made before any write of them is timed. */
  const next = (count: number): Array<Array<[string, Uint8Array]>> => {
    const now = Date.now();
    return Array.from({ length: count }, (_, j) => rawEntries(stored + j, now));
  };
  const write = async (resources: ReadonlyArray<ReadonlyArray<[string, Uint8Array]>>): Promise<void> => {
    const batch = db.batch();
    for (const entries of resources) for (const [key, value] of entries) batch.put(key, value);
    await batch.write();
    stored += resources.length;
  };
  try {
    for (const size of sizes) {
      while (stored < size) await write(next(Math.min(1000, size - stored)));
      rates.set(size, await medianProbe(() => {
        const probe = next(PROBE);
        return rate(PROBE, async () => {
          for (let b = 0; b < PROBE; b += 1000) await write(probe.slice(b, b + 1000));
        });
      }));
    }
    return rates;
  } finally {
    await db.close();
    dir.remove();
  }
}

export function scaleCases(sizes: readonly number[]): BenchCase[] {
  const results = new Map<string, number>();
  let measured = false;
  const measure = async (): Promise<void> => {
    if (measured) return;
    measured = true;
    results.set('rss-before', process.memoryUsage().rss / 2 ** 20);
    const peaks = { anon: 0, file: 0 };
    const notePhase = (): void => {
      const now = residentMb();
      peaks.anon = Math.max(peaks.anon, now.anon);
      peaks.file = Math.max(peaks.file, now.file);
    };
    await warmUp();
    const dir = scratch();
    let store: ResourceStore = await openStore({ path: dir.path, cache: { maxEntries: 0 } });
    let stored = 0;
    for (const size of sizes) {
      while (stored < size) {
        const count = Math.min(1000, size - stored);
        await store.batch(Array.from({ length: count }, (_, j) => ({ op: 'add' as const, resource: resource(stored + j) })));
        stored += count;
      }
      notePhase();
      results.set(`ingest@${size}`, await medianProbe(() => rate(PROBE, async () => {
        for (let b = 0; b < PROBE; b += 1000) {
          await store.batch(Array.from({ length: 1000 }, (_, j) => ({ op: 'add' as const, resource: resource(stored + j) })));
          stored += 1000;
        }
      })));
      results.set(`get@${size}`, await medianProbe((k) => {
        const picks = randomInts(stored, PROBE, size + k);
        return rate(PROBE, async () => {
          for (const i of picks) await store.get(ref(i));
        });
      }));
      notePhase();
      results.set(`list@${size}`, await medianProbe(async () => {
        let items = 0;
        const listRate = await rate(1, async () => {
          for (let k = 0; k < 3; k++) items += (await store.list({ type: { version: 'v1', kind: 'Pod' }, namespace: `ns-${k}`, limit: 500 })).items.length;
        });
        return listRate * items;
      }));
      notePhase();
    }
    results.set('heap', liveHeapMb());
    await store.close();
    const start = performance.now();
    store = await openStore({ path: dir.path });
    results.set('open', performance.now() - start);
    await store.list({ type: { version: 'v1', kind: 'Pod' }, namespace: `ns-${NAMESPACES - 1}`, limit: 1 });
    await store.close();
    results.set('rss', process.resourceUsage().maxRSS / 1024);
    results.set('anon', peaks.anon);
    results.set('file', peaks.file);
    dir.remove();
    await rawGrowth([PROBE]); // its warm-up, as the store's: the first writes of a fresh database run slower
    for (const [size, figure] of await rawGrowth(sizes)) results.set(`raw@${size}`, figure);
  };
  const smallest = sizes[0]!;
  const cases: BenchCase[] = [];
  for (const what of ['ingest', 'get', 'list'] as const) {
    for (const size of sizes.slice(1)) {
      cases.push({
        workload: 'scale',
        name: `${what} at ${size.toLocaleString('en-US')} stored vs ${smallest.toLocaleString('en-US')}`,
        unit: what === 'ingest' ? 'resources/s' : what === 'get' ? 'gets/s' : 'items/s',
        project: async () => {
          await measure();
          return results.get(`${what}@${size}`)!;
        },
        anchor: async () => {
          await measure();
          return results.get(`${what}@${smallest}`)!;
        },
        anchorName: `the same at ${smallest.toLocaleString('en-US')} stored`,
        target: { ratio: 0.8, text: '≥ 0.8×' },
      });
    }
  }
  for (const size of sizes.slice(1)) {
    cases.push({
      workload: 'scale',
      name: `raw classic-level (each resource's record, index entries and log entry): ingest at ${size.toLocaleString('en-US')} stored vs ${smallest.toLocaleString('en-US')}`,
      unit: 'resources/s',
      project: async () => (await measure(), results.get(`raw@${size}`)!),
      anchor: async () => (await measure(), results.get(`raw@${smallest}`)!),
      anchorName: `the same at ${smallest.toLocaleString('en-US')} stored`,
    });
  }
  /** What the store holds at the end: the largest size and the probes written from it. */
  const held = (sizes.at(-1)! + PROBES * PROBE).toLocaleString('en-US');
  cases.push(
    { workload: 'scale', name: `open a store of ${held}`, unit: 'ms', project: async () => (await measure(), results.get('open')!), target: { absolute: 1000, lowerIsBetter: true, text: '< 1 s' } },
    { workload: 'scale', name: `peak RSS of the benchmark process (after ${held})`, unit: 'MB', project: async () => (await measure(), results.get('rss')!), target: { absolute: 400, lowerIsBetter: true, text: '< 400 MB' } },
    ...(
      [
        ['rss-before', 'of it: RSS before the store opened (node, tsx, the benchmark)'],
        ['heap', `of it: the store's live JS heap at ${held} (after a full collection)`],
        ['anon', 'of it: largest anonymous RSS at a phase end (JS heap, LevelDB memory, allocator)'],
        ['file', "of it: largest file-mapped RSS at a phase end (LevelDB's mapped tables, code)"],
      ] as const
    ).map(([key, name]): BenchCase => ({ workload: 'scale', name, unit: 'MB', project: async () => (await measure(), results.get(key)!) })),
  );
  return cases;
}
