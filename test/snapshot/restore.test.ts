/**
 * Restoring a snapshot: the whole file is checked before the store is touched (a bad line, a
 * repeated line), and replacing a store is crash-safe: stopped after any number of its batches,
 * the store opens as it was, or refuses to open with INCOMPLETE until the restore is run again,
 * which then leaves exactly the snapshot.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { verifyIntegrity } from '../../src/integrity/verify.js';
import { PredicateRegistry } from '../../src/relations/predicates.js';
import { restoreSnapshot } from '../../src/snapshot/snapshot-io.js';
import type { Engine } from '../../src/storage/engine.js';
import { isStoreError } from '../../src/storage/errors.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/stores.js';
import { CrashingEngine } from '../helpers/wrapped-engine.js';

const node = (name: string) => ({ version: 'v1', kind: 'Node', name });
const pod = (name: string) => ({ version: 'v1', kind: 'Pod', namespace: 'web', name });

/** A store on disk with `names` Pods labelled app=<name>, each bound to node n1; returns its path. */
async function storeWith(names: readonly string[]): Promise<string> {
  const path = join(tempDir(), 'db');
  const store = await openStore({ path });
  for (const name of [...names, 'n1']) {
    await store.add(name === 'n1' ? { ref: node(name) } : { ref: pod(name), labels: { app: name }, data: { spec: { nodeName: 'n1' } } });
  }
  for (const name of names) await store.addRelationships({ subject: pod(name), predicate: { type: 'PodNodeBinding', value: { nodeName: 'n1' } }, object: node('n1') });
  await store.close();
  return path;
}

/** Exports the store at `path` to a snapshot file; returns the file. */
async function snapshotOf(path: string): Promise<string> {
  const file = join(tempDir(), 'snap.ndjson');
  const store = await openStore({ path });
  let text = '';
  await store.exportSnapshot((chunk) => void (text += chunk));
  await store.close();
  writeFileSync(file, text);
  return file;
}

