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
      const spec = o.spec ?? {};
      if (spec.nodeName) edge(ref, 'PodNodeBinding', core('Node', '', spec.nodeName));
      const uses = (kind: string, name: string | undefined) => name && edge(ref, 'PodUses', core(kind, ref.namespace, name));
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
    }
    if (ref.group === '' && ref.kind === 'PersistentVolumeClaim' && o.spec?.volumeName) edge(ref, 'ClaimBinding', core('PersistentVolume', '', o.spec.volumeName));
    if (ref.group === 'rbac.authorization.k8s.io' && (ref.kind === 'RoleBinding' || ref.kind === 'ClusterRoleBinding') && o.roleRef) {
      const { kind, name } = o.roleRef;
      edge(ref, 'BindsRole', { group: 'rbac.authorization.k8s.io', version: 'v1', kind, namespace: kind === 'Role' ? ref.namespace : '', name });
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
      assert.deepEqual([...stored].sort(), [...expected].sort());
      assert.ok(stored.length > 0);
      assert.deepEqual((await store.verify()).findings, []);
      await store.close();
    });
  }
});
