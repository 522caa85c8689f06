/**
 * The derived graph of every real dump in test/fixtures/k8s-dumps, checked against an independent
 * computation written here from the Kubernetes objects (it calls none of the store's rules): after
 * an import, the store holds exactly the edges this computation finds, no more, and `verify`
 * finds nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { importFiles, storeTarget } from '../../src/import/importer.js';
import { readKubernetesObjects } from '../../src/import/kubernetes-objects.js';
import { factories } from '../helpers/stores.js';

const DUMPS = new URL('../fixtures/k8s-dumps/', import.meta.url);
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Ref {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'PriorityClass', 'APIService', 'CustomResourceDefinition', 'ComponentStatus']);
const gv = (apiVersion: string) => (apiVersion.includes('/') ? { group: apiVersion.split('/')[0]!, version: apiVersion.split('/')[1]! } : { group: '', version: apiVersion });
const id = (r: Ref) => `${r.group}/${r.kind}/${r.namespace}/${r.name}`;
const refOf = (o: Obj): Ref => ({ ...gv(o.apiVersion), kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name });
const core = (kind: string, namespace: string, name: string): Ref => ({ group: '', version: 'v1', kind, namespace, name });

const WORKLOADS = new Set(['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'apps/ReplicaSet', '/ReplicationController', 'batch/Job', 'batch/CronJob']);

/** What a pod spec names: ConfigMaps, Secrets, claims and its ServiceAccount (repeats allowed). */
function usedBy(spec: Obj, namespace: string): Ref[] {
  const refs: Ref[] = [];
  const uses = (kind: string, name: string | undefined) => name && refs.push(core(kind, namespace, name));
  for (const v of spec.volumes ?? []) {
    uses('ConfigMap', v.configMap?.name);
    uses('Secret', v.secret?.secretName);
    uses('PersistentVolumeClaim', v.persistentVolumeClaim?.claimName);
    for (const s of v.projected?.sources ?? []) {
      uses('ConfigMap', s.configMap?.name);
      uses('Secret', s.secret?.name);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const f of c.envFrom ?? []) {
      uses('ConfigMap', f.configMapRef?.name);
      uses('Secret', f.secretRef?.name);
    }
    for (const e of c.env ?? []) {
      uses('ConfigMap', e.valueFrom?.configMapKeyRef?.name);
      uses('Secret', e.valueFrom?.secretKeyRef?.name);
    }
  }
  for (const s of spec.imagePullSecrets ?? []) uses('Secret', s.name);
  uses('ServiceAccount', spec.serviceAccountName ?? spec.serviceAccount);
  return refs;
}

