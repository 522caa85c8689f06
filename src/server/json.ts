/**
 * Resources and events in the store's shape as JSON over HTTP (the store's own routes; the
 * Kubernetes paths answer manifests, src/kube/manifest.ts). JSON data travels as it is; protobuf
 * Any data goes out as `{ typeUrl, valueBase64 }`.
 */
import type { StoreEvent } from '../events/types.js';
import type { ResourceData, Resource } from '../model/types.js';

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
