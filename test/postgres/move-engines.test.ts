/**
 * Moving a store between engines with the CLI: `export` from a LevelDB directory, `restore` into
 * PostgreSQL, `export` again, and back into a new directory: every resource and relationship
 * (uids, versions, revisions, derived edges, timestamps) comes out as it went in, and both
 * stores verify clean.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli } from '../helpers/cli.js';
import { freshLocation } from '../helpers/postgres.js';
import { tempDir } from '../helpers/stores.js';

const DUMP = join(import.meta.dirname, '../fixtures/k8s-dumps/replicatedhq-troubleshoot-k3d-support-bundle.json');

/** A snapshot's header revision and its lines between header and trailer (the header's createdAt and the checksum differ by export). */
function body(file: string): { revision: number; lines: string[] } {
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  return { revision: JSON.parse(lines[0]!).revision, lines: lines.slice(1, -1) };
}

async function ok(args: string[]): Promise<string> {
  const result = await cli(args);
  assert.equal(result.code, 0, `resource-store ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

describe('moving a store between LevelDB and PostgreSQL', () => {
  it('export from one engine and restore into the other give the same store, both ways', async () => {
    const dir = tempDir();
    const level = join(dir, 'level');
    const { connectionString, schema } = await freshLocation();
    const postgres = `${connectionString}?schema=${schema}`;
    const back = join(dir, 'back');

    await ok(['import', DUMP, '--data', level]);
    await ok(['export', '--data', level, '--out', join(dir, 'a.ndjson')]);
    await ok(['restore', join(dir, 'a.ndjson'), '--data', postgres]);
    await ok(['export', '--data', postgres, '--out', join(dir, 'b.ndjson')]);
    await ok(['restore', join(dir, 'b.ndjson'), '--data', back]);
    await ok(['export', '--data', back, '--out', join(dir, 'c.ndjson')]);

    const [a, b, c] = ['a', 'b', 'c'].map((name) => body(join(dir, `${name}.ndjson`)));
    assert.ok(a!.lines.length > 50, `the dump gives a store worth moving (${a!.lines.length} lines)`);
    assert.ok(a!.lines.some((line) => line.includes('"derived"')), 'derived relationships are part of it');
    assert.deepEqual(b, a);
    assert.deepEqual(c, a);
    for (const data of [postgres, back]) assert.match(await ok(['verify', '--data', data]), /no problems found/);
    const stats = await Promise.all([level, postgres, back].map((data) => ok(['stats', '--data', data, '--json'])));
    const counts = stats.map((text) => {
      const { revision, resources, relationships, byType } = JSON.parse(text);
      return { revision, resources, relationships, byType };
    });
    assert.deepEqual(counts[1], counts[0]);
    assert.deepEqual(counts[2], counts[0]);
  });
});
