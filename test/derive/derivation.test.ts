/**
 * Relationships derived in the write path, on both engines: they follow relabels, selector
 * changes, volume changes and deletes in every order; a batch of a Service and 1,000 Pods derives
 * every edge; a rule that throws writes nothing; a caller's own relationship is left alone.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_RETENTION } from '../../src/events/change-log.js';
import type { DerivationRule } from '../../src/relations/derivation-rules.js';
import { isStoreError } from '../../src/storage/errors.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { DEFAULT_MAX_DATA_BYTES, openStoreOn } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import type { ResourceInput, ResourceRef } from '../../src/model/types.js';
import { factories, tempDir, type StoreFactory } from '../helpers/stores.js';

const NS = 'web';
const podRef = (name: string, namespace = NS): ResourceRef => ({ group: '', version: 'v1', kind: 'Pod', namespace, name });
const serviceRef = (name: string, namespace = NS): ResourceRef => ({ group: '', version: 'v1', kind: 'Service', namespace, name });

function pod(name: string, labels: Record<string, string>, spec: Record<string, unknown> = {}, namespace = NS): ResourceInput {
  return { ref: podRef(name, namespace), labels, data: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec } } };
}

function service(name: string, selector: Record<string, string> | undefined, namespace = NS): ResourceInput {
  return { ref: serviceRef(name, namespace), data: { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: selector === undefined ? {} : { selector } } };
}

const short = (type: string) => type.slice(type.lastIndexOf('.') + 1);
const end = (r: ResourceRef) => `${r.kind}/${r.namespace === '' ? '' : `${r.namespace}/`}${r.name}`;

/** Every relationship as `subject -Predicate-> object`, with `*` after a derived one's predicate. */
async function edges(store: ResourceStore): Promise<string[]> {
  const page = await store.getRelationships({});
  return page.items.map((r) => `${end(r.subject)} -${short(r.predicate.type)}${r.derived === undefined ? '' : '*'}-> ${end(r.object)}`).sort();
}

async function selects(store: ResourceStore): Promise<string[]> {
  return (await edges(store)).filter((e) => e.includes('-ServiceSelects'));
}

/** Opens a store of `factory`'s engine kind with derivation options. */
async function openWith(factory: StoreFactory, derivation: { disable?: string[]; rules?: DerivationRule[] }): Promise<ResourceStore> {
  const engine = await openLevelEngine(factory.name === 'memory-level' ? {} : { path: join(tempDir(), 'db') });
  return openStoreOn(engine, { maxDataBytes: DEFAULT_MAX_DATA_BYTES, cache: {}, registry: undefined, retention: DEFAULT_RETENTION, derivation });
}

