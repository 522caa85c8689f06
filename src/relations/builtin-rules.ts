/**
 * The built-in derivation rules, over Kubernetes objects stored as JSON data (each reads only the
 * fields named here, takes any JSON without throwing, and skips what cannot name a resource; the
 * readers are in kube-fields.ts):
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
 * - `BindsSubject` (RoleBinding, ClusterRoleBinding → ServiceAccount): `subjects` of kind
 *   ServiceAccount, in the subject's namespace or else the binding's (User and Group subjects name
 *   no resource and are skipped, as is a ServiceAccount with no namespace at all).
 * - `IngressRoutesTo` (Ingress → Service): `spec.defaultBackend` and `spec.rules[].http.paths[].backend`
 *   (and their `backend`/`serviceName`/`servicePort` form before networking.k8s.io/v1); the payload
 *   lists every route (host, path, port). A backend that names a resource instead of a Service is skipped.
 * - `ScalesTarget` (HorizontalPodAutoscaler → its target): `spec.scaleTargetRef`, in the
 *   autoscaler's namespace; skipped without an `apiVersion` (Kubernetes cannot resolve it either).
 * - `TemplateUses` (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
 *   CronJob → ConfigMap, Secret, PersistentVolumeClaim, ServiceAccount): what `PodUses` reads, in
 *   the pod template (`spec.template.spec`, a CronJob's `spec.jobTemplate.spec.template.spec`).
 * - `EndpointSliceTargets` (EndpointSlice → Pod): each `endpoints[].targetRef` of kind Pod (in its
 *   namespace or else the slice's), with the endpoint's addresses, readiness and node.
 *
 * `ServiceSelects` is built in too, but derived from both ends (selector-derivation.ts).
 */
import { RuleSet, type DerivationRule, type DerivedEdge } from './derivation-rules.js';
import { arrayAt, canonicalKind, CLUSTER_SCOPED_KINDS, coreRef, EdgeLists, Edges, objectAt, splitApiVersion, stringOr, text, type Json } from './kube-fields.js';
import {
  BINDS_ROLE,
  BINDS_SUBJECT,
  CLAIM_BINDING,
  ENDPOINT_SLICE_TARGETS,
  INGRESS_ROUTES_TO,
  OWNER_REFERENCE,
  POD_NODE_BINDING,
  POD_USES,
  PredicateRegistry,
  SCALES_TARGET,
  SERVICE_SELECTS,
  TEMPLATE_USES,
} from './predicates.js';

export { splitApiVersion };