/** The edges the objects' content names, as `subject predicate object`, each once. */
function expectedEdges(objects: Obj[]): Set<string> {
  const latest = new Map<string, Obj>();
  for (const o of objects) latest.set(id(refOf(o)), o); // a later object of one ref replaces the earlier
  const byUid = new Map<string, Ref>();
  for (const o of latest.values()) if (o.metadata.uid) byUid.set(o.metadata.uid, refOf(o));
  const edges = new Set<string>();
  const edge = (s: Ref, p: string, o: Ref) => edges.add(`${id(s)} ${p} ${id(o)}`);
  for (const o of latest.values()) {
    const ref = refOf(o);
    for (const owner of o.metadata.ownerReferences ?? []) {
      edge(byUid.get(owner.uid) ?? { ...gv(owner.apiVersion), kind: owner.kind, namespace: CLUSTER_SCOPED.has(owner.kind) ? '' : ref.namespace, name: owner.name }, 'OwnerReference', ref);
    }
    if (ref.group === '' && ref.kind === 'Pod') {
      if (o.spec?.nodeName) edge(ref, 'PodNodeBinding', core('Node', '', o.spec.nodeName));
      for (const used of usedBy(o.spec ?? {}, ref.namespace)) edge(ref, 'PodUses', used);
    }
    const template = ref.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template : o.spec?.template;
    if (WORKLOADS.has(`${ref.group}/${ref.kind}`)) for (const used of usedBy(template?.spec ?? {}, ref.namespace)) edge(ref, 'TemplateUses', used);
    if (ref.group === '' && ref.kind === 'PersistentVolumeClaim' && o.spec?.volumeName) edge(ref, 'ClaimBinding', core('PersistentVolume', '', o.spec.volumeName));
    if (ref.group === 'rbac.authorization.k8s.io' && (ref.kind === 'RoleBinding' || ref.kind === 'ClusterRoleBinding') && o.roleRef) {
      const { kind, name } = o.roleRef;
      edge(ref, 'BindsRole', { group: 'rbac.authorization.k8s.io', version: 'v1', kind, namespace: kind === 'Role' ? ref.namespace : '', name });
    }
    if (ref.group === 'rbac.authorization.k8s.io' && (ref.kind === 'RoleBinding' || ref.kind === 'ClusterRoleBinding')) {
      for (const subject of o.subjects ?? []) {
        const namespace = subject.namespace || ref.namespace;
        if (subject.kind === 'ServiceAccount' && subject.name && namespace) edge(ref, 'BindsSubject', core('ServiceAccount', namespace, subject.name));
      }
    }
    if ((ref.group === 'networking.k8s.io' || ref.group === 'extensions') && ref.kind === 'Ingress') {
      const service = (backend: Obj | undefined) => backend?.service?.name ?? backend?.serviceName;
      const backends = [o.spec?.defaultBackend ?? o.spec?.backend, ...(o.spec?.rules ?? []).flatMap((r: Obj) => (r.http?.paths ?? []).map((p: Obj) => p.backend))];
      for (const name of backends.map(service)) if (name) edge(ref, 'IngressRoutesTo', core('Service', ref.namespace, name));
    }
    if (ref.group === 'autoscaling' && ref.kind === 'HorizontalPodAutoscaler') {
      const target = o.spec?.scaleTargetRef;
      if (target?.apiVersion && target.kind && target.name) edge(ref, 'ScalesTarget', { ...gv(target.apiVersion), kind: target.kind, namespace: ref.namespace, name: target.name });
    }
    if (ref.group === 'discovery.k8s.io' && ref.kind === 'EndpointSlice') {
      for (const e of o.endpoints ?? []) if (e.targetRef?.kind === 'Pod' && e.targetRef.name) edge(ref, 'EndpointSliceTargets', core('Pod', e.targetRef.namespace || ref.namespace, e.targetRef.name));
    }
    if (ref.group === '' && ref.kind === 'Service' && o.spec?.selector && Object.keys(o.spec.selector).length > 0) {
      for (const p of latest.values()) {
        const pod = refOf(p);
        if (pod.group !== '' || pod.kind !== 'Pod' || pod.namespace !== ref.namespace) continue;
        const labels = p.metadata.labels ?? {};
        if (Object.entries(o.spec.selector).every(([k, v]) => labels[k] === v)) edge(ref, 'ServiceSelects', pod);
      }
    }
  }
  return edges;
}

describe('the derived graph of the real dumps', () => {
  const predicates = new Map<string, number>();
  const files = readdirSync(DUMPS).filter((f) => !f.endsWith('.md')).sort();
  for (const file of files) {
    it(`holds exactly the edges an independent computation finds in ${file}`, async () => {
      const text = readFileSync(new URL(file, DUMPS), 'utf8');
      const expected = expectedEdges(readKubernetesObjects(file, text).objects.map((o) => o.object));
      const { store } = await factories[0]!.open();
      const summary = await importFiles([{ name: file, text }], storeTarget(store));
      assert.deepEqual(summary.rejected, []);
      const stored = (await store.getRelationships({})).items.map((r) => `${id(r.subject)} ${r.predicate.type.split('.').pop()} ${id(r.object)}`);
      assert.equal(stored.length, new Set(stored).size);
      for (const edge of stored) predicates.set(edge.split(' ')[1]!, (predicates.get(edge.split(' ')[1]!) ?? 0) + 1);
      assert.deepEqual([...stored].sort(), [...expected].sort());
      assert.ok(stored.length > 0);
      assert.deepEqual((await store.verify()).findings, []);
      await store.close();
    });
  }

  it('has edges of the rules the dumps give content for', () => {
    for (const rule of ['OwnerReference', 'PodNodeBinding', 'ServiceSelects', 'PodUses', 'TemplateUses', 'BindsRole', 'BindsSubject']) assert.ok((predicates.get(rule) ?? 0) > 0, rule);
  });
});
