import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PreconditionFailed } from '../../src/storage/engine.js';
import { encodeKey } from '../../src/storage/key-codec.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { diskFactory, postgresFactory, tempDir } from '../helpers/stores.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Bytes the process holds in its heap and in array buffers, once garbage is collected. */
async function heldBytes(): Promise<number> {
  for (let cycle = 0; cycle < 2; cycle++) {
    await turn(); // objects kept alive by the current job are let go, and native buffers' finalizers run
    gc();
  }
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('the LevelDB engine’s memory', () => {
  it('keeps no value of a committed write, only what later precondition checks need', async () => {
    const engine = await openLevelEngine({ path: join(tempDir(), 'db') });
    const values: Array<WeakRef<Uint8Array>> = [];
    let beforeLast = 0;
    for (let batch = 0; batch < 4; batch++) {
      beforeLast = engine.commits;
      const writes = Array.from({ length: 8 }, (_, i) => {
        const value = new Uint8Array(64 * 1024).fill(batch + i);
        values.push(new WeakRef(value));
        return engine.commit({ checks: [], puts: [[encodeKey('test', `${batch}-${i}`), value]], dels: [], counters: [], changes: 0 });
      });
      await Promise.all(writes);
    }
    await turn(); // WeakRefs hold their targets until the current job ends
    gc();
    assert.equal(values.filter((ref) => ref.deref() !== undefined).length, 0, 'every committed value can be collected');
    // A value read before the last batch wrote its key is still checked against what is stored.
    const check = { key: encodeKey('test', '3-7'), value: new Uint8Array(64 * 1024).fill(2), readAt: beforeLast };
    await assert.rejects(engine.commit({ checks: [check], puts: [], dels: [], counters: [], changes: 0 }), PreconditionFailed);
    await engine.commit({ checks: [{ ...check, value: new Uint8Array(64 * 1024).fill(10) }], puts: [], dels: [], counters: [], changes: 0 });
    await engine.close();
  });

  it('holds no more than the read cache’s byte bound, however its resources are read', async () => {
    const maxBytes = 8 * 1024 * 1024;
    const { store } = await diskFactory.open({ cache: { maxBytes } });
    const before = await heldBytes();
    // ~150 KB of JSON each, many small objects: decoded, each takes several times its encoded size.
    const data = (n: number) => ({ items: Array.from({ length: 20_000 }, (_, i) => ({ n: (i * n) % 1000 })) });
    const ref = (i: number) => ({ version: 'v1', kind: 'Pod', namespace: 'web', name: `p${i}` });
    for (let i = 0; i < 80; i++) await store.add({ ref: ref(i), data: data(i) });
    const readAll = async (): Promise<void> => {
      for (let i = 0; i < 80; i++) assert.equal(((await store.get(ref(i))).data as { items: unknown[] }).items.length, 20_000);
      const listed = await store.list({ limit: 40 });
      for (const item of listed.items) assert.equal((item.data as { items: unknown[] }).items.length, 20_000);
    };
    await readAll(); // what it read is the reader's, and goes with it
    const grown = (await heldBytes()) - before;
    assert.ok(grown < maxBytes, `the heap grew by ${(grown / 2 ** 20).toFixed(1)} MiB under a cache bound of 8 MiB`);
    await store.close();
  });
});

describe('the read cache’s memory', () => {
  for (const factory of [diskFactory, postgresFactory]) {
    it(`keeps in the read cache each resource's own bytes, written or read, not the slab they were cut from (${factory.name})`, async () => {
      const { store } = await factory.open({ cache: { maxEntries: 2_000 } });
      const ref = (i: number) => ({ version: 'v1', kind: 'Pod', namespace: 'web', name: `p${i}` });
      // About 1 KiB stored each: small enough that an encoder's output, or node-postgres's parse
      // of a bytea value, is a slice of one of Node's 8 KiB pool slabs.
      const data = (i: number) => ({ spec: { containers: [{ name: 'app', image: `registry.example.com/app:${i}`, args: Array.from({ length: 40 }, (_, k) => `--flag-${k}=${i}`) }] } });
      const cachedText = (from: number) => Array.from({ length: 2_000 }, (_, i) => JSON.stringify(data(from + i)).length).reduce((a, b) => a + b);
      await heldBytes();
      const before = process.memoryUsage().arrayBuffers;
      for (let b = 0; b < 4_000; b += 500) await store.batch(Array.from({ length: 500 }, (_, i) => ({ op: 'add' as const, resource: { ref: ref(b + i), data: data(b + i) } })));
      await heldBytes();
      const written = process.memoryUsage().arrayBuffers - before;
      // The cache holds the last 2,000 written, each its record's bytes (about its data's text);
      // a record that kept its slab would hold several times that.
      assert.ok(written < 2 * cachedText(2_000), `array buffers grew by ${(written / 2 ** 20).toFixed(1)} MiB for ${(cachedText(2_000) / 2 ** 20).toFixed(1)} MiB of data written and cached`);
      // Read from the engine and cached in place of those, between reads that are let go (a page
      // of a list), as a controller's gets fall between its other reads.
      for (let i = 0; i < 2_000; i++) {
        await store.get(ref(i));
        await store.list({ type: { version: 'v1', kind: 'Pod' }, namespace: 'web', limit: 2 });
      }
      await heldBytes();
      const read = process.memoryUsage().arrayBuffers - before;
      assert.ok(read < 2 * cachedText(0), `array buffers grew by ${(read / 2 ** 20).toFixed(1)} MiB for ${(cachedText(0) / 2 ** 20).toFixed(1)} MiB of data read and cached`);
      await store.close();
    });
  }
});
