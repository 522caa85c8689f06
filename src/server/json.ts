/**
 * Resources, relationships and events as JSON over HTTP, and request bodies as resource input.
 * JSON data travels as it is; protobuf Any data goes out as `{ typeUrl, valueBase64 }`. A body
 * may be the store's own shape (`{ data, labels, annotations, uid?, version? }`) or a whole
 * Kubernetes manifest (`{ apiVersion, kind, metadata, ... }`), whose metadata gives the labels,
 * annotations and uid and which is stored whole as the data, as the importer does. A manifest
 * must agree with the path it is sent to, as Kubernetes requires: its `kind` is the path's, and
 * its `apiVersion`, `metadata.namespace` and `metadata.name`, when given, are the path's too.
 */
import type { StoreEvent } from '../events/types.js';
import { invalidArgument } from '../store/errors.js';
import type { ResourceData, Resource, ResourceInput, ResourceRef } from '../store/types.js';
import { isRecord } from '../store/validate.js';

function dataJson(data: ResourceData): unknown {
  const value = (data as { value?: unknown }).value;
  if (value instanceof Uint8Array) return { typeUrl: (data as { typeUrl: string }).typeUrl, valueBase64: Buffer.from(value).toString('base64') };
  return data;
}

/** A resource as JSON. */
export function resourceJson(resource: Resource): unknown {
  return (resource.data as { value?: unknown }).value instanceof Uint8Array ? { ...resource, data: dataJson(resource.data) } : resource;
}

/** An event as JSON. */
export function eventJson(event: StoreEvent): unknown {
  if (event.kind !== 'resource') return event;
  return { ...event, resource: resourceJson(event.resource), ...(event.previous ? { previous: resourceJson(event.previous) } : {}) };
}

const quoted = (value: unknown): string => JSON.stringify(value)?.slice(0, 100) ?? String(value);

/** Throws INVALID_ARGUMENT when a manifest's type, namespace or name is not the one its path names. */
function checkManifestAgrees(ref: ResourceRef, apiVersion: unknown, kind: unknown, namespace: unknown, name: unknown): void {
  const pathApiVersion = ref.group === '' ? ref.version : `${ref.group}/${ref.version}`;
  if (apiVersion !== undefined && apiVersion !== pathApiVersion) {
    throw invalidArgument('apiVersion', `is ${quoted(apiVersion)} but the path is of ${JSON.stringify(pathApiVersion)}`);
  }
  if (kind !== ref.kind) throw invalidArgument('kind', `is ${quoted(kind)} but the path is of ${JSON.stringify(ref.kind)}`);
  if (namespace !== undefined && namespace !== '' && namespace !== ref.namespace) {
    const where = ref.namespace === '' ? 'no namespace (cluster scope, or every namespace)' : `the namespace ${JSON.stringify(ref.namespace)}`;
    throw invalidArgument('metadata.namespace', `is ${quoted(namespace)} but the path names ${where}`);
  }
  if (name !== undefined && name !== ref.name) throw invalidArgument('metadata.name', `is ${quoted(name)} but the path names ${JSON.stringify(ref.name)}`);
}

/** The resource input a request body stands for, at `ref` (from the path). */
export function bodyToInput(ref: ResourceRef, body: unknown, queryVersion: unknown): ResourceInput {
  if (body === undefined) body = {};
  if (!isRecord(body)) throw invalidArgument('body', 'must be a JSON object');
  let version: number | undefined;
  if (queryVersion !== undefined) {
    version = Number(queryVersion);
    if (!Number.isSafeInteger(version)) throw invalidArgument('version', 'must be an integer');
  }
  if (isRecord(body.metadata) && typeof body.kind === 'string') {
    const metadata = body.metadata;
    checkManifestAgrees(ref, body.apiVersion, body.kind, metadata.namespace, metadata.name);
    return {
      ref,
      ...(typeof metadata.uid === 'string' && metadata.uid !== '' ? { uid: metadata.uid } : {}),
      labels: (metadata.labels ?? {}) as Record<string, string>,
      annotations: (metadata.annotations ?? {}) as Record<string, string>,
      data: body,
      ...(version === undefined ? {} : { version }),
    };
  }
  for (const key of Object.keys(body)) {
    if (!['data', 'labels', 'annotations', 'uid', 'version'].includes(key)) {
      throw invalidArgument(`body.${key}`, 'is not a field of a resource (data, labels, annotations, uid, version)');
    }
  }
  const bodyVersion = body.version as number | undefined;
  return {
    ref,
    ...(body.uid === undefined ? {} : { uid: body.uid as string }),
    ...(body.data === undefined ? {} : { data: body.data as ResourceData }),
    ...(body.labels === undefined ? {} : { labels: body.labels as Record<string, string> }),
    ...(body.annotations === undefined ? {} : { annotations: body.annotations as Record<string, string> }),
    ...(version !== undefined ? { version } : bodyVersion === undefined ? {} : { version: bodyVersion }),
  };
}
