import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { encodeKey } from '../../src/storage/key-codec.js';
import { cli, startServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/stores.js';
import { request } from '../helpers/server.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/kind-cluster.json', import.meta.url));

describe('the resource-store command line', () => {
  it('prints help for every command', async () => {
    for (const command of ['serve', 'import', 'export', 'restore', 'verify', 'stats']) {
      const { code, stdout } = await cli([command, '--help']);
      assert.equal(code, 0, command);
      assert.match(stdout, new RegExp(`Usage: resource-store ${command}`));
    }
  });

  it('imports the fixture with its graph, and importing again changes nothing', async () => {
    const data = join(tempDir(), 'data');
    const first = await cli(['import', FIXTURE, '--data', data, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const summary = JSON.parse(first.stdout);
    assert.equal(summary.objects, 334);
    assert.equal(summary.created, 334);
    assert.equal(summary.rejected.length, 0);
    const again = JSON.parse((await cli(['import', FIXTURE, '--data', data, '--json'])).stdout);
    assert.equal(again.unchanged, 334);
    const store = await openStore({ path: data });
    const owners = await store.getRelationships({ predicate: 'OwnerReference' });
    const bindings = await store.getRelationships({ predicate: 'PodNodeBinding' });
    assert.equal(owners.items.length + bindings.items.length, 40, '20 ownerReferences and 20 nodeNames (one Pod is Pending), derived by the store');
    const graph = await store.traverse({ from: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'kube-system', name: 'coredns' }, maxDepth: 3, predicates: ['OwnerReference', 'PodNodeBinding'] });
    assert.deepEqual([...new Set(graph.nodes.map((n) => `${n.depth}:${n.ref.kind}`))], ['0:Deployment', '1:ReplicaSet', '2:Pod', '3:Node']);
    assert.equal(graph.nodes.filter((n) => n.ref.kind === 'Pod').length, 2);
    await store.close();
    const stats = JSON.parse((await cli(['stats', '--data', data, '--json'])).stdout);
    assert.equal(stats.resources, 334);
    assert.equal(stats.byType['v1/Pod'], 21);
    assert.equal(stats.byNamespace['kube-system'] > 0, true);
    assert.equal(stats.relationships, 210, 'owners and node bindings, and what else the store derives (services, uses, pod templates, role bindings and their subjects)');
  });

  it('keeps the good documents of a file with a bad one, and names the bad one', async () => {
    const dir = tempDir();
    const file = join(dir, 'mixed.yaml');
    writeFileSync(file, ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: good, namespace: x}', '---', 'kind: [', '---', 'apiVersion: v1', 'kind: Pod', 'metadata: {name: "-bad", namespace: x, labels: {"bad key": v}}', '---', 'apiVersion: v1', 'kind: Pod', 'metadata: {name: ok, namespace: x}', 'spec: {nodeName: n1}'].join('\n'));
    const result = await cli(['import', file, '--data', join(dir, 'data')]);
    assert.equal(result.code, 1, 'some documents were rejected');
    assert.match(result.stdout, /created: +2/);
    assert.match(result.stdout, /rejected: +2/);
    assert.match(result.stdout, /mixed\.yaml document 1: not valid YAML/);
    assert.match(result.stdout, /mixed\.yaml document 2: INVALID_ARGUMENT: labels\["bad key"\]/);
  });

  it('exports a snapshot, restores it into an empty store exactly, and refuses a non-empty one unless forced', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    await cli(['import', FIXTURE, '--data', data]);
    const exported = await cli(['export', '--data', data, '--out', join(dir, 'snap.ndjson')]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /exported 334 resources and 210 relationships at revision 544/);
    const restored = await cli(['restore', join(dir, 'snap.ndjson'), '--data', join(dir, 'copy')]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal((await cli(['export', '--data', join(dir, 'copy'), '--out', join(dir, 'again.ndjson')])).code, 0);
    const body = (file: string) => readFileSync(join(dir, file), 'utf8').split('\n').slice(1, -2); // not the header and trailer (they hold the export time)
    assert.deepEqual(body('again.ndjson'), body('snap.ndjson'), 'every resource and relationship line identical');
    assert.equal((await cli(['verify', '--data', join(dir, 'copy')])).code, 0);
    const refused = await cli(['restore', join(dir, 'snap.ndjson'), '--data', join(dir, 'copy')]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /CONFLICT: the store is not empty/);
    assert.equal((await cli(['restore', join(dir, 'snap.ndjson'), '--data', join(dir, 'copy'), '--force'])).code, 0);
    assert.equal((await cli(['verify', '--data', join(dir, 'copy')])).code, 0);
    writeFileSync(join(dir, 'damaged.ndjson'), readFileSync(join(dir, 'snap.ndjson'), 'utf8').replace('coredns', 'corednz'));
    const damaged = await cli(['restore', join(dir, 'damaged.ndjson'), '--data', join(dir, 'other')]);
    assert.equal(damaged.code, 2);
    assert.match(damaged.stderr, /checksum does not match/);
  });

  it('verifies a store and reports damage with the exact key', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    await cli(['import', FIXTURE, '--data', data]);
    assert.match((await cli(['verify', '--data', data])).stdout, /no problems found/);
    const engine = await openLevelEngine({ path: data });
    const entry = encodeKey('idx-ns', 'kube-system', 'apps', 'v1', 'Deployment', 'coredns');
    await engine.commit({ checks: [], puts: [], dels: [entry], counters: [], changes: 0 });
    await engine.close();
    const report = await cli(['verify', '--data', data]);
    assert.equal(report.code, 1);
    assert.match(report.stdout, /\/idx-ns\/kube-system\/apps\/v1\/Deployment\/coredns: index entry missing for a stored resource/);
  });

  it('serves a data directory, imports into it over HTTP, and on SIGTERM loses no acknowledged write', async () => {
    const data = join(tempDir(), 'data');
    const { child, url, exited } = await startServe(['--data', data]);
    const written = await request(`${url}/api/v1/namespaces/web/pods`, { method: 'POST', body: { kind: 'Pod', metadata: { name: 'acked' }, spec: { n: 1 } } });
    assert.equal(written.status, 201);
    const imported = await cli(['import', FIXTURE, '--server', url, '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(JSON.parse(imported.stdout).created, 334);
    const again = await cli(['import', FIXTURE, '--server', url, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual([JSON.parse(again.stdout).unchanged, JSON.parse(again.stdout).created], [334, 0], 'the same summary as a local import');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const store = await openStore({ path: data });
    assert.deepEqual((await store.get({ version: 'v1', kind: 'Pod', namespace: 'web', name: 'acked' })).data, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'acked', namespace: 'web' }, spec: { n: 1 } });
    assert.equal((await store.list({ type: { version: 'v1', kind: 'Pod' } })).items.length, 22);
    await store.close();
  });

  it('refuses to listen beyond loopback without a token, and requires the token when given', async () => {
    const refused = await cli(['serve', '--memory', '--host', '0.0.0.0', '--port', '0']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /refusing to listen on 0\.0\.0\.0 without a token/);
    const tokenFile = join(tempDir(), 'token');
    writeFileSync(tokenFile, 'hunter2\n');
    const { child, url, exited } = await startServe(['--memory', '--token-file', tokenFile]);
    assert.equal((await request(`${url}/api/v1/nodes`)).status, 401);
    assert.equal((await request(`${url}/api/v1/nodes`, { headers: { authorization: 'Bearer hunter2' } })).status, 200);
    assert.equal((await request(`${url}/healthz`)).status, 200);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  });
});
