import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isStoreError } from '../../src/storage/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { INITIAL_EVENTS_END, bookmarkObject, fromManifest, listOf, toManifest, watchLine } from '../../src/kube/manifest.js';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'shop',
    labels: { app: 'web' },
    annotations: { note: 'x' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Thing', name: 'o', uid: 'u-1' }],
    resourceVersion: '999',
    generation: 7,
  },
  spec: { replicas: 2 },
  status: { observedGeneration: 7 },
};
const target = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop' };

function rejects(body: unknown, to: Parameters<typeof fromManifest>[1], field: string): void {
  assert.throws(() => fromManifest(body, to), (err) => isStoreError(err, 'INVALID_ARGUMENT') && err.details.field === field, field);
}

describe('manifests', () => {
  let store: ResourceStore;
  before(async () => {
    store = await openStore();
  });
  after(() => store.close());

  it('reads a stored resource as the manifest written, with the metadata the server owns', async () => {
    const { input, resourceVersion } = fromManifest(deployment, target);
    assert.equal(resourceVersion, '999');
    const added = await store.add(input);
    const manifest = toManifest(added, store.revision) as typeof deployment & { metadata: Record<string, unknown> };
    assert.equal(manifest.apiVersion, 'apps/v1');
    assert.equal(manifest.kind, 'Deployment');
    assert.deepEqual(manifest.metadata, {
      name: 'web',
      namespace: 'shop',
      uid: added.uid,
      resourceVersion: String(store.revision),
      generation: 1,
      creationTimestamp: `${added.createdAt.slice(0, 19)}Z`,
      labels: { app: 'web' },
      annotations: { note: 'x' },
      ownerReferences: deployment.metadata.ownerReferences,
    });
    assert.match(String(manifest.metadata.creationTimestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual([manifest.spec, manifest.status], [deployment.spec, deployment.status]);
    assert.deepEqual(Object.keys(manifest).slice(0, 3), ['apiVersion', 'kind', 'metadata']);
  });

  it('stores the same data when what was read is written back, so applying it again writes nothing', async () => {
    const round = { ...target, name: 'round' };
    const added = await store.add(fromManifest({ ...deployment, metadata: { ...deployment.metadata, name: 'round' } }, target).input);
    const readBack = fromManifest(toManifest(added, store.revision), round);
    assert.equal(readBack.input.uid, added.uid);
    assert.equal(readBack.resourceVersion, String(store.revision));
    const applied = await store.apply(readBack.input);
    const revision = store.revision;
    await store.apply(fromManifest(toManifest(applied, revision), round).input);
    assert.equal(store.revision, revision);
  });

  it('keeps a written creationTimestamp, omits the namespace of a cluster-scoped resource, and grows generation on update', async () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', namespace: 'ignored', creationTimestamp: '2021-08-17T16:28:56Z' } };
    const { input } = fromManifest(node, { group: '', version: 'v1', kind: 'Node', namespace: '' });
    assert.equal(input.ref.namespace, '');
    const added = await store.add(input);
    const manifest = toManifest(added, store.revision);
    assert.deepEqual(manifest.metadata, { name: 'n1', uid: added.uid, resourceVersion: String(store.revision), generation: 1, creationTimestamp: '2021-08-17T16:28:56Z' });
    const updated = await store.update({ ...input, labels: { zone: 'a' } });
    assert.equal((toManifest(updated, store.revision).metadata as { generation: number }).generation, 2);
  });

  it('writes unset template metadata with creationTimestamp null, as Kubernetes does, without changing what is stored', async () => {
    const spec = { template: { spec: { containers: [] } }, volumeClaimTemplates: [{ metadata: { name: 'data' } }, { metadata: { name: 'x', creationTimestamp: '2021-01-01T00:00:00Z' } }] };
    const set = await store.add({ ref: { group: 'apps', version: 'v1', kind: 'StatefulSet', namespace: 'shop', name: 'db' }, data: { spec } });
    const manifest = toManifest(set, set.revision) as { spec: { template: { metadata: unknown }; volumeClaimTemplates: Array<{ metadata: unknown }> } };
    assert.deepEqual(manifest.spec.template.metadata, { creationTimestamp: null });
    assert.deepEqual(manifest.spec.volumeClaimTemplates.map((t) => t.metadata), [{ name: 'data', creationTimestamp: null }, { name: 'x', creationTimestamp: '2021-01-01T00:00:00Z' }]);
    assert.deepEqual((set.data as { spec: unknown }).spec, spec, 'the stored data is as written');
    const cron = await store.add({ ref: { group: 'batch', version: 'v1', kind: 'CronJob', namespace: 'shop', name: 'c' }, data: { spec: { jobTemplate: { spec: { template: { metadata: { labels: { a: 'b' } } } } } } } });
    const job = (toManifest(cron, cron.revision) as { spec: { jobTemplate: { metadata: unknown; spec: { template: { metadata: unknown } } } } }).spec.jobTemplate;
    assert.deepEqual([job.metadata, job.spec.template.metadata], [{ creationTimestamp: null }, { labels: { a: 'b' }, creationTimestamp: null }]);
    const pod = await store.add({ ref: { version: 'v1', kind: 'Pod', namespace: 'shop', name: 'p' }, data: { spec: { template: {} } } });
    assert.deepEqual((toManifest(pod, pod.revision) as { spec: unknown }).spec, { template: {} }, 'only the kinds that embed metadata');
  });

  it('fills apiVersion, kind, namespace and name in from the path, and generates a name from generateName', () => {
    const { input } = fromManifest({ metadata: { generateName: 'web-' }, spec: {} }, target);
    assert.match(input.ref.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(input.data, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { generateName: 'web-', name: input.ref.name, namespace: 'shop' }, spec: {} });
    assert.equal(fromManifest({}, { ...target, name: 'from-path' }).input.ref.name, 'from-path');
  });

  it('refuses a body that disagrees with the path, or names nothing (400 BadRequest)', () => {
    rejects([], target, 'body');
    rejects({ ...deployment, apiVersion: 'apps/v1beta1' }, target, 'apiVersion');
    rejects({ ...deployment, kind: 'StatefulSet' }, target, 'kind');
    rejects({ ...deployment, metadata: { name: 'web', namespace: 'other' } }, target, 'metadata.namespace');
    rejects({ ...deployment, metadata: { name: 'other' } }, { ...target, name: 'web' }, 'metadata.name');
    rejects({ spec: {} }, target, 'metadata.name');
    rejects({ metadata: 'x' }, target, 'metadata');
    rejects({ metadata: { name: 'a', resourceVersion: 5 } }, target, 'metadata.resourceVersion');
  });

  it('wraps a page as a typed list, and events as watch lines and bookmarks', () => {
    assert.deepEqual(listOf('', 'v1', 'Pod', [], { revision: 42, continue: 'abc', remainingItemCount: 3 }), {
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: { resourceVersion: '42', continue: 'abc', remainingItemCount: 3 },
      items: [],
    });
    assert.deepEqual(listOf('apps', 'v1', 'Deployment', [], { revision: 1 }).metadata, { resourceVersion: '1' });
    const line = watchLine('BOOKMARK', bookmarkObject('apps', 'v1', 'Deployment', 77, true));
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
    assert.deepEqual(JSON.parse(line), {
      type: 'BOOKMARK',
      object: { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { resourceVersion: '77', annotations: { [INITIAL_EVENTS_END]: 'true' } } },
    });
    assert.deepEqual(bookmarkObject('', 'v1', 'Pod', 3).metadata, { resourceVersion: '3' });
  });
});
