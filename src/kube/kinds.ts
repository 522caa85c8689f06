/**
 * The names of the Kubernetes kinds users meet, as kube-apiserver serves them, and the rule that
 * names any other kind.
 *
 * Each entry is one group-kind: its plural resource name (the path segment), singular name,
 * short names, categories, scope, the verbs Kubernetes lists for it in discovery and the versions
 * it is served at (preferred first). The names are copied from kube-apiserver's discovery
 * documents (kubernetes/kubernetes `api/discovery/*.json`), so `kubectl get po`, `kubectl get all`
 * and `kubectl get crds` mean here what they mean against a cluster. A kind in no entry is named
 * by `guessPlural`, apimachinery's `UnsafeGuessKindToResource`: the same rule client-go falls back
 * on, so a client that guesses addresses the path this server serves.
 */

/** The verbs of an ordinary Kubernetes resource, in the order discovery lists them. */
export const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

/** Kinds whose resource name is their lower-cased kind, singular and plural alike (apimachinery's `unpluralizedSuffixes`). */
const UNPLURALIZED_SUFFIXES = ['endpoints'];

/**
 * The plural and singular resource names of a kind no table names: apimachinery's
 * `UnsafeGuessKindToResource`. The singular is the lower-cased kind; the plural adds "es" after a
 * final "s", turns a final "y" into "ies" (after a vowel too: `Gateway` → `gatewaies`, as
 * apimachinery does), leaves a kind ending in "endpoints" as it is, and otherwise adds "s".
 *
 * @example guessNames('NetworkPolicy') // { plural: 'networkpolicies', singular: 'networkpolicy' }
 */
export function guessNames(kind: string): { plural: string; singular: string } {
  const singular = kind.toLowerCase();
  if (singular === '' || UNPLURALIZED_SUFFIXES.some((suffix) => singular.endsWith(suffix))) return { plural: singular, singular };
  if (singular.endsWith('s')) return { plural: `${singular}es`, singular };
  if (singular.endsWith('y')) return { plural: `${singular.slice(0, -1)}ies`, singular };
  return { plural: `${singular}s`, singular };
}

/** The names of one group-kind. */
export interface KindNames {
  /** The API group; "" is the core group (`/api/v1`). */
  readonly group: string;
  readonly kind: string;
  /** The resource name in paths: lower case, plural (`pods`, `networkpolicies`). */
  readonly plural: string;
  /** Lower case, singular (`pod`); `kubectl get pod` resolves it. */
  readonly singular: string;
  /** Abbreviations `kubectl` accepts (`po`); empty when Kubernetes has none. */
  readonly shortNames: readonly string[];
  /** Groups of resources `kubectl get CATEGORY` expands (`all`). */
  readonly categories: readonly string[];
  /** False for cluster-scoped kinds (Node, Namespace, ...). */
  readonly namespaced: boolean;
  /** The verbs Kubernetes lists for the resource in discovery. */
  readonly verbs: readonly string[];
  /** The versions Kubernetes serves the kind at, the preferred one first. */
  readonly versions: readonly string[];
}

type Options = Partial<Pick<KindNames, 'shortNames' | 'categories' | 'verbs' | 'versions'>> & { plural?: string; singular?: string };

function entry(group: string, kind: string, namespaced: boolean, options: Options = {}): KindNames {
  const guessed = guessNames(kind);
  return {
    group,
    kind,
    plural: options.plural ?? guessed.plural,
    singular: options.singular ?? guessed.singular,
    shortNames: options.shortNames ?? [],
    categories: options.categories ?? [],
    namespaced,
    verbs: options.verbs ?? STANDARD_VERBS,
    versions: options.versions ?? ['v1'],
  };
}

const ALL = ['all'];
const API_EXTENSIONS = ['api-extensions'];
const NAMESPACED = true;
const CLUSTER = false;

