/**
 * Stored resources as Kubernetes manifests and back, and the list and watch-event envelopes they
 * travel in.
 *
 * Read: `apiVersion` and `kind` from the ref, then `metadata` with the server-owned fields set by
 * the store (name, namespace only when namespaced, uid, `resourceVersion` = the global revision of
 * the resource's last change as a string, `generation` = the resource's version, labels and
 * annotations as stored) and everything else the written metadata held, then the rest of the
 * written manifest. `generation` stands in for Kubernetes' counter of spec changes: it starts at 1
 * and grows by one on every update, including metadata-only ones, so `observedGeneration`
 * comparisons stay meaningful. `creationTimestamp` is the one written (an imported object keeps
 * its own), else the creation time to the second, as Kubernetes writes it.
 *
 * Write: a create or replace body must agree with the path (apiVersion, kind, namespace, name; a
 * missing one is filled in from it), else INVALID_ARGUMENT (400 BadRequest, as kube-apiserver);
 * the namespace a cluster-scoped body names is dropped, as kube-apiserver drops it.
 * The stored data is the body without the fields the server owns (`resourceVersion`,
 * `generation`, `uid`), so writing back what was read stores the same data; `resourceVersion`
 * comes back separately as the precondition it is.
 */
import { randomInt } from 'node:crypto';
import { invalidArgument } from '../storage/errors.js';
import { MemberReader } from '../model/json-text.js';
import { storedJsonText } from '../model/resource-codec.js';
import type { JsonObject, Resource, ResourceInput } from '../model/types.js';

/** `v1` for the core group, `group/version` for the others. */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Metadata fields the server sets on every read. */
const SERVER_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'labels', 'annotations']);

/**
 * A stored resource as its Kubernetes manifest, at `revision` (the store revision of its last change).
 * Data that is not JSON (a protobuf `Any`) comes out as `data: { typeUrl, valueBase64 }`.
 *
 * @example toManifest(resource, 42).metadata.resourceVersion // '42'
 */
export function toManifest(resource: Resource, revision: number): JsonObject {
  const { ref } = resource;
  const data = resource.data as JsonObject & { value?: unknown; typeUrl?: unknown };
  const body: JsonObject =
    data.value instanceof Uint8Array ? { data: { typeUrl: data.typeUrl, valueBase64: Buffer.from(data.value).toString('base64') } } : data;
  const metadata = metadataOf(resource, revision, isRecord(body.metadata) ? body.metadata : {});
  const manifest: Record<string, unknown> = { apiVersion: apiVersionOf(ref.group, ref.version), kind: ref.kind, metadata };
  for (const [key, value] of Object.entries(body)) if (key !== 'apiVersion' && key !== 'kind' && key !== 'metadata') manifest[key] = value;
  for (const path of TEMPLATE_PATHS[`${ref.group}/${ref.kind}`] ?? []) withUnsetTimestamp(manifest, path);
  return manifest;
}

/** A manifest's metadata: the fields the server sets, then every other field of the metadata written. */
function metadataOf(resource: Resource, revision: number, written: JsonObject): Record<string, unknown> {
  const { ref } = resource;
  const metadata: Record<string, unknown> = {
    name: ref.name,
    ...(ref.namespace === '' ? {} : { namespace: ref.namespace }),
    uid: resource.uid,
    resourceVersion: String(revision),
    generation: resource.version,
    creationTimestamp: typeof written.creationTimestamp === 'string' ? written.creationTimestamp : `${resource.createdAt.slice(0, 19)}Z`,
    ...(Object.keys(resource.labels).length > 0 ? { labels: resource.labels } : {}),
    ...(Object.keys(resource.annotations).length > 0 ? { annotations: resource.annotations } : {}),
  };
  for (const [key, value] of Object.entries(written)) if (!SERVER_METADATA.has(key)) metadata[key] = value;
  return metadata;
}

/**
 * `toManifest(resource, revision)` as JSON text, made from the data's stored JSON text where the
 * resource has it: nothing is parsed, the members of the data and of its metadata that the
 * server does not set are copied as they are. The same text `JSON.stringify` makes of the
 * manifest, but where a member's name is an integer (which an object puts first). A kind whose
 * templates get a timestamp (below) is made the long way.
 */
export function manifestText(resource: Resource, revision: number): string {
  const { ref } = resource;
  const data = TEMPLATE_PATHS[`${ref.group}/${ref.kind}`] === undefined ? storedJsonText(resource) : undefined;
  if (data === undefined) return JSON.stringify(toManifest(resource, revision));
  const members = new MemberReader(data);
  let metadata: string | undefined;
  let others = '';
  let rest = '}';
  let seen = 0;
  for (let member = members.next(); member !== undefined; member = members.next()) {
    const { key } = member;
    if (key !== 'apiVersion' && key !== 'kind' && key !== 'metadata') {
      others += `,${data.slice(member.start, member.end)}`;
      continue;
    }
    if (key === 'metadata') metadata = data.slice(member.valueStart, member.end);
    if (++seen === 3) {
      // Stored text names a member once: after these three, everything left is copied as it is.
      rest = data.slice(member.end);
      break;
    }
  }
  const head = `{"apiVersion":${JSON.stringify(apiVersionOf(ref.group, ref.version))},"kind":${JSON.stringify(ref.kind)}`;
  return `${head},"metadata":${metadataText(resource, revision, metadata)}${others}${rest}`;
}

