/**
 * The built-in rules beyond a Pod's own edges, on both engines: Ingress → Service backends,
 * HorizontalPodAutoscaler → scale target, (Cluster)RoleBinding → ServiceAccount subjects, workload
 * controllers → what their pod template uses, EndpointSlice → Pod. Each is derived on add, follows
 * updates, keeps an edge to a deleted other end its content still names, and goes with a delete.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_RETENTION } from '../../src/events/change-log.js';
import { isStoreError } from '../../src/storage/errors.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { DEFAULT_MAX_DATA_BYTES, openStoreOn } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import type { ResourceInput, ResourceRef } from '../../src/model/types.js';
import { factories, tempDir, type StoreFactory } from '../helpers/stores.js';

const NS = 'web';
const RBAC = 'rbac.authorization.k8s.io';
const ref = (group: string, kind: string, name: string, namespace = NS, version = 'v1'): ResourceRef => ({ group, version, kind, namespace, name });

const short = (type: string) => type.slice(type.lastIndexOf('.') + 1);
const end = (r: ResourceRef) => `${r.kind}/${r.namespace === '' ? '' : `${r.namespace}/`}${r.name}`;

/** Every relationship of `predicate` as `subject -> object`, and all of them marked derived. */
async function edges(store: ResourceStore, predicate: string): Promise<string[]> {
  const items = (await store.getRelationships({ predicate })).items;
  assert.ok(items.every((r) => r.derived === predicate && short(r.predicate.type) === predicate));
  return items.map((r) => `${end(r.subject)} -> ${end(r.object)}`).sort();
}

/** The payload of the one relationship between two ends. */
async function payload(store: ResourceStore, subject: ResourceRef, object: ResourceRef): Promise<Record<string, unknown> | null> {
  const items = (await store.getRelationships({ subject, object })).items;
  assert.equal(items.length, 1);
  return items[0]!.predicate.value;
}

function ingress(name: string, spec: Record<string, unknown>, group = 'networking.k8s.io', version = 'v1'): ResourceInput {
  return { ref: ref(group, 'Ingress', name, NS, version), data: { apiVersion: `${group}/${version}`, kind: 'Ingress', metadata: { name, namespace: NS }, spec } };
}

const backend = (service: string, port: { number?: number; name?: string }) => ({ service: { name: service, port } });
const path = (p: string, service: string, port: { number?: number; name?: string }) => ({ path: p, pathType: 'Prefix', backend: backend(service, port) });

function hpa(name: string, scaleTargetRef: Record<string, unknown>, version = 'v2'): ResourceInput {
  return { ref: ref('autoscaling', 'HorizontalPodAutoscaler', name, NS, version), data: { apiVersion: `autoscaling/${version}`, kind: 'HorizontalPodAutoscaler', spec: { scaleTargetRef, minReplicas: 1, maxReplicas: 5 } } };
}