/** The built-in kinds, by group, with the names kube-apiserver (1.29 to 1.32) gives them. */
export const BUILT_IN_KINDS: readonly KindNames[] = [
  // core, /api/v1
  entry('', 'ComponentStatus', CLUSTER, { shortNames: ['cs'], verbs: ['get', 'list'] }),
  entry('', 'ConfigMap', NAMESPACED, { shortNames: ['cm'] }),
  entry('', 'Endpoints', NAMESPACED, { shortNames: ['ep'] }),
  entry('', 'Event', NAMESPACED, { shortNames: ['ev'] }),
  entry('', 'LimitRange', NAMESPACED, { shortNames: ['limits'] }),
  entry('', 'Namespace', CLUSTER, { shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }),
  entry('', 'Node', CLUSTER, { shortNames: ['no'] }),
  entry('', 'PersistentVolumeClaim', NAMESPACED, { shortNames: ['pvc'] }),
  entry('', 'PersistentVolume', CLUSTER, { shortNames: ['pv'] }),
  entry('', 'Pod', NAMESPACED, { shortNames: ['po'], categories: ALL }),
  entry('', 'PodTemplate', NAMESPACED),
  entry('', 'ReplicationController', NAMESPACED, { shortNames: ['rc'], categories: ALL }),
  entry('', 'ResourceQuota', NAMESPACED, { shortNames: ['quota'] }),
  entry('', 'Secret', NAMESPACED),
  entry('', 'ServiceAccount', NAMESPACED, { shortNames: ['sa'] }),
  entry('', 'Service', NAMESPACED, { shortNames: ['svc'], categories: ALL }),
  // apps/v1
  entry('apps', 'ControllerRevision', NAMESPACED),
  entry('apps', 'DaemonSet', NAMESPACED, { shortNames: ['ds'], categories: ALL }),
  entry('apps', 'Deployment', NAMESPACED, { shortNames: ['deploy'], categories: ALL }),
  entry('apps', 'ReplicaSet', NAMESPACED, { shortNames: ['rs'], categories: ALL }),
  entry('apps', 'StatefulSet', NAMESPACED, { shortNames: ['sts'], categories: ALL }),
  // batch/v1
  entry('batch', 'CronJob', NAMESPACED, { shortNames: ['cj'], categories: ALL }),
  entry('batch', 'Job', NAMESPACED, { categories: ALL }),
  // autoscaling/v2 (preferred) and v1
  entry('autoscaling', 'HorizontalPodAutoscaler', NAMESPACED, { shortNames: ['hpa'], categories: ALL, versions: ['v2', 'v1'] }),
  // policy/v1
  entry('policy', 'PodDisruptionBudget', NAMESPACED, { shortNames: ['pdb'] }),
  // networking.k8s.io/v1
  entry('networking.k8s.io', 'IngressClass', CLUSTER),
  entry('networking.k8s.io', 'Ingress', NAMESPACED, { shortNames: ['ing'] }),
  entry('networking.k8s.io', 'NetworkPolicy', NAMESPACED, { shortNames: ['netpol'] }),
  // rbac.authorization.k8s.io/v1
  entry('rbac.authorization.k8s.io', 'ClusterRoleBinding', CLUSTER),
  entry('rbac.authorization.k8s.io', 'ClusterRole', CLUSTER),
  entry('rbac.authorization.k8s.io', 'RoleBinding', NAMESPACED),
  entry('rbac.authorization.k8s.io', 'Role', NAMESPACED),
  // storage.k8s.io/v1
  entry('storage.k8s.io', 'CSIDriver', CLUSTER),
  entry('storage.k8s.io', 'CSINode', CLUSTER),
  entry('storage.k8s.io', 'CSIStorageCapacity', NAMESPACED),
  entry('storage.k8s.io', 'StorageClass', CLUSTER, { shortNames: ['sc'] }),
  entry('storage.k8s.io', 'VolumeAttachment', CLUSTER),
  // coordination.k8s.io/v1, discovery.k8s.io/v1, events.k8s.io/v1, node.k8s.io/v1
  entry('coordination.k8s.io', 'Lease', NAMESPACED),
  entry('discovery.k8s.io', 'EndpointSlice', NAMESPACED),
  entry('events.k8s.io', 'Event', NAMESPACED, { shortNames: ['ev'] }),
  entry('node.k8s.io', 'RuntimeClass', CLUSTER),
  // scheduling.k8s.io/v1, certificates.k8s.io/v1
  entry('scheduling.k8s.io', 'PriorityClass', CLUSTER, { shortNames: ['pc'] }),
  entry('certificates.k8s.io', 'CertificateSigningRequest', CLUSTER, { shortNames: ['csr'] }),
  // the API's own extension points
  entry('apiextensions.k8s.io', 'CustomResourceDefinition', CLUSTER, { shortNames: ['crd', 'crds'], categories: API_EXTENSIONS }),
  entry('apiregistration.k8s.io', 'APIService', CLUSTER, { categories: API_EXTENSIONS }),
  entry('admissionregistration.k8s.io', 'MutatingWebhookConfiguration', CLUSTER, { categories: API_EXTENSIONS }),
  entry('admissionregistration.k8s.io', 'ValidatingWebhookConfiguration', CLUSTER, { categories: API_EXTENSIONS }),
  entry('admissionregistration.k8s.io', 'ValidatingAdmissionPolicy', CLUSTER, { categories: API_EXTENSIONS }),
  entry('admissionregistration.k8s.io', 'ValidatingAdmissionPolicyBinding', CLUSTER, { categories: API_EXTENSIONS }),
  // flowcontrol.apiserver.k8s.io/v1
  entry('flowcontrol.apiserver.k8s.io', 'FlowSchema', CLUSTER),
  entry('flowcontrol.apiserver.k8s.io', 'PriorityLevelConfiguration', CLUSTER),
];
