import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { importFiles, storeTarget } from '../../src/import/importer.js';
import { readKubernetesObjects } from '../../src/import/kubernetes-objects.js';
import { openStore } from '../../src/store/open-store.js';

const DUMPS = new URL('../fixtures/k8s-dumps/', import.meta.url);
const dump = (name: string) => ({ name, text: readFileSync(new URL(name, DUMPS), 'utf8') });

describe('reading Kubernetes dumps', () => {
  it('takes typed lists whose items carry no kind or apiVersion, arrays, and multi-document YAML', () => {
    const yaml = [
      '---',
      '{"apiVersion":"v1","kind":"PodList","items":[{"metadata":{"name":"a","namespace":"x"}}]}',
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: d, namespace: x}',
      '---',
      'kind: [unclosed',
      '---',
      '"just a string"',
    ].join('\n');
    const { objects, rejections } = readKubernetesObjects('mixed.yaml', yaml);
    assert.deepEqual(objects.map((o) => [o.object.kind, o.object.apiVersion, o.origin.document, o.origin.item]), [
      ['Pod', 'v1', 0, 0],
      ['Deployment', 'apps/v1', 1, undefined],
    ]);
    assert.deepEqual(rejections.map((r) => r.origin.document), [2, 3]);
    const array = readKubernetesObjects('a.json', '[{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"}}, 7]');
    assert.equal(array.objects.length, 1);
    assert.deepEqual(array.rejections.map((r) => r.origin.item), [1]);
  });
});

describe('importing the real dumps of test/fixtures/k8s-dumps', () => {
  it('takes all 1,450 objects as they are, and the store derives every ownerReference and nodeName', async () => {
    const store = await openStore();
    const files = readdirSync(DUMPS).filter((f) => !f.endsWith('.md')).sort().map(dump);
    const summary = await importFiles(files, storeTarget(store));
    assert.equal(summary.objects, 1450);
    assert.deepEqual(summary.rejected, []);
    assert.equal(summary.created + summary.replaced, 1450, 'refs shared by two clusters (default namespace...) are replaced');
    // ownerReferences: 14 + 21 + 336 + 1; nodeNames: 8 + 21 + 239 + 1 (SOURCES.md).
    const count = async (predicate: string) => (await store.getRelationships({ predicate })).items.length;
    assert.equal((await count('OwnerReference')) + (await count('PodNodeBinding')), 641);
    const again = await importFiles(files, storeTarget(store));
    assert.equal(again.unchanged + again.replaced, 1450);
    await store.close();
  });

  it('resolves owners by uid, and mends a lowercase owner kind (ingress-canary)', async () => {
    const store = await openStore();
    await importFiles([dump('openshift-must-gather-clean-aws-ocp48-must-gather.yaml')], storeTarget(store));
    const owners = await store.getRelationships({
      predicate: 'OwnerReference',
      object: { version: 'v1', kind: 'Service', namespace: 'openshift-ingress-canary', name: 'ingress-canary' },
    });
    assert.deepEqual(owners.items.map((r) => `${r.subject.group}/${r.subject.kind}/${r.subject.name}`), ['apps/DaemonSet/ingress-canary']);
    assert.equal(owners.items[0]!.predicate.value!.kind, 'daemonset', 'the predicate keeps what the object said');
    await store.close();
  });

  it('builds Deployment → ReplicaSet → Pod → Node chains a traversal follows', async () => {
    const store = await openStore();
    await importFiles([dump('replicatedhq-troubleshoot-k3d-support-bundle.json')], storeTarget(store));
    const graph = await store.traverse({ from: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'default', name: 'nginx-deployment' }, maxDepth: 3, predicates: ['OwnerReference', 'PodNodeBinding'] });
    const kinds = graph.nodes.map((n) => `${n.depth}:${n.ref.kind}`);
    assert.ok(kinds.includes('1:ReplicaSet') && kinds.includes('2:Pod') && kinds.includes('3:Node'), kinds.join(' '));
    assert.ok(graph.nodes.every((n) => n.resource !== undefined), 'every node of this chain is in the dump');
    const dangling = await store.getRelationships({ object: { version: 'v1', kind: 'Pod', namespace: 'kube-system' }, predicate: 'OwnerReference' });
    assert.ok(dangling.items.some((r) => r.subject.kind === 'DaemonSet'), 'the DaemonSet owner the bundle lacks is still named');
    await store.close();
  });
});
