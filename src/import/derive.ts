/**
 * From Kubernetes objects to resources and relationships. The ref comes from `apiVersion`,
 * `kind` and `metadata`; labels and annotations from `metadata`; the whole object is the data.
 * Relationships: each `metadata.ownerReferences` entry makes an OwnerReference from the owner
 * (subject) to the object, and a Pod's `spec.nodeName` a PodNodeBinding from the Pod to its Node.
 * An ownerReference names its owner without a namespace: the owner lives in the dependent's
 * namespace unless its kind is cluster-scoped; where the owner's uid is among the objects
 * imported, the uid decides (it also mends a kind written in lowercase). Every object becomes one
 * resource; its `uid` is kept.
 */
import type { RelationshipInput } from '../relations/types.js';
import type { ResourceInput, ResourceRef } from '../store/types.js';

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

/** `apps/v1` → group apps, version v1; `v1` → the core group. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

interface Metadata {
  name?: unknown;
  namespace?: unknown;
  uid?: unknown;
  labels?: unknown;
  annotations?: unknown;
  ownerReferences?: unknown;
}

/** The resource an object becomes, or the reason it cannot be one. */
export function toResourceInput(object: Record<string, unknown>): ResourceInput | string {
  const { apiVersion, kind } = object;
  const metadata = (object.metadata ?? {}) as Metadata;
  if (typeof apiVersion !== 'string' || apiVersion === '') return 'it has no apiVersion';
  if (typeof kind !== 'string' || kind === '') return 'it has no kind';
  if (typeof metadata.name !== 'string' || metadata.name === '') return 'it has no metadata.name';
  const { group, version } = splitApiVersion(apiVersion);
  return {
    ref: { group, version, kind, namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '', name: metadata.name },
    ...(typeof metadata.uid === 'string' && metadata.uid !== '' ? { uid: metadata.uid } : {}),
    labels: (metadata.labels ?? {}) as Record<string, string>,
    annotations: (metadata.annotations ?? {}) as Record<string, string>,
    data: object,
  };
}

/** The parts of an object `deriveRelationships` reads, so an import need not keep whole objects until their relationships are made. */
export function relationshipSource(object: Record<string, unknown>): Record<string, unknown> {
  const metadata = (object.metadata ?? {}) as Metadata;
  const spec = (object.spec ?? {}) as { nodeName?: unknown };
  return { metadata: { ownerReferences: metadata.ownerReferences }, spec: { nodeName: spec.nodeName } };
}

interface OwnerReference {
  apiVersion?: unknown;
  kind?: unknown;
  name?: unknown;
  uid?: unknown;
  controller?: unknown;
  blockOwnerDeletion?: unknown;
}

/**
 * The relationships an object implies. `byUid` maps the uids of every object being imported to
 * their refs.
 */
export function deriveRelationships(
  object: Record<string, unknown>,
  ref: ResourceRef,
  byUid: ReadonlyMap<string, ResourceRef>,
): RelationshipInput[] {
  const relationships: RelationshipInput[] = [];
  const owners = ((object.metadata ?? {}) as Metadata).ownerReferences;
  if (Array.isArray(owners)) {
    for (const owner of owners as OwnerReference[]) {
      if (typeof owner !== 'object' || owner === null || typeof owner.kind !== 'string' || typeof owner.name !== 'string') continue;
      const uid = typeof owner.uid === 'string' ? owner.uid : '';
      const apiVersion = typeof owner.apiVersion === 'string' ? owner.apiVersion : '';
      const known = uid === '' ? undefined : byUid.get(uid);
      const subject: ResourceRef = known ?? {
        ...splitApiVersion(apiVersion),
        kind: owner.kind,
        namespace: CLUSTER_SCOPED_KINDS.has(owner.kind) ? '' : ref.namespace,
        name: owner.name,
      };
      relationships.push({
        subject,
        predicate: {
          type: 'OwnerReference',
          value: {
            kind: owner.kind,
            name: owner.name,
            uid,
            controller: owner.controller === true,
            blockOwnerDeletion: owner.blockOwnerDeletion === true,
            apiVersion,
          },
        },
        object: ref,
      });
    }
  }
  const nodeName = ref.kind === 'Pod' && ref.group === '' ? ((object.spec ?? {}) as { nodeName?: unknown }).nodeName : undefined;
  if (typeof nodeName === 'string' && nodeName !== '') {
    relationships.push({
      subject: ref,
      predicate: { type: 'PodNodeBinding', value: { nodeName } },
      object: { group: '', version: 'v1', kind: 'Node', namespace: '', name: nodeName },
    });
  }
  return relationships;
}