function binding(kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, subjects: unknown[]): ResourceInput {
  const namespace = kind === 'RoleBinding' ? NS : '';
  return { ref: ref(RBAC, kind, name, namespace), data: { apiVersion: `${RBAC}/v1`, kind, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' }, subjects } };
}

const podSpec = (configMap: string, secret: string, account: string) => ({
  serviceAccountName: account,
  volumes: [{ name: 'cfg', configMap: { name: configMap } }],
  containers: [{ name: 'app', image: 'nginx', envFrom: [{ secretRef: { name: secret } }] }],
});

function slice(name: string, endpoints: unknown[]): ResourceInput {
  return { ref: ref('discovery.k8s.io', 'EndpointSlice', name), data: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4', endpoints } };
}

async function openWithout(factory: StoreFactory, disable: string[]): Promise<ResourceStore> {
  const engine = await openLevelEngine(factory.name === 'memory-level' ? {} : { path: join(tempDir(), 'db') });
  return openStoreOn(engine, { maxDataBytes: DEFAULT_MAX_DATA_BYTES, cache: {}, registry: undefined, retention: DEFAULT_RETENTION, derivation: { disable } });
}

for (const factory of factories) {
  describe(`more built-in rules on ${factory.name}`, () => {
    it('derives IngressRoutesTo from the default backend and every path, with each route, and follows updates and deletes', async () => {
      const { store } = await factory.open();
      const web = ingress('site', {
        defaultBackend: backend('fallback', { number: 80 }),
        rules: [
          { host: 'a.example.com', http: { paths: [path('/api', 'api', { name: 'http' }), path('/', 'front', { number: 8080 })] } },
          { http: { paths: [path('/v2', 'api', { number: 9000 }), { path: '/bucket', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'b' } } }] } },
        ],
      });
      await store.add(web);
      await store.add({ ref: ref('', 'Service', 'api'), data: { spec: {} } });
      await store.add({ ref: ref('', 'Service', 'front'), data: { spec: {} } });
      assert.deepEqual(await edges(store, 'IngressRoutesTo'), ['Ingress/web/site -> Service/web/api', 'Ingress/web/site -> Service/web/fallback', 'Ingress/web/site -> Service/web/front']);
      assert.deepEqual(await payload(store, web.ref as ResourceRef, ref('', 'Service', 'api')), {
        routes: [
          { host: 'a.example.com', path: '/api', pathType: 'Prefix', portNumber: 0, portName: 'http', defaultBackend: false },
          { host: '', path: '/v2', pathType: 'Prefix', portNumber: 9000, portName: '', defaultBackend: false },
        ],
      });
      assert.deepEqual(await payload(store, web.ref as ResourceRef, ref('', 'Service', 'fallback')), {
        routes: [{ host: '', path: '', pathType: '', portNumber: 80, portName: '', defaultBackend: true }],
      });

      await store.update(ingress('site', { rules: [{ host: 'b.example.com', http: { paths: [path('/', 'front', { number: 8080 })] } }] }));
      assert.deepEqual(await edges(store, 'IngressRoutesTo'), ['Ingress/web/site -> Service/web/front']);
      await store.add(ingress('old', { backend: { serviceName: 'legacy', servicePort: 'http' }, rules: [{ host: 'c', http: { paths: [{ path: '/', backend: { serviceName: 'legacy', servicePort: 81 } }] } }] }, 'extensions', 'v1beta1'));
      assert.deepEqual(await payload(store, ref('extensions', 'Ingress', 'old', NS, 'v1beta1'), ref('', 'Service', 'legacy')), {
        routes: [
          { host: '', path: '', pathType: '', portNumber: 0, portName: 'http', defaultBackend: true },
          { host: 'c', path: '/', pathType: '', portNumber: 81, portName: '', defaultBackend: false },
        ],
      });
      await store.delete(ref('', 'Service', 'front'));
      assert.deepEqual(await edges(store, 'IngressRoutesTo'), ['Ingress/web/old -> Service/web/legacy', 'Ingress/web/site -> Service/web/front'], 'the Ingress still names it');
      await store.delete(web.ref);
      assert.deepEqual(await edges(store, 'IngressRoutesTo'), ['Ingress/web/old -> Service/web/legacy']);
      assert.deepEqual((await store.verify()).findings, []);
      await store.close();
    });

    it('derives ScalesTarget from scaleTargetRef in the autoscaler\'s namespace, in either autoscaling version, and follows it', async () => {
      const { store } = await factory.open();
      const scaler = hpa('h', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
      await store.add(scaler);
      await store.add(hpa('old', { apiVersion: 'v1', kind: 'ReplicationController', name: 'rc' }, 'v1'));
      await store.add(hpa('unnamed', { kind: 'Deployment', name: 'no-api-version' }));
      assert.deepEqual(await edges(store, 'ScalesTarget'), ['HorizontalPodAutoscaler/web/h -> Deployment/web/web', 'HorizontalPodAutoscaler/web/old -> ReplicationController/web/rc']);
      assert.deepEqual(await payload(store, scaler.ref as ResourceRef, ref('apps', 'Deployment', 'web')), { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
      await store.update(hpa('h', { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' }));
      assert.deepEqual(await edges(store, 'ScalesTarget'), ['HorizontalPodAutoscaler/web/h -> StatefulSet/web/db', 'HorizontalPodAutoscaler/web/old -> ReplicationController/web/rc']);
      await store.delete(scaler.ref);
      await store.delete(ref('autoscaling', 'HorizontalPodAutoscaler', 'old'));
      assert.deepEqual(await edges(store, 'ScalesTarget'), []);
      await store.close();
    });

    it('derives BindsSubject for ServiceAccount subjects only, in the subject\'s namespace or the binding\'s, and follows them', async () => {
      const { store } = await factory.open();
      const rb = binding('RoleBinding', 'rb', [
        { kind: 'ServiceAccount', name: 'builder' },
        { kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' },
        { kind: 'User', apiGroup: RBAC, name: 'alice' },
        { kind: 'Group', apiGroup: RBAC, name: 'system:serviceaccounts:web' },
      ]);
      await store.add(rb);
      await store.add(binding('ClusterRoleBinding', 'crb', [{ kind: 'ServiceAccount', name: 'nowhere' }, { kind: 'ServiceAccount', name: 'monitor', namespace: 'ops' }]));
      assert.deepEqual(await edges(store, 'BindsSubject'), [
        'ClusterRoleBinding/crb -> ServiceAccount/ops/monitor',
        'RoleBinding/web/rb -> ServiceAccount/ci/deployer',
        'RoleBinding/web/rb -> ServiceAccount/web/builder',
      ]);
      assert.deepEqual(await payload(store, rb.ref as ResourceRef, ref('', 'ServiceAccount', 'builder')), { kind: 'ServiceAccount', name: 'builder', namespace: '' });
      assert.equal((await store.getRelationships({ subject: rb.ref, predicate: 'BindsRole' })).items.length, 1, 'BindsRole is derived beside it');
      await assert.rejects(
        store.deleteRelationships({ subject: rb.ref, predicate: { type: 'BindsSubject', value: { kind: 'ServiceAccount', name: 'builder' } }, object: ref('', 'ServiceAccount', 'builder') }),
        (err) => isStoreError(err, 'INVALID_ARGUMENT'),
      );
      await store.update(binding('RoleBinding', 'rb', [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' }]));
      assert.deepEqual(await edges(store, 'BindsSubject'), ['ClusterRoleBinding/crb -> ServiceAccount/ops/monitor', 'RoleBinding/web/rb -> ServiceAccount/ci/deployer']);
      await store.delete(ref(RBAC, 'ClusterRoleBinding', 'crb', ''));
      await store.delete(rb.ref);
      assert.deepEqual(await edges(store, 'BindsSubject'), []);
      await store.close();
    });

    it('derives TemplateUses from the pod template of every workload kind, and follows template changes', async () => {
      const { store } = await factory.open();
      const deployment = { ref: ref('apps', 'Deployment', 'd'), data: { spec: { template: { spec: podSpec('cm-d', 's-d', 'sa-d') } } } };
      await store.add(deployment);
      await store.add({ ref: ref('apps', 'StatefulSet', 'ss'), data: { spec: { template: { spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'shared' } }], containers: [] } } } } });
      await store.add({ ref: ref('apps', 'DaemonSet', 'ds'), data: { spec: { template: { spec: { imagePullSecrets: [{ name: 'pull' }], containers: [] } } } } });
      await store.add({ ref: ref('apps', 'ReplicaSet', 'rs'), data: { spec: { template: { spec: { serviceAccount: 'legacy-sa', containers: [] } } } } });
      await store.add({ ref: ref('', 'ReplicationController', 'rc'), data: { spec: { template: { spec: podSpec('cm-rc', 's-rc', 'default') } } } });
      await store.add({ ref: ref('batch', 'Job', 'j'), data: { spec: { template: { spec: { containers: [{ name: 'c', env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'cm-j', key: 'k' } } }] }] } } } } });
      await store.add({ ref: ref('batch', 'CronJob', 'cj'), data: { spec: { jobTemplate: { spec: { template: { spec: { volumes: [{ name: 'p', projected: { sources: [{ secret: { name: 's-cj' } }] } }], containers: [] } } } } } } });
      await store.add({ ref: ref('example.com', 'Deployment', 'not-apps'), data: { spec: { template: { spec: podSpec('x', 'y', 'z') } } } });
      assert.deepEqual(await edges(store, 'TemplateUses'), [
        'CronJob/web/cj -> Secret/web/s-cj',
        'DaemonSet/web/ds -> Secret/web/pull',
        'Deployment/web/d -> ConfigMap/web/cm-d',
        'Deployment/web/d -> Secret/web/s-d',
        'Deployment/web/d -> ServiceAccount/web/sa-d',
        'Job/web/j -> ConfigMap/web/cm-j',
        'ReplicaSet/web/rs -> ServiceAccount/web/legacy-sa',
        'ReplicationController/web/rc -> ConfigMap/web/cm-rc',
        'ReplicationController/web/rc -> Secret/web/s-rc',
        'ReplicationController/web/rc -> ServiceAccount/web/default',
        'StatefulSet/web/ss -> PersistentVolumeClaim/web/shared',
      ]);
      assert.deepEqual(await payload(store, deployment.ref, ref('', 'Secret', 's-d')), { uses: [{ via: 'envFrom', name: '', container: 'app' }] });
      assert.deepEqual(await edges(store, 'PodUses'), [], 'a template is no Pod');
      await store.update({ ...deployment, data: { spec: { template: { spec: podSpec('cm-d2', 's-d', 'sa-d') } } } });
      assert.deepEqual((await edges(store, 'TemplateUses')).filter((e) => e.startsWith('Deployment/')), [
        'Deployment/web/d -> ConfigMap/web/cm-d2',
        'Deployment/web/d -> Secret/web/s-d',
        'Deployment/web/d -> ServiceAccount/web/sa-d',
      ]);
      for (const kind of ['StatefulSet', 'DaemonSet', 'ReplicaSet']) await store.delete(ref('apps', kind, kind === 'StatefulSet' ? 'ss' : kind === 'DaemonSet' ? 'ds' : 'rs'));
      await store.delete(ref('', 'ReplicationController', 'rc'));
      await store.delete(ref('batch', 'Job', 'j'));
      await store.delete(ref('batch', 'CronJob', 'cj'));
      await store.delete(deployment.ref);
      assert.deepEqual(await edges(store, 'TemplateUses'), []);
      await store.close();
    });

    it('derives EndpointSliceTargets from targetRefs of kind Pod, with addresses and readiness, and follows them', async () => {
      const { store } = await factory.open();
      const endpoints = [
        { addresses: ['10.0.0.1'], conditions: { ready: true }, nodeName: 'n1', targetRef: { kind: 'Pod', name: 'p1', namespace: NS, uid: 'u1' } },
        { addresses: ['10.0.0.2', '10.0.0.3'], conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'p2' } },
        { addresses: ['10.0.0.4'], targetRef: { kind: 'Node', name: 'n1' } },
        { addresses: ['10.0.0.5'] },
      ];
      const s = slice('svc-abc', endpoints);
      await store.add(s);
      assert.deepEqual(await edges(store, 'EndpointSliceTargets'), ['EndpointSlice/web/svc-abc -> Pod/web/p1', 'EndpointSlice/web/svc-abc -> Pod/web/p2']);
      assert.deepEqual(await payload(store, s.ref as ResourceRef, ref('', 'Pod', 'p1')), { addresses: ['10.0.0.1'], ready: true, nodeName: 'n1' });
      assert.deepEqual(await payload(store, s.ref as ResourceRef, ref('', 'Pod', 'p2')), { addresses: ['10.0.0.2', '10.0.0.3'], ready: false, nodeName: '' });
      await store.update(slice('svc-abc', [{ ...endpoints[1]!, conditions: { ready: true } }]));
      assert.deepEqual(await edges(store, 'EndpointSliceTargets'), ['EndpointSlice/web/svc-abc -> Pod/web/p2']);
      assert.equal((await payload(store, s.ref as ResourceRef, ref('', 'Pod', 'p2')))!.ready, true);
      await store.delete(s.ref);
      assert.deepEqual(await edges(store, 'EndpointSliceTargets'), []);
      await store.close();
    });

    it('takes content that is not what the rules expect without failing the write, and derives only what names a resource', async () => {
      const { store } = await factory.open();
      const odd: Array<Record<string, unknown>> = [
        {},
        { spec: null, subjects: 'x', endpoints: 7 },
        { spec: { defaultBackend: { service: { name: 'fb', port: { number: 1.5 } } }, rules: [null, { http: { paths: 'x' } }, { host: 9, http: { paths: [null, { backend: null }] } }] } },
        { spec: { scaleTargetRef: { apiVersion: 7, kind: 'Deployment', name: 'd' }, template: { spec: { volumes: [null, { configMap: { name: ['x'] } }] } }, jobTemplate: 'x' } },
        { subjects: [null, { kind: 'ServiceAccount', name: ['a'] }, { kind: 'ServiceAccount', name: 'sa', namespace: 7 }] },
        { endpoints: [null, { targetRef: { kind: 'Pod', name: 'p', namespace: 7 }, addresses: [1, 'a', null], conditions: { ready: 'yes' }, nodeName: 5 }] },
        { spec: { rules: [{ http: { paths: [{ path: 5, pathType: [], backend: { service: { name: 's', port: { number: 1e12 } } } }] } }] } },
      ];
      const kinds: Array<[string, string]> = [['networking.k8s.io', 'Ingress'], ['autoscaling', 'HorizontalPodAutoscaler'], [RBAC, 'RoleBinding'], ['apps', 'Deployment'], ['batch', 'CronJob'], ['discovery.k8s.io', 'EndpointSlice']];
      for (const [i, data] of odd.entries()) for (const [group, kind] of kinds) await store.add({ ref: ref(group, kind, `odd${i}`), data });
      assert.deepEqual((await store.getRelationships({})).items.map((r) => `${end(r.subject)} -${short(r.predicate.type)}-> ${end(r.object)}`).sort(), [
        'EndpointSlice/web/odd5 -EndpointSliceTargets-> Pod/web/p',
        'Ingress/web/odd2 -IngressRoutesTo-> Service/web/fb',
        'Ingress/web/odd6 -IngressRoutesTo-> Service/web/s',
        'RoleBinding/web/odd4 -BindsSubject-> ServiceAccount/web/sa',
      ]);
      assert.deepEqual(await payload(store, ref('discovery.k8s.io', 'EndpointSlice', 'odd5'), ref('', 'Pod', 'p')), { addresses: ['a'], ready: false, nodeName: '' });
      assert.deepEqual(await payload(store, ref('networking.k8s.io', 'Ingress', 'odd6'), ref('', 'Service', 's')), {
        routes: [{ host: '', path: '', pathType: '', portNumber: 0, portName: '', defaultBackend: false }],
      });
      assert.deepEqual((await store.verify()).findings, []);
      await store.close();
    });

    it('derives none of them in a store that turns them off', async () => {
      const store = await openWithout(factory, ['IngressRoutesTo', 'ScalesTarget', 'BindsSubject', 'TemplateUses', 'EndpointSliceTargets']);
      await store.add(ingress('site', { defaultBackend: backend('fallback', { number: 80 }) }));
      await store.add(hpa('h', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }));
      await store.add(binding('RoleBinding', 'rb', [{ kind: 'ServiceAccount', name: 'builder' }]));
      await store.add({ ref: ref('apps', 'Deployment', 'd'), data: { spec: { template: { spec: podSpec('cm', 's', 'sa') } } } });
      await store.add(slice('svc-abc', [{ addresses: ['10.0.0.1'], targetRef: { kind: 'Pod', name: 'p1' } }]));
      assert.deepEqual((await store.getRelationships({})).items.map((r) => short(r.predicate.type)), ['BindsRole']);
      await store.close();
    });
  });
}