for (const factory of factories) {
  describe(`derived relationships on ${factory.name}`, () => {
    it('derives owners, node bindings, uses, claim and role bindings, marked derived, and follows their changes', async () => {
      const { store } = await factory.open();
      await store.add(
        pod('p', {}, {
          nodeName: 'n1',
          serviceAccountName: 'sa',
          volumes: [{ name: 'cfg', configMap: { name: 'cm' } }, { name: 'data', persistentVolumeClaim: { claimName: 'claim' } }, { name: 'all', projected: { sources: [{ secret: { name: 's1' } }, { configMap: { name: 'cm' } }] } }],
          containers: [{ name: 'app', envFrom: [{ secretRef: { name: 's2' } }], env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'cm2', key: 'k' } } }] }],
          imagePullSecrets: [{ name: 'pull' }],
        }),
      );
      const owned: ResourceInput = { ref: podRef('q'), data: { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'replicaset', name: 'rs', uid: 'u1', controller: true }, { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u2' }] } } };
      await store.add(owned);
      await store.add({ ref: { version: 'v1', kind: 'PersistentVolumeClaim', namespace: NS, name: 'claim' }, data: { spec: { volumeName: 'pv1' } } });
      await store.add({ ref: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', namespace: NS, name: 'rb' }, data: { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' } } });
      await store.add({ ref: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', name: 'crb' }, data: { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' } } });
      assert.deepEqual(await edges(store), [
        'ClusterRoleBinding/crb -BindsRole*-> ClusterRole/admin',
        'Node/n1 -OwnerReference*-> Pod/web/q',
        'PersistentVolumeClaim/web/claim -ClaimBinding*-> PersistentVolume/pv1',
        'Pod/web/p -PodNodeBinding*-> Node/n1',
        'Pod/web/p -PodUses*-> ConfigMap/web/cm',
        'Pod/web/p -PodUses*-> ConfigMap/web/cm2',
        'Pod/web/p -PodUses*-> PersistentVolumeClaim/web/claim',
        'Pod/web/p -PodUses*-> Secret/web/pull',
        'Pod/web/p -PodUses*-> Secret/web/s1',
        'Pod/web/p -PodUses*-> Secret/web/s2',
        'Pod/web/p -PodUses*-> ServiceAccount/web/sa',
        'ReplicaSet/web/rs -OwnerReference*-> Pod/web/q',
        'RoleBinding/web/rb -BindsRole*-> Role/web/reader',
      ]);
      const cm = await store.getRelationships({ subject: podRef('p'), object: { version: 'v1', kind: 'ConfigMap', namespace: NS, name: 'cm' } });
      assert.deepEqual(cm.items[0]!.predicate.value, { uses: [{ via: 'volume', name: 'cfg', container: '' }, { via: 'projected', name: 'all', container: '' }] });
      assert.equal(cm.items[0]!.derived, 'PodUses');
      const owner = await store.getRelationships({ predicate: 'OwnerReference', subject: { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: NS, name: 'rs' } });
      assert.equal(owner.items[0]!.predicate.value!.kind, 'replicaset', 'the payload keeps what the object said; the ref mends the case');

      await store.update(pod('p', {}, { nodeName: 'n2', volumes: [{ name: 'cfg', configMap: { name: 'cm3' } }] }));
      await store.update({ ...owned, data: { metadata: { ownerReferences: [] } } });
      assert.deepEqual(await edges(store), [
        'ClusterRoleBinding/crb -BindsRole*-> ClusterRole/admin',
        'PersistentVolumeClaim/web/claim -ClaimBinding*-> PersistentVolume/pv1',
        'Pod/web/p -PodNodeBinding*-> Node/n2',
        'Pod/web/p -PodUses*-> ConfigMap/web/cm3',
        'RoleBinding/web/rb -BindsRole*-> Role/web/reader',
      ]);
      await store.close();
    });

    it('keeps an edge to a resource deleted while the content still names it, and drops the edges a deleted resource named', async () => {
      const { store } = await factory.open();
      await store.add({ ref: { version: 'v1', kind: 'ConfigMap', namespace: NS, name: 'cm' }, data: {} });
      await store.add({ ref: { version: 'v1', kind: 'Node', name: 'n1' }, data: {} });
      await store.add(pod('p', { app: 'web' }, { nodeName: 'n1', volumes: [{ name: 'v', configMap: { name: 'cm' } }] }));
      await store.add(service('s', { app: 'web' }));
      await store.delete({ version: 'v1', kind: 'ConfigMap', namespace: NS, name: 'cm' });
      await store.delete({ version: 'v1', kind: 'Node', name: 'n1' });
      assert.deepEqual(await edges(store), ['Pod/web/p -PodNodeBinding*-> Node/n1', 'Pod/web/p -PodUses*-> ConfigMap/web/cm', 'Service/web/s -ServiceSelects*-> Pod/web/p']);
      await store.delete(podRef('p'));
      assert.deepEqual(await edges(store), []);
      assert.deepEqual((await store.verify()).findings, []);
      await store.close();
    });

    it('keeps ServiceSelects true through relabels, selector changes and deletes, whichever end is written first', async () => {
      const { store } = await factory.open();
      await store.add(pod('a', { app: 'web', tier: 'fe' }));
      await store.add(service('s', { app: 'web' }));
      await store.add(service('t', { tier: 'fe', app: 'web' }));
      await store.add(service('empty', {}));
      await store.add(service('none', undefined));
      await store.add(pod('other', { app: 'web' }, {}, 'elsewhere'));
      assert.deepEqual(await selects(store), ['Service/web/s -ServiceSelects*-> Pod/web/a', 'Service/web/t -ServiceSelects*-> Pod/web/a']);
      await store.add(pod('b', { app: 'web' }));
      assert.deepEqual(await selects(store), ['Service/web/s -ServiceSelects*-> Pod/web/a', 'Service/web/s -ServiceSelects*-> Pod/web/b', 'Service/web/t -ServiceSelects*-> Pod/web/a']);
      await store.update(pod('a', { app: 'db', tier: 'fe' }));
      assert.deepEqual(await selects(store), ['Service/web/s -ServiceSelects*-> Pod/web/b']);
      await store.update(service('s', { app: 'db' }));
      assert.deepEqual(await selects(store), ['Service/web/s -ServiceSelects*-> Pod/web/a']);
      const edge = await store.getRelationships({ predicate: 'ServiceSelects' });
      assert.deepEqual(edge.items[0]!.predicate.value, { selector: { app: 'db' } });
      await store.update(pod('b', { app: 'web', tier: 'fe' }));
      assert.deepEqual(await selects(store), ['Service/web/s -ServiceSelects*-> Pod/web/a', 'Service/web/t -ServiceSelects*-> Pod/web/b']);
      await store.delete(serviceRef('t'));
      await store.delete(podRef('a'));
      assert.deepEqual(await selects(store), []);
      await store.add(service('t', { app: 'web' }));
      assert.deepEqual(await selects(store), ['Service/web/t -ServiceSelects*-> Pod/web/b']);
      assert.deepEqual((await store.verify()).findings, []);
      await store.close();
    });

    it('derives every edge of a batch that writes a Service and 1,000 Pods, in either order', async () => {
      const { store } = await factory.open();
      const pods = Array.from({ length: 1000 }, (_, i) => ({ op: 'add' as const, resource: pod(`p${i}`, { app: 'web', i: String(i) }) }));
      await store.batch([{ op: 'add', resource: service('first', { app: 'web' }) }, ...pods]);
      assert.equal((await store.getRelationships({ subject: serviceRef('first') })).items.length, 1000);
      await store.batch([...pods.map((p) => ({ op: 'add' as const, resource: pod(p.resource.ref.name.replace('p', 'q'), { app: 'web' }) })), { op: 'add', resource: service('last', { app: 'web' }) }]);
      assert.equal((await store.getRelationships({ subject: serviceRef('last') })).items.length, 2000);
      assert.equal((await store.getRelationships({ subject: serviceRef('first') })).items.length, 2000);
      await store.close();
    });

    it('loses no ServiceSelects edge when a Service and its Pods are written at once by separate calls', async () => {
      const { store } = await factory.open();
      for (let round = 0; round < 20; round++) {
        const app = `app${round}`;
        await Promise.all([store.add(service(`s${round}`, { app })), store.add(pod(`a${round}`, { app })), store.add(pod(`b${round}`, { app, x: 'y' }))]);
      }
      assert.equal((await selects(store)).length, 40);
      await store.close();
    });

    it('leaves a caller\'s own relationship alone, and refuses to delete a derived one', async () => {
      const { store } = await factory.open();
      const own = { subject: podRef('p'), predicate: { type: 'PodNodeBinding', value: { nodeName: 'mine' } }, object: { version: 'v1', kind: 'Node', name: 'n1' } };
      await store.addRelationships(own);
      await store.add(pod('p', {}, { nodeName: 'n1' }));
      await store.update(pod('p', {}, { nodeName: 'n2' }));
      const bindings = (await store.getRelationships({ predicate: 'PodNodeBinding' })).items;
      assert.deepEqual(bindings.map((r) => [r.object.name, r.derived, r.predicate.value!.nodeName]), [['n1', undefined, 'mine'], ['n2', 'PodNodeBinding', 'n2']]);
      const derived = { ...own, object: { version: 'v1', kind: 'Node', name: 'n2' } };
      await assert.rejects(store.deleteRelationships(derived), (err) => isStoreError(err, 'INVALID_ARGUMENT'));
      await store.addRelationships(derived);
      await store.update(pod('p', {}, { nodeName: 'n3' }));
      const after = (await store.getRelationships({ predicate: 'PodNodeBinding' })).items;
      assert.deepEqual(after.map((r) => [r.object.name, r.derived]), [['n1', undefined], ['n2', undefined], ['n3', 'PodNodeBinding']], 'added by the caller, it became theirs');
      await store.close();
    });

    it('publishes derived relationships in the same revision sequence, right after their resource', async () => {
      const { store } = await factory.open();
      const seen: string[] = [];
      const subscription = store.subscribe({ relationships: true }).subscribe((e) => seen.push(`${e.revision} ${e.kind} ${e.type}`));
      const start = store.revision;
      await store.add(service('s', { app: 'web' }));
      await store.add(pod('p', { app: 'web' }, { nodeName: 'n1' }));
      await store.delete(podRef('p'));
      subscription.unsubscribe();
      assert.deepEqual(seen, [
        `${start + 1} resource add`,
        `${start + 2} resource add`,
        `${start + 3} relationship add`,
        `${start + 4} relationship add`,
        `${start + 5} resource delete`,
        `${start + 6} relationship delete`,
        `${start + 7} relationship delete`,
      ]);
      await store.close();
    });

    it('fails a write whose rule throws with INVALID_ARGUMENT naming the rule, and writes nothing', async () => {
      const store = await openWith(factory, {
        rules: [{ name: 'Fragile', predicate: 'OwnerReference', direction: 'out', kinds: [{ kind: 'ConfigMap' }], derive: () => { throw new Error('boom'); } }],
        disable: ['OwnerReference'],
      });
      await store.add(pod('p', { app: 'web' }));
      const before = store.revision;
      await assert.rejects(store.add({ ref: { version: 'v1', kind: 'ConfigMap', namespace: NS, name: 'c' }, data: {} }), (err) => isStoreError(err, 'INVALID_ARGUMENT') && err.details.field === 'rules.Fragile');
      await assert.rejects(
        store.batch([{ op: 'add', resource: service('s', { app: 'web' }) }, { op: 'add', resource: { ref: { version: 'v1', kind: 'ConfigMap', namespace: NS, name: 'c' }, data: {} } }]),
        (err) => isStoreError(err, 'INVALID_ARGUMENT') && err.details.index === 1,
      );
      assert.equal(store.revision, before);
      assert.deepEqual(await edges(store), []);
      await store.close();
    });

    it('runs rules of a caller\'s own and turns built-in rules off per store', async () => {
      const store = await openWith(factory, { disable: ['PodNodeBinding', 'ServiceSelects'] });
      store.registerRule({
        name: 'Annotated',
        predicate: 'resourcestore.v1.PodNodeBinding',
        direction: 'out',
        kinds: [{ group: 'apps', kind: 'Deployment' }],
        derive: (r) => (r.annotations.uses ? [{ ref: { version: 'v1', kind: 'Secret', namespace: r.ref.namespace, name: r.annotations.uses }, value: { nodeName: r.annotations.uses } }] : []),
      });
      assert.throws(() => store.registerRule({ name: 'Again', predicate: 'OwnerReference', direction: 'in', derive: () => [] }), (err) => isStoreError(err, 'INVALID_ARGUMENT'));
      await store.add(service('s', { app: 'web' }));
      await store.add(pod('p', { app: 'web' }, { nodeName: 'n1' }));
      const deployment = { ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: NS, name: 'd' }, annotations: { uses: 'db' }, data: {} };
      await store.add(deployment);
      assert.deepEqual(await edges(store), ['Deployment/web/d -PodNodeBinding*-> Secret/web/db']);
      assert.equal((await store.getRelationships({ predicate: 'PodNodeBinding' })).items[0]!.derived, 'Annotated');
      await store.update({ ...deployment, annotations: {} });
      assert.deepEqual(await edges(store), []);
      await store.close();
      await assert.rejects(openWith(factory, { disable: ['NoSuchRule'] }), (err) => isStoreError(err, 'INVALID_ARGUMENT'));
    });

    it('derives nothing from data that is not what the rules expect, and never fails the write', async () => {
      const { store } = await factory.open();
      const odd: unknown[] = [null, 7, 'text', [], { spec: null }, { spec: { nodeName: 5, volumes: 'x', selector: [] } }, { metadata: { ownerReferences: [null, { kind: 'X' }, { kind: 'Y', name: 'n', apiVersion: '' }] } }];
      for (const [i, data] of odd.entries()) {
        await store.add({ ref: podRef(`odd${i}`), data: { wrapped: data, ...(typeof data === 'object' && data !== null && !Array.isArray(data) ? data : {}) } });
        await store.add({ ref: serviceRef(`odd${i}`), data: { ...(typeof data === 'object' && data !== null && !Array.isArray(data) ? data : {}) } });
      }
      assert.deepEqual(await edges(store), []);
      assert.deepEqual((await store.verify()).findings, []);
      await store.close();
    });
  });
}
