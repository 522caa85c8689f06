/**
 * ingest: N resources with three labels through `add` with 64 calls in flight, and through
 * `batch` of 1,000; the anchor is raw classic-level writing the same keys and values (record,
 * namespace and label index entries, change-log entry) in batches of 1,000.
 */
import { ClassicLevel } from 'classic-level';
import { openStore } from '../../src/store/open-store.js';
import { rate, type BenchCase } from '../harness.js';
import { rawEntries, resource, scratch } from '../data.js';

async function rawIngest(n: number): Promise<number> {
  const entries = Array.from({ length: n }, (_, i) => rawEntries(i, Date.now()));
  const dir = scratch();
  const db = new ClassicLevel<string, Uint8Array>(dir.path, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  try {
    return await rate(n, async () => {
      for (let b = 0; b < n; b += 1000) {
        const batch = db.batch();
        for (let i = b; i < Math.min(n, b + 1000); i++) for (const [key, value] of entries[i]!) batch.put(key, value);
        await batch.write();
      }
    });
  } finally {
    await db.close();
    dir.remove();
  }
}

async function storeIngest(n: number, mode: 'add' | 'batch'): Promise<number> {
  const inputs = Array.from({ length: n }, (_, i) => resource(i));
  const dir = scratch();
  const store = await openStore({ path: dir.path });
  try {
    return await rate(n, async () => {
      if (mode === 'batch') {
        for (let b = 0; b < n; b += 1000) await store.batch(inputs.slice(b, b + 1000).map((r) => ({ op: 'add' as const, resource: r })));
      } else {
        let next = 0;
        await Promise.all(Array.from({ length: 64 }, async () => {
          while (next < n) await store.add(inputs[next++]!);
        }));
      }
    });
  } finally {
    await store.close();
    dir.remove();
  }
}

export function ingestCases(n: number): BenchCase[] {
  const anchor = () => rawIngest(n);
  return [
    { workload: 'ingest', name: `add, 64 in flight (N=${n})`, unit: 'resources/s', project: () => storeIngest(n, 'add'), anchor, anchorName: 'raw classic-level, same keys and values, batches of 1,000', target: { ratio: 0.5, text: '≥ 0.5×' } },
    { workload: 'ingest', name: `batch of 1,000 (N=${n})`, unit: 'resources/s', project: () => storeIngest(n, 'batch'), anchor, anchorName: 'raw classic-level, same keys and values, batches of 1,000', target: { ratio: 0.7, text: '≥ 0.7×' } },
  ];
}
