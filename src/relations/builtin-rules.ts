/**
 * The built-in derivation rules, over Kubernetes objects stored as JSON data (each reads only the
 * fields named here, takes any JSON without throwing, and skips what cannot name a resource):
 *
 * - `OwnerReference` (owner → owned): each `metadata.ownerReferences` entry, of any kind. The owner
 *   lives in the dependent's namespace unless its kind is cluster-scoped; `apiVersion` gives its
 *   group and version; a well-known kind written in another case (`daemonset`) is mended.
 * - `PodNodeBinding` (Pod → Node): `spec.nodeName`.
 * - `PodUses` (Pod → ConfigMap, Secret, PersistentVolumeClaim, ServiceAccount): volumes (projected
 *   sources included), `envFrom` and `env[].valueFrom` of every container (init and ephemeral
 *   included), `imagePullSecrets`, `serviceAccountName`; the payload lists every use.
 * - `ClaimBinding` (PersistentVolumeClaim → PersistentVolume): `spec.volumeName`.
 * - `BindsRole` (RoleBinding, ClusterRoleBinding → Role, ClusterRole): `roleRef`.
 *
 * `ServiceSelects` is built in too, but derived from both ends (selector-derivation.ts).
 */
import type { ResourceRef } from '../store/types.js';
import { normalizeRef } from '../store/validate.js';
import { RuleSet, type DerivationRule, type DerivationSource, type DerivedEdge } from './derivation-rules.js';
import { BINDS_ROLE, CLAIM_BINDING, OWNER_REFERENCE, POD_NODE_BINDING, POD_USES, PredicateRegistry, SERVICE_SELECTS } from './predicates.js';

/** Kinds Kubernetes serves without a namespace. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'APIService',
  'CertificateSigningRequest',
  'ClusterRole',
  'ClusterRoleBinding',
  'ComponentStatus',
  'CSIDriver',
  'CSINode',
  'CustomResourceDefinition',
  'FlowSchema',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PodSecurityPolicy',
  'PriorityClass',
  'PriorityLevelConfiguration',
  'RuntimeClass',
  'StorageClass',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
]);

/** Well-known kinds by their lowercase name, to mend an owner kind written in another case. */
const KNOWN_KINDS = new Map(
  [
    ...CLUSTER_SCOPED_KINDS,
    'ConfigMap',
    'ControllerRevision',
    'CronJob',
    'DaemonSet',
    'Deployment',
    'Endpoints',
    'EndpointSlice',
    'HorizontalPodAutoscaler',
    'Ingress',
    'Job',
    'PersistentVolumeClaim',
    'Pod',
    'ReplicaSet',
    'ReplicationController',
    'Role',
    'RoleBinding',
    'Secret',
    'Service',
    'ServiceAccount',
    'StatefulSet',
  ].map((kind) => [kind.toLowerCase(), kind]),
);

/** `apps/v1` → group apps, version v1; `v1` → the core group. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, ...path: string[]): Json | undefined {
  let at = value;
  for (const part of path) at = isObject(at) ? at[part] : undefined;
  return isObject(at) ? at : undefined;
}

function arrayAt(value: unknown, ...path: string[]): Json[] {
  const parent = objectAt(value, ...path.slice(0, -1));
  const list = parent?.[path.at(-1)!];
  return Array.isArray(list) ? list.filter(isObject) : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A ref, or undefined when it could not name a stored resource. */
function validRef(ref: ResourceRef): ResourceRef | undefined {
  try {
    return normalizeRef(ref);
  } catch {
    return undefined;
  }
}