/** `metadataOf` as JSON text, from the written metadata's text (undefined when the data has none). */
function metadataText(resource: Resource, revision: number, written: string | undefined): string {
  const { ref, labels, annotations } = resource;
  let creationTimestamp: string | undefined;
  let others = '';
  if (written !== undefined && written.charCodeAt(0) === 0x7b) {
    const members = new MemberReader(written);
    for (let member = members.next(); member !== undefined; member = members.next()) {
      if (!SERVER_METADATA.has(member.key)) others += `,${written.slice(member.start, member.end)}`;
      else if (member.key === 'creationTimestamp' && written.charCodeAt(member.valueStart) === 0x22) creationTimestamp = written.slice(member.valueStart, member.end);
    }
  }
  return (
    `{"name":${JSON.stringify(ref.name)}${ref.namespace === '' ? '' : `,"namespace":${JSON.stringify(ref.namespace)}`},"uid":${JSON.stringify(resource.uid)}` +
    `,"resourceVersion":"${revision}","generation":${resource.version},"creationTimestamp":${creationTimestamp ?? `"${resource.createdAt.slice(0, 19)}Z"`}` +
    `${Object.keys(labels).length > 0 ? `,"labels":${JSON.stringify(labels)}` : ''}${Object.keys(annotations).length > 0 ? `,"annotations":${JSON.stringify(annotations)}` : ''}${others}}`
  );
}

/**
 * Where built-in kinds embed an object's metadata (pod templates, job templates, claim
 * templates; `*` is every element of a list). Kubernetes writes such metadata with
 * `creationTimestamp: null` when unset (a Go struct, not a pointer), and kubectl's client-side
 * apply counts on it: without it every apply of a Deployment finds a difference and says
 * "configured".
 */
const TEMPLATE_PATHS: Readonly<Record<string, ReadonlyArray<readonly string[]>>> = {
  'apps/Deployment': [['spec', 'template']],
  'apps/ReplicaSet': [['spec', 'template']],
  'apps/DaemonSet': [['spec', 'template']],
  'apps/StatefulSet': [['spec', 'template'], ['spec', 'volumeClaimTemplates', '*']],
  '/ReplicationController': [['spec', 'template']],
  '/PodTemplate': [['template']],
  'batch/Job': [['spec', 'template']],
  'batch/CronJob': [['spec', 'jobTemplate'], ['spec', 'jobTemplate', 'spec', 'template']],
};

/** Gives the objects at `path` under `parent` a `metadata.creationTimestamp` of null where it is unset, copying what it changes (the stored data is frozen). */
function withUnsetTimestamp(parent: Record<string, unknown>, path: readonly string[], at = 0): void {
  const key = path[at]!;
  if (key === '*') return; // handled by the caller, which holds the list
  const child = parent[key];
  if (path[at + 1] === '*') {
    if (Array.isArray(child)) parent[key] = child.map((item: unknown) => (isRecord(item) ? withTimestamp(item) : item));
    return;
  }
  if (!isRecord(child)) return;
  if (at === path.length - 1) {
    parent[key] = withTimestamp(child);
    return;
  }
  const copy = { ...child };
  parent[key] = copy;
  withUnsetTimestamp(copy, path, at + 1);
}

function withTimestamp(template: Record<string, unknown>): Record<string, unknown> {
  const metadata = isRecord(template.metadata) ? template.metadata : {};
  if ('creationTimestamp' in metadata) return template;
  return { ...template, metadata: { ...metadata, creationTimestamp: null } };
}

/** Where a create or replace body is written: the path's type, namespace ("" when cluster-scoped) and, but for a create, name. */
export interface ManifestTarget {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace: string;
  /** Absent for a create (POST): the body names the object, by `name` or `generateName`. */
  readonly name?: string;
}

/** What a body asks to write: the resource input, and the `resourceVersion` it was read at, if it says. */
export interface ManifestWrite {
  readonly input: ResourceInput;
  /** The body's `metadata.resourceVersion`: a replace must fail with CONFLICT unless the stored revision is this. */
  readonly resourceVersion?: string;
}

const GENERATED_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `generateName` plus five random characters, the base cut so the name stays within 63, as Kubernetes does. */
function generatedName(base: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATED_ALPHABET[randomInt(GENERATED_ALPHABET.length)];
  return `${base.slice(0, 58)}${suffix}`;
}

function mismatch(field: string, written: unknown, expected: string): never {
  throw invalidArgument(field, `is ${JSON.stringify(written)} in the body but ${JSON.stringify(expected)} in the request path`);
}

