import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DeferredDeletes, HELD_DIR } from '../../src/storage/deferred-deletes.js';
import { openStore } from '../../src/store/open-store.js';
import { podRef, pod } from '../helpers/fixtures.js';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'deferred-deletes-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('files LevelDB deletes, freed off its lock', () => {
  it('gives a table or log file a second name as it appears, and frees it once LevelDB deletes the first', async () => {
    const dir = freshDir();
    const deletes = await DeferredDeletes.start(dir);
    // Its watch does not keep a process alive (a store's user does): this test's wait must.
    const alive = setInterval(() => undefined, 60_000);
    try {
      const held = once(deletes, 'held');
      writeFileSync(join(dir, '000007.ldb'), 'table');
      assert.deepEqual(await held, ['000007.ldb']);
      assert.equal(statSync(join(dir, HELD_DIR, '000007.ldb')).ino, statSync(join(dir, '000007.ldb')).ino);
      const freed = once(deletes, 'freed');
      unlinkSync(join(dir, '000007.ldb'));
      assert.deepEqual(await freed, ['000007.ldb']);
      assert.equal(existsSync(join(dir, HELD_DIR, '000007.ldb')), false);
      for (const name of ['LOG', 'CURRENT', 'MANIFEST-000002', 'LOCK']) writeFileSync(join(dir, name), '');
      writeFileSync(join(dir, '000009.log'), 'log');
      await once(deletes, 'held');
      await deletes.settled();
      assert.deepEqual(readdirSync(join(dir, HELD_DIR)), ['000009.log']);
    } finally {
      clearInterval(alive);
      await deletes.stop();
    }
    assert.equal(existsSync(join(dir, HELD_DIR)), false, 'stop removes the held names and their directory');
    assert.deepEqual(readdirSync(dir).sort(), ['000009.log', 'CURRENT', 'LOCK', 'LOG', 'MANIFEST-000002']);
  });

  it('at start, frees what a crash left held and holds what LevelDB has', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, HELD_DIR));
    writeFileSync(join(dir, HELD_DIR, '000003.ldb'), 'deleted by LevelDB before the crash');
    writeFileSync(join(dir, '000004.ldb'), 'live, held before the crash');
    linkSync(join(dir, '000004.ldb'), join(dir, HELD_DIR, '000004.ldb'));
    writeFileSync(join(dir, '000005.ldb'), 'live, not held');
    const deletes = await DeferredDeletes.start(dir);
    try {
      assert.deepEqual(readdirSync(join(dir, HELD_DIR)).sort(), ['000004.ldb', '000005.ldb']);
    } finally {
      await deletes.stop();
    }
  });

  it('holds every file of a store on disk while it is open, and leaves the directory as LevelDB keeps it', async () => {
    const path = join(freshDir(), 'db');
    const store = await openStore({ path });
    try {
      await store.add(pod('a'));
      const files = readdirSync(path).filter((name) => /^\d+\.(ldb|log)$/.test(name));
      assert.ok(files.length > 0);
      assert.deepEqual(readdirSync(join(path, HELD_DIR)).sort(), files.sort());
    } finally {
      await store.close();
    }
    assert.equal(existsSync(join(path, HELD_DIR)), false);
    const again = await openStore({ path });
    try {
      assert.equal((await again.get(podRef('a'))).ref.name, 'a');
    } finally {
      await again.close();
    }
  });
});
