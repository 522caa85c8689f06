/**
 * Reading Kubernetes objects stored as JSON for the built-in derivation rules (builtin-rules.ts):
 * field readers that take any JSON without throwing and return only what has the expected type,
 * refs that are checked before they are used (a name no stored resource could have is skipped,
 * never an error), the edge collectors that keep each other end once, and what the rules know
 * of Kubernetes kinds (which are cluster-scoped, how each is spelled).
 */
import type { ResourceRef } from '../model/types.js';
import { normalizeRef } from '../model/validate.js';
import type { DerivedEdge } from './derivation-rules.js';

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

/** Well-known kinds by their lowercase name, to mend a kind written in another case. */
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

/** A well-known kind as Kubernetes spells it (`daemonset` → `DaemonSet`); any other kind as written. */
export function canonicalKind(kind: string): string {
  return KNOWN_KINDS.get(kind.toLowerCase()) ?? kind;
}

/** `apps/v1` → group apps, version v1; `v1` → the core group. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** A JSON object. */
export type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `path` under `value`, if there is one. */
export function objectAt(value: unknown, ...path: string[]): Json | undefined {
  let at = value;
  for (const part of path) at = isObject(at) ? at[part] : undefined;
  return isObject(at) ? at : undefined;
}

/** The objects of the array at `path` under `value` (anything else in it skipped); [] when there is none. */
export function arrayAt(value: unknown, ...path: string[]): Json[] {
  const parent = objectAt(value, ...path.slice(0, -1));
  const list = parent?.[path.at(-1)!];
  return Array.isArray(list) ? list.filter(isObject) : [];
}

/** A non-empty string, or undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A string, or '' (for a payload field). */
export function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A core (group "", v1) ref. */
export function coreRef(kind: string, namespace: string, name: string): ResourceRef {
  return { group: '', version: 'v1', kind, namespace, name };
}

/** A ref, or undefined when it could not name a stored resource. */
function validRef(ref: ResourceRef): ResourceRef | undefined {
  try {
    return normalizeRef(ref);
  } catch {
    return undefined;
  }
}

/** Collects edges, each other end once (the first wins); a ref that could name no resource is skipped. */
export class Edges {
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

/**
 * Collects edges whose payload lists every mention of the other end, in order, under one field
 * (`{ uses: [...] }`); a ref that could name no resource is skipped.
 */
export class EdgeLists {
  readonly #field: string;
  readonly #edges = new Map<string, { ref: ResourceRef; items: Json[] }>();

  constructor(field: string) {
    this.#field = field;
  }

  add(ref: ResourceRef, item: Json): void {
    const valid = validRef(ref);
    if (valid === undefined) return;
    const id = JSON.stringify(valid);
    const entry = this.#edges.get(id) ?? { ref: valid, items: [] };
    entry.items.push(item);
    this.#edges.set(id, entry);
  }

  get list(): DerivedEdge[] {
    return [...this.#edges.values()].map(({ ref, items }) => ({ ref, value: { [this.#field]: items } }));
  }
}
