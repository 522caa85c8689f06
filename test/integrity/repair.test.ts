/**
 * `verify --repair` is crash-safe: stopped after any number of its batches, the store opens and
 * answers as it did, or refuses to open with INCOMPLETE until a repair runs again to the end.
 */
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repairIndices } from '../../src/integrity/repair.js';
import { verifyIntegrity } from '../../src/integrity/verify.js';
import { isStoreError } from '../../src/storage/errors.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/stores.js';
import { CrashingEngine } from '../helpers/wrapped-engine.js';

const COUNT = 1200; // index entries for more than one batch of deletes and of puts

async function answers(path: string): Promise<number[]> {
  const store = await openStore({ path });
  try {
    const a1 = await store.list({ labelSelector: 'app=a1' });
    const web = await store.list({ namespace: 'web', limit: 1 });
    return [a1.items.length, web.items.length, (await store.getRelationships({ predicate: 'PodNodeBinding' })).items.length];
  } finally {
    await store.close();
  }
}

describe('repair', () => {
  it('is crash-safe: stopped after any batch, the store answers as before or refuses with INCOMPLETE, and repairing again mends it', async () => {
    const original = join(tempDir(), 'db');
    const store = await openStore({ path: original });
    await store.add({ ref: { version: 'v1', kind: 'Node', name: 'n1' } });
    await store.batch(Array.from({ length: COUNT }, (_, i) => ({ op: 'add' as const, resource: { ref: { version: 'v1', kind: 'Pod', namespace: 'web', name: `p${i}` }, labels: { app: `a${i % 2}` } } })));
    await store.addRelationships(
      ...Array.from({ length: 600 }, (_, i) => ({
        subject: { version: 'v1', kind: 'Pod', namespace: 'web', name: `p${i}` },
        predicate: { type: 'PodNodeBinding', value: { nodeName: 'n1' } },
        object: { version: 'v1', kind: 'Node', name: 'n1' },
      })),
    );
    await store.close();
    const wanted = await answers(original);
    assert.deepEqual(wanted, [COUNT / 2, 1, 600]);
    let finished = false;
    let checkedCli = false;
    for (let crashAfter = 0; !finished; crashAfter++) {
      const path = join(tempDir(), 'db');
      cpSync(original, path, { recursive: true });
      const engine = new CrashingEngine(await openLevelEngine({ path }));
      engine.crashAfter = crashAfter;
      finished = await repairIndices(engine).then(() => true, () => false);
      await engine.close();
      try {
        assert.deepEqual(await answers(path), wanted, `after ${crashAfter} batches the store opens, so it must answer as before`);
      } catch (err) {
        assert.ok(isStoreError(err, 'INCOMPLETE'), `after ${crashAfter} batches: ${String(err)}`);
        assert.ok(!finished);
        if (!checkedCli) {
          // The command line refuses it too, and its repair finishes it.
          checkedCli = true;
          const refused = await cli(['stats', '--data', path]);
          assert.equal(refused.code, 2);
          assert.match(refused.stderr, /^resource-store: INCOMPLETE: /);
          const again = await cli(['verify', '--repair', '--data', path]);
          assert.equal(again.code, 0, again.stdout + again.stderr);
        } else {
          const again = await openLevelEngine({ path });
          await repairIndices(again);
          await again.close();
        }
        assert.deepEqual(await answers(path), wanted, `after ${crashAfter} batches, then a whole repair`);
      }
      const check = await openLevelEngine({ path });
      assert.deepEqual((await verifyIntegrity(check)).findings, [], `after ${crashAfter} batches`);
      await check.close();
      assert.ok(crashAfter < 50, 'the repair ends');
    }
  });
});