const ownerReference: DerivationRule = {
  name: 'OwnerReference',
  predicate: OWNER_REFERENCE,
  direction: 'in',
  derive(resource) {
    const edges = new Edges();
    for (const owner of arrayAt(resource.data, 'metadata', 'ownerReferences')) {
      const kind = text(owner.kind);
      const name = text(owner.name);
      if (kind === undefined || name === undefined) continue;
      const apiVersion = stringOr(owner.apiVersion);
      const canonical = canonicalKind(kind);
      edges.add(
        { ...splitApiVersion(apiVersion), kind: canonical, namespace: CLUSTER_SCOPED_KINDS.has(canonical) ? '' : resource.ref.namespace, name },
        { kind, name, uid: stringOr(owner.uid), controller: owner.controller === true, blockOwnerDeletion: owner.blockOwnerDeletion === true, apiVersion },
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
    return nodeName === undefined ? [] : [{ ref: coreRef('Node', '', nodeName), value: { nodeName } }];
  },
};

/** What a pod spec uses: ConfigMaps, Secrets, claims and its ServiceAccount, each with every use. */
export function podSpecUses(spec: Json | undefined, namespace: string): DerivedEdge[] {
  const uses = new EdgeLists('uses');
  const use = (kind: string, name: unknown, how: Record<string, string>): void => {
    const target = text(name);
    if (target !== undefined) uses.add(coreRef(kind, namespace, target), how);
  };
  for (const volume of arrayAt(spec, 'volumes')) {
    const name = stringOr(volume.name);
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
      const containerName = stringOr(container.name);
      for (const from of arrayAt(container, 'envFrom')) {
        use('ConfigMap', objectAt(from, 'configMapRef')?.name, { via: 'envFrom', container: containerName });
        use('Secret', objectAt(from, 'secretRef')?.name, { via: 'envFrom', container: containerName });
      }
      for (const env of arrayAt(container, 'env')) {
        const name = stringOr(env.name);
        use('ConfigMap', objectAt(env, 'valueFrom', 'configMapKeyRef')?.name, { via: 'env', name, container: containerName });
        use('Secret', objectAt(env, 'valueFrom', 'secretKeyRef')?.name, { via: 'env', name, container: containerName });
      }
    }
  }
  for (const secret of arrayAt(spec, 'imagePullSecrets')) use('Secret', secret.name, { via: 'imagePullSecret' });
  use('ServiceAccount', text(spec?.serviceAccountName) ?? spec?.serviceAccount, { via: 'serviceAccount' });
  return uses.list;
}

const podUses: DerivationRule = {
  name: 'PodUses',
  predicate: POD_USES,
  direction: 'out',
  kinds: [{ kind: 'Pod' }],
  derive: (resource) => podSpecUses(objectAt(resource.data, 'spec'), resource.ref.namespace),
};

const templateUses: DerivationRule = {
  name: 'TemplateUses',
  predicate: TEMPLATE_USES,
  direction: 'out',
  kinds: [
    { group: 'apps', kind: 'Deployment' },
    { group: 'apps', kind: 'StatefulSet' },
    { group: 'apps', kind: 'DaemonSet' },
    { group: 'apps', kind: 'ReplicaSet' },
    { kind: 'ReplicationController' },
    { group: 'batch', kind: 'Job' },
    { group: 'batch', kind: 'CronJob' },
  ],
  derive(resource) {
    const template = resource.ref.kind === 'CronJob' ? objectAt(resource.data, 'spec', 'jobTemplate', 'spec', 'template') : objectAt(resource.data, 'spec', 'template');
    return podSpecUses(objectAt(template, 'spec'), resource.ref.namespace);
  },
};

const claimBinding: DerivationRule = {
  name: 'ClaimBinding',
  predicate: CLAIM_BINDING,
  direction: 'out',
  kinds: [{ kind: 'PersistentVolumeClaim' }],
  derive(resource) {
    const volumeName = text(objectAt(resource.data, 'spec')?.volumeName);
    return volumeName === undefined ? [] : [{ ref: coreRef('PersistentVolume', '', volumeName), value: { volumeName } }];
  },
};

const RBAC = 'rbac.authorization.k8s.io';
const BINDINGS = [
  { group: RBAC, kind: 'RoleBinding' },
  { group: RBAC, kind: 'ClusterRoleBinding' },
];

const bindsRole: DerivationRule = {
  name: 'BindsRole',
  predicate: BINDS_ROLE,
  direction: 'out',
  kinds: BINDINGS,
  derive(resource) {
    const roleRef = objectAt(resource.data, 'roleRef');
    const kind = text(roleRef?.kind);
    const name = text(roleRef?.name);
    if ((kind !== 'Role' && kind !== 'ClusterRole') || name === undefined) return [];
    if (kind === 'Role' && resource.ref.namespace === '') return [];
    const edges = new Edges();
    edges.add({ group: RBAC, version: 'v1', kind, namespace: kind === 'Role' ? resource.ref.namespace : '', name }, { apiGroup: stringOr(roleRef?.apiGroup), kind, name });
    return edges.list;
  },
};

const bindsSubject: DerivationRule = {
  name: 'BindsSubject',
  predicate: BINDS_SUBJECT,
  direction: 'out',
  kinds: BINDINGS,
  derive(resource) {
    const edges = new Edges();
    for (const subject of arrayAt(resource.data, 'subjects')) {
      const name = text(subject.name);
      const namespace = text(subject.namespace) ?? resource.ref.namespace;
      if (subject.kind !== 'ServiceAccount' || name === undefined || namespace === '') continue;
      edges.add(coreRef('ServiceAccount', namespace, name), { kind: 'ServiceAccount', name, namespace: stringOr(subject.namespace) });
    }
    return edges.list;
  },
};

/** A Service port as an Ingress backend names it: a number (0 to 65535) or a name. */
function servicePort(port: unknown): { portNumber: number; portName: string } {
  if (typeof port === 'number') return { portNumber: Number.isInteger(port) && port >= 0 && port <= 65_535 ? port : 0, portName: '' };
  return { portNumber: 0, portName: stringOr(port) };
}

const ingressRoutesTo: DerivationRule = {
  name: 'IngressRoutesTo',
  predicate: INGRESS_ROUTES_TO,
  direction: 'out',
  kinds: [
    { group: 'networking.k8s.io', kind: 'Ingress' },
    { group: 'extensions', kind: 'Ingress' },
  ],
  derive(resource) {
    const spec = objectAt(resource.data, 'spec');
    const routes = new EdgeLists('routes');
    const route = (backend: Json | undefined, how: Json): void => {
      const service = objectAt(backend, 'service');
      const port = objectAt(service, 'port');
      const name = text(service === undefined ? backend?.serviceName : service.name);
      if (name === undefined) return;
      routes.add(coreRef('Service', resource.ref.namespace, name), { ...how, ...servicePort(service === undefined ? backend?.servicePort : (port?.number ?? port?.name)) });
    };
    route(objectAt(spec, 'defaultBackend') ?? objectAt(spec, 'backend'), { host: '', path: '', pathType: '', defaultBackend: true });
    for (const rule of arrayAt(spec, 'rules')) {
      for (const path of arrayAt(rule, 'http', 'paths')) {
        route(objectAt(path, 'backend'), { host: stringOr(rule.host), path: stringOr(path.path), pathType: stringOr(path.pathType), defaultBackend: false });
      }
    }
    return routes.list;
  },
};

const scalesTarget: DerivationRule = {
  name: 'ScalesTarget',
  predicate: SCALES_TARGET,
  direction: 'out',
  kinds: [{ group: 'autoscaling', kind: 'HorizontalPodAutoscaler' }],
  derive(resource) {
    const target = objectAt(resource.data, 'spec', 'scaleTargetRef');
    const apiVersion = text(target?.apiVersion);
    const kind = text(target?.kind);
    const name = text(target?.name);
    if (apiVersion === undefined || kind === undefined || name === undefined) return [];
    const edges = new Edges();
    edges.add({ ...splitApiVersion(apiVersion), kind, namespace: resource.ref.namespace, name }, { apiVersion, kind, name });
    return edges.list;
  },
};

const endpointSliceTargets: DerivationRule = {
  name: 'EndpointSliceTargets',
  predicate: ENDPOINT_SLICE_TARGETS,
  direction: 'out',
  kinds: [{ group: 'discovery.k8s.io', kind: 'EndpointSlice' }],
  derive(resource) {
    const edges = new Edges();
    for (const endpoint of arrayAt(resource.data, 'endpoints')) {
      const target = objectAt(endpoint, 'targetRef');
      const name = text(target?.name);
      const namespace = text(target?.namespace) ?? resource.ref.namespace;
      if (target?.kind !== 'Pod' || name === undefined || namespace === '') continue;
      const addresses = Array.isArray(endpoint.addresses) ? endpoint.addresses.filter((a): a is string => typeof a === 'string') : [];
      edges.add(coreRef('Pod', namespace, name), { addresses, ready: objectAt(endpoint, 'conditions')?.ready === true, nodeName: stringOr(endpoint.nodeName) });
    }
    return edges.list;
  },
};

/** The built-in rules with a `derive` function, in the order they run. */
export const BUILTIN_RULES: readonly DerivationRule[] = [
  ownerReference,
  podNodeBinding,
  podUses,
  templateUses,
  claimBinding,
  bindsRole,
  bindsSubject,
  ingressRoutesTo,
  scalesTarget,
  endpointSliceTargets,
];

/** The rules of a store opened with no derivation options: every built-in rule (what the CLI's `verify` and `repair` check). */
export function builtinRuleSet(): RuleSet {
  return new RuleSet(new PredicateRegistry(), BUILTIN_RULES, [], SERVICE_SELECTS);
}