/**
 * The resource input a create (POST) or replace (PUT) body stands for at `target`.
 *
 * @throws StoreError INVALID_ARGUMENT when the body is not an object, or its apiVersion, kind,
 *   namespace or name disagree with the path, or a create names no object.
 * @example fromManifest({ metadata: { name: 'web' }, spec: {} }, { group: '', version: 'v1', kind: 'Pod', namespace: 'default' })
 */
export function fromManifest(body: unknown, target: ManifestTarget): ManifestWrite {
  if (!isRecord(body)) throw invalidArgument('body', 'must be a JSON object (a Kubernetes manifest)');
  const apiVersion = apiVersionOf(target.group, target.version);
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) mismatch('apiVersion', body.apiVersion, apiVersion);
  if (body.kind !== undefined && body.kind !== target.kind) mismatch('kind', body.kind, target.kind);
  if (body.metadata !== undefined && !isRecord(body.metadata)) throw invalidArgument('metadata', 'must be an object');
  const { resourceVersion, generation: _generation, uid, ...metadata } = (body.metadata ?? {}) as Record<string, unknown>;
  if (target.namespace !== '' && metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== target.namespace) {
    mismatch('metadata.namespace', metadata.namespace, target.namespace);
  }
  let name = metadata.name;
  if (target.name !== undefined) {
    if (name !== undefined && name !== '' && name !== target.name) mismatch('metadata.name', name, target.name);
    name = target.name;
  } else if ((name === undefined || name === '') && typeof metadata.generateName === 'string' && metadata.generateName !== '') {
    name = generatedName(metadata.generateName);
  }
  if (typeof name !== 'string' || name === '') throw invalidArgument('metadata.name', 'is required (or metadata.generateName)');
  if (uid !== undefined && typeof uid !== 'string') throw invalidArgument('metadata.uid', 'must be a string');
  if (resourceVersion !== undefined && typeof resourceVersion !== 'string') throw invalidArgument('metadata.resourceVersion', 'must be a string');
  const { namespace: _namespace, ...rest } = metadata;
  const stored = { ...body, apiVersion, kind: target.kind, metadata: { ...rest, name, ...(target.namespace === '' ? {} : { namespace: target.namespace }) } };
  return {
    input: {
      ref: { group: target.group, version: target.version, kind: target.kind, namespace: target.namespace, name },
      ...(uid === undefined || uid === '' ? {} : { uid }),
      labels: (metadata.labels ?? {}) as Record<string, string>,
      annotations: (metadata.annotations ?? {}) as Record<string, string>,
      data: stored,
    },
    ...(resourceVersion === undefined || resourceVersion === '' ? {} : { resourceVersion }),
  };
}

/** The metadata of a list page. */
export interface ListMeta {
  /** The store revision the page is consistent with. */
  readonly revision: number;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

/**
 * A list response, `{ kind: 'PodList', apiVersion, metadata: { resourceVersion, continue? }, items }`.
 *
 * @example listOf('', 'v1', 'Pod', pods, { revision: 42 }).kind // 'PodList'
 */
export function listOf(group: string, version: string, kind: string, items: readonly JsonObject[], meta: ListMeta): JsonObject {
  return {
    kind: `${kind}List`,
    apiVersion: apiVersionOf(group, version),
    metadata: {
      resourceVersion: String(meta.revision),
      ...(meta.continue === undefined ? {} : { continue: meta.continue }),
      ...(meta.remainingItemCount === undefined ? {} : { remainingItemCount: meta.remainingItemCount }),
    },
    items,
  };
}

/** `JSON.stringify(listOf(group, version, kind, items, meta))` of items already JSON text (`manifestText`). */
export function listText(group: string, version: string, kind: string, items: readonly string[], meta: ListMeta): string {
  const empty = JSON.stringify(listOf(group, version, kind, [], meta)); // ends with `"items":[]}`
  return `${empty.slice(0, -2)}${items.join(',')}]}`;
}

/** The watch event types. */
export const WATCH_EVENT_TYPES = ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'] as const;

/** A watch event type. */
export type WatchEventType = (typeof WATCH_EVENT_TYPES)[number];

/**
 * One line of a watch stream: `{"type":…,"object":…}` and a newline, the object given as itself
 * or (`json`) as its JSON text. A DELETED event's object is the last state with the deletion's
 * revision as its resourceVersion; an ERROR's is a Status.
 */
export function watchLine(type: WatchEventType, object: unknown, json?: string): string {
  return json === undefined ? `${JSON.stringify({ type, object })}\n` : `{"type":"${type}","object":${json}}\n`;
}

/** The annotation on the BOOKMARK that ends the initial events of a `sendInitialEvents=true` watch. */
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

/**
 * A BOOKMARK's object: only apiVersion, kind and `metadata.resourceVersion` (and the
 * initial-events-end annotation when it ends the initial events), as kube-apiserver sends it.
 */
export function bookmarkObject(group: string, version: string, kind: string, revision: number, initialEventsEnd = false): JsonObject {
  return {
    kind,
    apiVersion: apiVersionOf(group, version),
    metadata: { resourceVersion: String(revision), ...(initialEventsEnd ? { annotations: { [INITIAL_EVENTS_END]: 'true' } } : {}) },
  };
}
