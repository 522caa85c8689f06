import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { StoreError } from '../../src/storage/errors.js';
import { openStore } from '../../src/store/open-store.js';
import { tempDir } from '../helpers/stores.js';
import { deployment, pod, podRef } from '../helpers/fixtures.js';

const child = fileURLToPath(new URL('../helpers/open-store-child.ts', import.meta.url));

describe('an on-disk store across reopen', () => {
  it('keeps resources, indices and the revision, which never goes backwards', async () => {
    const path = join(tempDir(), 'db');
    const first = await openStore({ path });
    await first.add(pod('a', { app: 'web' }));
    await first.add(pod('b', { app: 'db' }));
    await first.update(pod('a', { app: 'api' }));
    await first.delete(podRef('b'));
    const revision = first.revision;
    assert.equal(revision, 4);
    await first.close();

    const second = await openStore({ path });
    assert.equal(second.revision, revision);
    assert.equal((await second.get(podRef('a'))).version, 2);
    assert.deepEqual((await second.list({ labelSelector: 'app=api' })).items.map((r) => r.ref.name), ['a']);
    assert.equal((await second.list({ labelSelector: 'app=db' })).items.length, 0);
    const page = await second.list({ namespace: 'web' });
    assert.equal(page.revision, revision);
    await second.add(pod('c'));
    assert.equal(second.revision, revision + 1);
    await second.close();
  });

  it('keeps continue tokens valid across reopen (the signing secret is stored)', async () => {
    const path = join(tempDir(), 'db');
    const first = await openStore({ path });
    for (let i = 0; i < 4; i++) await first.add(pod(`p${i}`));
    const token = (await first.list({ namespace: 'web', limit: 2 })).continue!;
    await first.close();
    const second = await openStore({ path });
    assert.deepEqual((await second.list({ namespace: 'web', limit: 2, continue: token })).items.map((r) => r.ref.name), ['p2', 'p3']);
    await second.close();
  });

  it('reports resources_total per type right after reopen, without a scan', async () => {
    const path = join(tempDir(), 'db');
    const first = await openStore({ path });
    for (let i = 0; i < 3; i++) await first.add(pod(`p${i}`));
    await first.add(deployment('d'));
    await first.delete(podRef('p0'));
    await first.close();
    const registry = new Registry();
    const second = await openStore({ path, registry });
    const text = await registry.metrics();
    assert.match(text, /resourcestore_resources_total\{group="",version="v1",kind="Pod"\} 2\n/);
    assert.match(text, /resourcestore_resources_total\{group="apps",version="v1",kind="Deployment"\} 1\n/);
    await second.close();
  });

  it('refuses a second open of a locked path, in this process and in another, with LOCKED', async () => {
    const path = join(tempDir(), 'db');
    const store = await openStore({ path });
    await assert.rejects(openStore({ path }), (err: unknown) =>
      err instanceof StoreError && err.code === 'LOCKED' && err.message.includes(path));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, path]);
    const outcome = JSON.parse(stdout) as { opened: boolean; code: string; message: string };
    assert.equal(outcome.opened, false);
    assert.equal(outcome.code, 'LOCKED');
    assert.ok(outcome.message.includes(path));
    await store.close();
    const { stdout: after } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, path]);
    assert.deepEqual(JSON.parse(after), { opened: true });
  });

  it('rejects bad options with INVALID_ARGUMENT', async () => {
    for (const options of [{ path: '' }, { maxDataBytes: 0 }, { cache: { maxEntries: -1 } }, { cache: 'big' }]) {
      await assert.rejects(openStore(options as never), (err: unknown) => err instanceof StoreError && err.code === 'INVALID_ARGUMENT');
    }
  });
});