/** Rewrites a snapshot's lines with `edit` and gives it a trailer that matches (counts and checksum). */
function reseal(file: string, edit: (entries: string[]) => string[]): string {
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  const entries = edit(lines.slice(1, -1));
  const body = [lines[0]!, ...entries].map((line) => `${line}\n`).join('');
  const trailer = {
    end: true,
    resources: entries.filter((line) => line.startsWith('{"resource"')).length,
    relationships: entries.filter((line) => line.startsWith('{"relationship"')).length,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
  const out = join(tempDir(), 'edited.ndjson');
  writeFileSync(out, `${body}${JSON.stringify(trailer)}\n`);
  return out;
}

/** What a store holds, in a form to compare: resources with versions, and relationships. */
async function contents(path: string): Promise<string[]> {
  const store = await openStore({ path });
  try {
    const resources = (await store.list({})).items.map((r) => `${r.ref.kind}/${r.ref.name}@${r.version}:${JSON.stringify(r.labels)}`);
    const selected = (await store.list({ labelSelector: 'app' })).items.map((r) => `selected ${r.ref.name}`);
    const relationships = (await store.getRelationships({})).items.map((r) => `${r.subject.name}>${r.object.name}`);
    return [...resources, ...selected, ...relationships].sort();
  } finally {
    await store.close();
  }
}

async function findings(path: string): Promise<string[]> {
  const engine = await openLevelEngine({ path });
  try {
    return (await verifyIntegrity(engine)).findings.map((f) => `${f.key}: ${f.problem}`);
  } finally {
    await engine.close();
  }
}

/** Restores `file` into the engine, replacing what it holds. */
function restore(engine: Engine, file: string) {
  return restoreSnapshot(engine, () => createReadStream(file), new PredicateRegistry(), { force: true });
}

describe('restore', () => {
  it('refuses a snapshot with one bad line before touching the store, which keeps everything it held', async () => {
    const path = await storeWith(['a', 'b']);
    const before = await contents(path);
    const bad = reseal(await snapshotOf(await storeWith(['c'])), (entries) => entries.map((line) => line.replace('"app":"c"', '"app":"-bad-"')));
    const result = await cli(['restore', bad, '--data', path, '--force']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^resource-store: INVALID_ARGUMENT: /);
    assert.deepEqual(await contents(path), before);
    assert.deepEqual(await findings(path), []);
  });

  it('refuses a snapshot that repeats a resource line or a relationship line, and writes nothing', async () => {
    const file = await snapshotOf(await storeWith(['a', 'b']));
    const repeat = (prefix: string) => (entries: string[]) => {
      const line = entries.find((entry) => entry.startsWith(prefix))!;
      return [...entries.slice(0, entries.indexOf(line) + 1), line, ...entries.slice(entries.indexOf(line) + 1)];
    };
    for (const prefix of ['{"resource"', '{"relationship"']) {
      const data = join(tempDir(), 'db');
      const result = await cli(['restore', reseal(file, repeat(prefix)), '--data', data]);
      assert.equal(result.code, 2, prefix);
      assert.match(result.stderr, /^resource-store: INVALID_ARGUMENT: /);
      assert.deepEqual(await contents(data), [], prefix);
    }
  });

  it('replaces a store crash-safely: stopped after any batch, the store opens as it was or refuses with INCOMPLETE, and restoring again leaves the snapshot', async () => {
    const original = await storeWith(['a', 'b']);
    const before = await contents(original);
    const file = await snapshotOf(await storeWith(['c', 'd', 'e']));
    const wanted = await contents(await storeWith(['c', 'd', 'e']));
    let finished = false;
    for (let crashAfter = 0; !finished; crashAfter++) {
      const path = join(tempDir(), 'db');
      cpSync(original, path, { recursive: true });
      const engine = new CrashingEngine(await openLevelEngine({ path }));
      engine.crashAfter = crashAfter;
      finished = await restore(engine, file).then(() => true, () => false);
      await engine.close();
      let state: string[] | 'INCOMPLETE';
      try {
        state = await contents(path);
      } catch (err) {
        assert.ok(isStoreError(err, 'INCOMPLETE'), `after ${crashAfter} batches: ${String(err)}`);
        state = 'INCOMPLETE';
      }
      if (finished) assert.deepEqual(state, wanted);
      else if (state !== 'INCOMPLETE') assert.deepEqual(state, before, `after ${crashAfter} batches the store opens, so it must hold what it held`);
      if (state === 'INCOMPLETE') {
        const again = await openLevelEngine({ path });
        await restore(again, file);
        await again.close();
        assert.deepEqual(await contents(path), wanted, `after ${crashAfter} batches, then a whole restore`);
      }
      assert.deepEqual(await findings(path), [], `after ${crashAfter} batches`);
      assert.ok(crashAfter < 50, 'the restore ends');
    }
  });
});

describe('restore of a large snapshot', () => {
  it('reads the file a line at a time: a process whose heap is smaller than the file restores it', async () => {
    // 8,000 resources of 2 KB: an 18 MB file, restored by a child with a 24 MB heap. Reading
    // the file whole (a string of 18 MB, then every entry at once) runs out of heap.
    const lines = [JSON.stringify({ format: 'resource-store-snapshot', version: 1, revision: 8000, createdAt: new Date(0).toISOString() })];
    const filler = 'x'.repeat(2000);
    for (let i = 0; i < 8000; i++) {
      const name = `c${String(i).padStart(7, '0')}`;
      const at = '2024-01-01T00:00:00.000Z';
      lines.push(JSON.stringify({ resource: { ref: { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'big', name }, uid: `u${i}`, data: { filler }, labels: {}, annotations: {}, createdAt: at, updatedAt: at, version: 1 } }));
    }
    const body = lines.map((line) => `${line}\n`).join('');
    const file = join(tempDir(), 'big.ndjson');
    writeFileSync(file, `${body}${JSON.stringify({ end: true, resources: 8000, relationships: 0, sha256: createHash('sha256').update(body).digest('hex') })}\n`);
    const data = join(tempDir(), 'db');
    const result = await cli(['restore', file, '--data', data], { NODE_OPTIONS: '--max-old-space-size=24' });
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const store = await openStore({ path: data });
    assert.equal((await store.list({ namespace: 'big', limit: 1 })).items.length, 1);
    assert.equal(store.revision, 8000);
    await store.close();
  });
});
