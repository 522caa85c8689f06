import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { importFiles, storeTarget } from '../../src/import/importer.js';
import { repairIndices } from '../../src/integrity/repair.js';
import { verifyIntegrity } from '../../src/integrity/verify.js';
import { encodeKey } from '../../src/storage/key-codec.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { StoreError } from '../../src/storage/errors.js';
import { buildServer } from '../../src/server/http-server.js';
import { tempDir } from '../helpers/stores.js';

const FIXTURE = new URL('../fixtures/kind-cluster.json', import.meta.url);
const coredns = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'kube-system', name: 'coredns' };
const corrupted = (err: unknown) => err instanceof StoreError && err.code === 'CORRUPTED';

async function damagedStore(): Promise<string> {
  const path = join(tempDir(), 'db');
  const store = await openStore({ path });
  await importFiles([{ name: 'kind-cluster.json', text: readFileSync(FIXTURE, 'utf8') }], storeTarget(store));
  await store.close();
  const engine = await openLevelEngine({ path });
  const resourceKey = encodeKey('res', 'apps', 'v1', 'Deployment', 'kube-system', 'coredns');
  const bytes = (await engine.get(resourceKey))!;
  await engine.commit({
    checks: [],
    puts: [
      [resourceKey, bytes.subarray(0, bytes.length >> 1)], // a value truncated
      [encodeKey('rel-count', '', 'v1', 'Node', '', 'kind-control-plane'), new Uint8Array(3)], // a relationship count that is no count
    ],
    dels: [
      encodeKey('idx-ns', 'kube-system', '', 'v1', 'ConfigMap', 'coredns'), // an index entry removed
      encodeKey('rel-pos', 'resourcestore.v1.PodNodeBinding', '', 'v1', 'Node', '', 'kind-control-plane', '', 'v1', 'Pod', 'kube-system', 'etcd-kind-control-plane'),
    ],
    counters: [['["resources","","v1","Service"]', 3]],
    changes: 0,
  });
  await engine.close();
  return path;
}

describe('a damaged store', () => {
  it('is reported by verify with the exact keys', async () => {
    const path = await damagedStore();
    const engine = await openLevelEngine({ path });
    const { findings } = await verifyIntegrity(engine);
    await engine.close();
    const keys = findings.map((f) => f.key).sort();
    assert.deepEqual(keys, [
      '/counter/["resources","","v1","Service"]',
      '/counter/["resources","apps","v1","Deployment"]', // counts the resource that no longer decodes
      '/idx-label/k8s-app/kube-dns/apps/v1/Deployment/kube-system/coredns',
      '/idx-ns/kube-system//v1/ConfigMap/coredns',
      '/idx-ns/kube-system/apps/v1/Deployment/coredns',
      '/rel-count//v1/Node//kind-control-plane',
      '/rel-pos/resourcestore.v1.PodNodeBinding//v1/Node//kind-control-plane//v1/Pod/kube-system/etcd-kind-control-plane',
      '/rel-spo/apps/v1/Deployment/kube-system/coredns/resourcestore.v1.TemplateUses//v1/ConfigMap/kube-system/coredns',
      '/rel-spo/apps/v1/Deployment/kube-system/coredns/resourcestore.v1.TemplateUses//v1/ServiceAccount/kube-system/coredns',
      '/res/apps/v1/Deployment/kube-system/coredns',
    ]);
  });

  it('fails reads of the damaged value with CORRUPTED, never a crash, in the API and over HTTP', async () => {
    const path = await damagedStore();
    const store = await openStore({ path });
    await assert.rejects(store.get(coredns), corrupted);
    await assert.rejects(store.list({ type: { group: 'apps', version: 'v1', kind: 'Deployment' } }), corrupted);
    assert.equal((await store.get({ version: 'v1', kind: 'Node', name: 'kind-control-plane' })).ref.name, 'kind-control-plane', 'the rest reads fine');
    const server = buildServer({ store });
    const answer = await server.app.inject({ method: 'GET', url: '/apis/apps/v1/namespaces/kube-system/deployments/coredns' });
    assert.equal(answer.statusCode, 500);
    assert.equal(answer.json().reason, 'InternalError');
    const own = await server.app.inject({ method: 'GET', url: '/resource?ref=apps%2Fv1%2FDeployment%2Fkube-system%2Fcoredns' });
    assert.equal(own.statusCode, 500);
    assert.equal(own.json().code, 'CORRUPTED');
    assert.equal((await server.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the server lives on');
    await server.shutdown();
  });

  it('is mended by repair: indices, relationship orders and counters rebuilt from the data', async () => {
    const path = await damagedStore();
    const engine = await openLevelEngine({ path });
    const report = await repairIndices(engine);
    assert.deepEqual(report.undecodable, ['/res/apps/v1/Deployment/kube-system/coredns']);
    const { findings } = await verifyIntegrity(engine);
    await engine.close();
    assert.deepEqual(findings.map((f) => f.key), ['/res/apps/v1/Deployment/kube-system/coredns'], 'only the value no repair can know remains');
    const store = await openStore({ path });
    assert.equal((await store.list({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns' })).items.length > 0, true);
    await store.close();
  });
});
