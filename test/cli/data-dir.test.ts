/**
 * The command line at the door: a mistyped `--data` is refused (no empty store appears), a
 * directory a server holds is LOCKED with what to do, `stats` asks a running server with
 * `--server`, an import to a server that cannot be reached fails once, a reader that goes away
 * ends a command quietly, and one YAML document the parser cannot take loses no other.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cli, startServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/stores.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/kind-cluster.json', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the command line at the door', () => {
  it('refuses a --data directory that holds no store, and creates none', async () => {
    const missing = join(tempDir(), 'mistyped');
    for (const args of [['stats'], ['verify'], ['verify', '--repair'], ['export', '--out', join(tempDir(), 'out.ndjson')]]) {
      const result = await cli([...args, '--data', missing]);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, /^resource-store: INVALID_ARGUMENT: /, args.join(' '));
      assert.equal(existsSync(missing), false, `${args.join(' ')} made a directory`);
    }
  });

  it('answers LOCKED while a server holds the directory, and stats and verify --server ask the server instead', async () => {
    const data = join(tempDir(), 'data');
    assert.equal((await cli(['import', FIXTURE, '--data', data])).code, 0);
    const { child, url, exited } = await startServe(['--data', data]);
    try {
      for (const command of ['stats', 'verify']) {
        const locked = await cli([command, '--data', data]);
        assert.equal(locked.code, 2, command);
        assert.match(locked.stderr, /^resource-store: LOCKED: /, command);
      }
      const remote = await cli(['stats', '--server', url, '--json']);
      assert.equal(remote.code, 0, remote.stderr);
      const served = JSON.parse(remote.stdout);
      const verified = await cli(['verify', '--server', url, '--json']);
      assert.equal(verified.code, 0, verified.stderr);
      assert.deepEqual(JSON.parse(verified.stdout).findings, []);
      assert.equal(JSON.parse(verified.stdout).resources, served.resources);
      const exported = await cli(['export', '--server', url, '--out', join(tempDir(), 'snap.ndjson')]);
      assert.equal(exported.code, 0, exported.stderr);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const local = JSON.parse((await cli(['stats', '--data', data, '--json'])).stdout);
      for (const field of ['revision', 'resources', 'byType', 'byNamespace', 'relationships', 'logEntries', 'logFirstRevision']) {
        assert.deepEqual(served[field], local[field], field);
      }
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('fails an import to a server that cannot be reached once, before reading any document', async () => {
    const result = await cli(['import', FIXTURE, '--server', `http://127.0.0.1:${await closedPort()}`, '--json']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '', 'no summary of 334 rejected documents');
  });

  it('ends quietly when the reader of its output goes away (stats | head)', async () => {
    const data = join(tempDir(), 'data');
    assert.equal((await cli(['import', FIXTURE, '--data', data])).code, 0);
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'stats', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the first line is written
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  it('rejects a YAML document nested deeper than the parser can go, alone, and imports the others', async () => {
    const dir = tempDir();
    const file = join(dir, 'deep.yaml');
    const deep = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 2)}k:`).join('\n');
    writeFileSync(file, ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: before, namespace: x}', '---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: deep, namespace: x}', 'data:', `${deep} 1`, '---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: after, namespace: x}'].join('\n'));
    const result = await cli(['import', file, '--data', join(dir, 'data'), '--json']);
    assert.equal(result.code, 1, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.created, 2);
    assert.deepEqual(summary.rejected.map((r: { origin: { document: number } }) => r.origin.document), [1]);
  });
});
