import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { directoryBytes } from '../../src/storage/directory-bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'directory-bytes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the bytes a data directory holds', () => {
  it('sums the files directly in it, not what its subdirectories hold', async () => {
    const here = join(dir, 'sum');
    mkdirSync(join(here, 'held'), { recursive: true });
    writeFileSync(join(here, '000001.log'), Buffer.alloc(300));
    writeFileSync(join(here, 'CURRENT'), 'MANIFEST-000002\n');
    writeFileSync(join(here, 'held', '000003.ldb'), Buffer.alloc(1000));
    assert.equal(await directoryBytes(here), 316);
  });

  it('counts a file deleted while the directory is read as nothing, rather than failing', async () => {
    // The failure this guards: a metrics scrape during a LevelDB compaction failing with ENOENT.
    const here = join(dir, 'race');
    mkdirSync(here);
    const names = Array.from({ length: 2000 }, (_, i) => `${String(i).padStart(6, '0')}.ldb`);
    for (const name of names) writeFileSync(join(here, name), 'x');
    const counted = directoryBytes(here);
    await Promise.all(names.map((name) => unlink(join(here, name))));
    assert.ok((await counted) <= names.length);
  });
});
