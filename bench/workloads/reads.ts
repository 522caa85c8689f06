/**
 * get and list over one prepared store of N resources, each against raw classic-level holding the
 * same keys and values: random gets with the cache cold (off) and warm (the anchors: raw `getSync`
 * + decode, and a raw lru-cache of decoded resources); lists by type + namespace (N/50 items) and
 * by label selector (N/50 items), the anchor a raw prefix scan + decode. Every side reads each
 * resource's data, so lazy parsing earns nothing.
 */
import { ClassicLevel } from 'classic-level';
import { LRUCache } from 'lru-cache';
import { labelPrefix, refOfIndexKey } from '../../src/indices/index-keys.js';
import { prefixRange } from '../../src/storage/key-codec.js';
import { openStore } from '../../src/store/open-store.js';
import { decodeRecord, unpackData } from '../../src/model/resource-codec.js';
import { resourceKey, typePrefix } from '../../src/model/resource-keys.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import type { Resource } from '../../src/model/types.js';
import { rate, type BenchCase } from '../harness.js';
import { NAMESPACES, randomInts, rawEntries, ref, resource, scratch } from '../data.js';

type Raw = ClassicLevel<string, Uint8Array>;

export function readCases(n: number, gets: number): BenchCase[] {
  let store: ResourceStore;
  let raw: Raw;
  const dirs: Array<() => void> = [];
  const keys = randomInts(n, gets).map((i) => ref(i));
  /** The same refs as the store hands them out (each resource's own, frozen), as a controller holds them from a list or a watch. */
  let handedOut: Array<Resource['ref']> = [];
  const rawKeys = keys.map(resourceKey);
  const lru = new LRUCache<string, { data: unknown }>({ max: n });
  const POD = { version: 'v1', kind: 'Pod' };
  const listNamespaces = Array.from({ length: 5 }, (_, i) => `ns-${(i * 7) % NAMESPACES}`);
  const listApps = Array.from({ length: 5 }, (_, i) => `app-${(i * 11) % 50}`);
  const decode = (key: string, bytes: Uint8Array): { data: unknown } => {
    const record = decodeRecord(bytes, key);
    return { ...record, data: unpackData(record.data) };
  };
  const touch = (value: { data: unknown } | undefined): void => {
    if (value?.data === undefined) throw new Error('no data');
  };

  /** The store (with a cache of `cacheEntries`) and the raw database, both holding the N resources. */
  const setup = (cacheEntries: number) => async (): Promise<void> => {
    const storeDir = scratch();
    const rawDir = scratch();
    dirs.push(storeDir.remove, rawDir.remove);
    store = await openStore({ path: storeDir.path, cache: { maxEntries: cacheEntries, maxBytes: 2 ** 40 } });
    for (let b = 0; b < n; b += 1000) await store.batch(Array.from({ length: Math.min(1000, n - b) }, (_, j) => ({ op: 'add' as const, resource: resource(b + j) })));
    raw = new ClassicLevel(rawDir.path, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await raw.open();
    for (let b = 0; b < n; b += 1000) {
      const batch = raw.batch();
      for (let i = b; i < Math.min(n, b + 1000); i++) for (const [key, value] of rawEntries(i, Date.now())) batch.put(key, value);
      await batch.write();
    }
    if (cacheEntries > 0) {
      for (const r of keys) await store.get(r);
      handedOut = keys.map((r) => store.getCached(r)!.ref);
      for (const key of rawKeys) lru.set(key, decode(key, raw.getSync(key)!));
    }
  };
  const teardown = async (): Promise<void> => {
    await store.close();
    await raw.close();
    lru.clear();
    for (const remove of dirs.splice(0)) remove();
  };
  /** Items per second of `work`, which returns how many items it read. */
  const itemsPerSecond = async (work: () => Promise<number>): Promise<number> => {
    const start = performance.now();
    const items = await work();
    return items / ((performance.now() - start) / 1000);
  };
  const warmAnchor = () => rate(gets, async () => {
    for (const key of rawKeys) touch(lru.get(key));
  });
  /** Warm synchronous reads through `getCached` of the refs `refs()` gives. */
  const getCachedCase = (which: string, refs: () => ReadonlyArray<Resource['ref']>, anchorName: string, target?: BenchCase['target']): BenchCase => ({
    workload: 'get',
    name: `warm, getCached (sync), ${which} (N=${n})`,
    unit: 'gets/s',
    setup: setup(n * 2),
    teardown,
    project: () => rate(gets, async () => {
      for (const r of refs()) touch(store.getCached(r));
    }),
    anchor: warmAnchor,
    anchorName,
    ...(target ? { target } : {}),
  });
  const getAll = () => rate(gets, async () => {
    for (const r of keys) touch(await store.get(r));
  });

  return [
    {
      workload: 'get',
      name: `cold, cache off (N=${n})`,
      unit: 'gets/s',
      setup: setup(0),
      teardown,
      project: getAll,
      anchor: () => rate(gets, async () => {
        for (const key of rawKeys) touch(decode(key, raw.getSync(key)!));
      }),
      anchorName: 'raw getSync + decode',
      target: { ratio: 0.8, text: '≥ 0.8×' },
    },
    {
      workload: 'get',
      name: `warm, get (async) (N=${n})`,
      unit: 'gets/s',
      setup: setup(n * 2),
      teardown,
      project: getAll,
      anchor: warmAnchor,
      anchorName: 'raw lru-cache of decoded resources',
    },
    getCachedCase('refs built by the caller', () => keys, 'raw lru-cache of decoded resources'),
    getCachedCase('refs the store handed out', () => handedOut, 'raw lru-cache of decoded resources, keys built once', { ratio: 0.5, text: '≥ 0.5×' }),
    {
      workload: 'list',
      name: `type + namespace, ${Math.round(n / NAMESPACES)} items`,
      unit: 'items/s',
      setup: setup(0),
      teardown,
      project: () => itemsPerSecond(async () => {
        let items = 0;
        for (const namespace of listNamespaces) {
          const page = await store.list({ type: POD, namespace });
          for (const item of page.items) touch(item);
          items += page.items.length;
        }
        return items;
      }),
      anchor: () => itemsPerSecond(async () => {
        let items = 0;
        for (const namespace of listNamespaces) {
          const range = prefixRange(typePrefix({ group: '', ...POD }, namespace));
          for await (const [key, bytes] of raw.iterator({ ...range, highWaterMarkBytes: 1024 * 1024 })) {
            touch(decode(key, bytes));
            items++;
          }
        }
        return items;
      }),
      anchorName: 'raw prefix scan + decode',
      target: { ratio: 0.8, text: '≥ 0.8×' },
    },
    {
      workload: 'list',
      name: `label selector app=…, ${Math.round(n / 50)} items`,
      unit: 'items/s',
      setup: setup(0),
      teardown,
      project: () => itemsPerSecond(async () => {
        let items = 0;
        for (const app of listApps) {
          const page = await store.list({ type: POD, labelSelector: `app=${app}` });
          for (const item of page.items) touch(item);
          items += page.items.length;
        }
        return items;
      }),
      anchor: () => itemsPerSecond(async () => {
        let items = 0;
        for (const app of listApps) {
          const range = prefixRange(labelPrefix('app', app, { group: '', ...POD }));
          const indexKeys = await raw.keys({ ...range, highWaterMarkBytes: 1024 * 1024 }).all();
          const keys = indexKeys.map((k) => resourceKey(refOfIndexKey(k)));
          const values = await raw.getMany(keys);
          values.forEach((bytes, i) => touch(decode(keys[i]!, bytes!)));
          items += values.length;
        }
        return items;
      }),
      anchorName: 'raw index scan + getMany + decode',
      target: { ratio: 0.8, text: '≥ 0.8×' },
    },
  ];
}