/** Collects edges, each other end once (the first wins). */
class Edges {
  readonly #edges = new Map<string, DerivedEdge>();
  add(ref: ResourceRef, value: Record<string, unknown>): void {
    const valid = validRef(ref);
    if (valid === undefined) return;
    const id = JSON.stringify(valid);
    if (!this.#edges.has(id)) this.#edges.set(id, { ref: valid, value });
  }
  get list(): DerivedEdge[] {
    return [...this.#edges.values()];
  }
}

const core = (kind: string, namespace: string, name: string): ResourceRef => ({ group: '', version: 'v1', kind, namespace, name });

const ownerReference: DerivationRule = {
  name: 'OwnerReference',
  predicate: OWNER_REFERENCE,
  direction: 'in',
  derive(resource: DerivationSource) {
    const edges = new Edges();
    for (const owner of arrayAt(resource.data, 'metadata', 'ownerReferences')) {
      const kind = text(owner.kind);
      const name = text(owner.name);
      if (kind === undefined || name === undefined) continue;
      const apiVersion = typeof owner.apiVersion === 'string' ? owner.apiVersion : '';
      const canonical = KNOWN_KINDS.get(kind.toLowerCase()) ?? kind;
      edges.add(
        { ...splitApiVersion(apiVersion), kind: canonical, namespace: CLUSTER_SCOPED_KINDS.has(canonical) ? '' : resource.ref.namespace, name },
        {
          kind,
          name,
          uid: typeof owner.uid === 'string' ? owner.uid : '',
          controller: owner.controller === true,
          blockOwnerDeletion: owner.blockOwnerDeletion === true,
          apiVersion,
        },
      );
    }
    return edges.list;
  },
};

const podNodeBinding: DerivationRule = {
  name: 'PodNodeBinding',
  predicate: POD_NODE_BINDING,
  direction: 'out',
  kinds: [{ kind: 'Pod' }],
  derive(resource) {
    const nodeName = text(objectAt(resource.data, 'spec')?.nodeName);
    return nodeName === undefined ? [] : [{ ref: core('Node', '', nodeName), value: { nodeName } }];
  },
};

/** What a pod spec uses: ConfigMaps, Secrets, claims and its ServiceAccount, each with every use. */
export function podSpecUses(spec: Json | undefined, namespace: string): DerivedEdge[] {
  const uses = new Map<string, { ref: ResourceRef; uses: Array<Record<string, string>> }>();
  const use = (kind: string, name: unknown, how: Record<string, string>): void => {
    const target = text(name);
    if (target === undefined) return;
    const ref = validRef(core(kind, namespace, target));
    if (ref === undefined) return;
    const id = `${kind}/${target}`;
    const entry = uses.get(id) ?? { ref, uses: [] };
    entry.uses.push(how);
    uses.set(id, entry);
  };
  for (const volume of arrayAt(spec, 'volumes')) {
    const name = typeof volume.name === 'string' ? volume.name : '';
    use('ConfigMap', objectAt(volume, 'configMap')?.name, { via: 'volume', name });
    use('Secret', objectAt(volume, 'secret')?.secretName, { via: 'volume', name });
    use('PersistentVolumeClaim', objectAt(volume, 'persistentVolumeClaim')?.claimName, { via: 'volume', name });
    for (const source of arrayAt(volume, 'projected', 'sources')) {
      use('ConfigMap', objectAt(source, 'configMap')?.name, { via: 'projected', name });
      use('Secret', objectAt(source, 'secret')?.name, { via: 'projected', name });
    }
  }
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const container of arrayAt(spec, list)) {
      const containerName = typeof container.name === 'string' ? container.name : '';
      for (const from of arrayAt(container, 'envFrom')) {
        use('ConfigMap', objectAt(from, 'configMapRef')?.name, { via: 'envFrom', container: containerName });
        use('Secret', objectAt(from, 'secretRef')?.name, { via: 'envFrom', container: containerName });
      }
      for (const env of arrayAt(container, 'env')) {
        const name = typeof env.name === 'string' ? env.name : '';
        use('ConfigMap', objectAt(env, 'valueFrom', 'configMapKeyRef')?.name, { via: 'env', name, container: containerName });
        use('Secret', objectAt(env, 'valueFrom', 'secretKeyRef')?.name, { via: 'env', name, container: containerName });
      }
    }
  }
  for (const secret of arrayAt(spec, 'imagePullSecrets')) use('Secret', secret.name, { via: 'imagePullSecret' });
  use('ServiceAccount', text(spec?.serviceAccountName) ?? spec?.serviceAccount, { via: 'serviceAccount' });
  return [...uses.values()].map(({ ref, uses }) => ({ ref, value: { uses } }));
}

const podUses: DerivationRule = {
  name: 'PodUses',
  predicate: POD_USES,
  direction: 'out',
  kinds: [{ kind: 'Pod' }],
  derive: (resource) => podSpecUses(objectAt(resource.data, 'spec'), resource.ref.namespace),
};

const claimBinding: DerivationRule = {
  name: 'ClaimBinding',
  predicate: CLAIM_BINDING,
  direction: 'out',
  kinds: [{ kind: 'PersistentVolumeClaim' }],
  derive(resource) {
    const volumeName = text(objectAt(resource.data, 'spec')?.volumeName);
    return volumeName === undefined ? [] : [{ ref: core('PersistentVolume', '', volumeName), value: { volumeName } }];
  },
};

const RBAC = 'rbac.authorization.k8s.io';

const bindsRole: DerivationRule = {
  name: 'BindsRole',
  predicate: BINDS_ROLE,
  direction: 'out',
  kinds: [
    { group: RBAC, kind: 'RoleBinding' },
    { group: RBAC, kind: 'ClusterRoleBinding' },
  ],
  derive(resource) {
    const roleRef = objectAt(resource.data, 'roleRef');
    const kind = text(roleRef?.kind);
    const name = text(roleRef?.name);
    if ((kind !== 'Role' && kind !== 'ClusterRole') || name === undefined) return [];
    if (kind === 'Role' && resource.ref.namespace === '') return [];
    const apiGroup = typeof roleRef?.apiGroup === 'string' ? roleRef.apiGroup : '';
    const edges = new Edges();
    edges.add({ group: RBAC, version: 'v1', kind, namespace: kind === 'Role' ? resource.ref.namespace : '', name }, { apiGroup, kind, name });
    return edges.list;
  },
};

/** The built-in rules with a `derive` function, in the order they run. */
export const BUILTIN_RULES: readonly DerivationRule[] = [ownerReference, podNodeBinding, podUses, claimBinding, bindsRole];

/** The rules of a store opened with no derivation options: every built-in rule (what the CLI's `verify` and `repair` check). */
export function builtinRuleSet(): RuleSet {
  return new RuleSet(new PredicateRegistry(), BUILTIN_RULES, [], SERVICE_SELECTS);
}
