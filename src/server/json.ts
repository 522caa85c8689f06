/**
 * Resources and events in the store's shape as JSON over HTTP (the store's own routes; the
 * Kubernetes paths answer manifests, src/kube/manifest.ts). JSON data travels as it is; protobuf
 * Any data goes out as `{ typeUrl, valueBase64 }`.
 *
 * The texts are those `JSON.stringify` makes of `resourceJson` (and of events holding it), built
 * around the data's stored JSON text where the resource has it, so that data is neither parsed
 * nor serialized again on its way out.
 */
import type { FastifyReply } from 'fastify';
import type { StoreEvent } from '../events/types.js';
import { storedJsonText } from '../model/resource-codec.js';
import type { ResourceData, Resource } from '../model/types.js';
import type { ListResult } from '../store/types.js';

function dataJson(data: ResourceData): unknown {
  const value = (data as { value?: unknown }).value;
  if (value instanceof Uint8Array) return { typeUrl: (data as { typeUrl: string }).typeUrl, valueBase64: Buffer.from(value).toString('base64') };
  return data;
}

/** A resource as JSON. */
export function resourceJson(resource: Resource): unknown {
  return (resource.data as { value?: unknown }).value instanceof Uint8Array ? { ...resource, data: dataJson(resource.data) } : resource;
}

/** `JSON.stringify(resourceJson(resource))`, its data copied from the stored text when there is one. */
export function resourceText(resource: Resource): string {
  const data = storedJsonText(resource);
  if (data === undefined) return JSON.stringify(resourceJson(resource));
  const { ref, uid, labels, annotations, createdAt, updatedAt, version, revision } = resource;
  return (
    `{"ref":${JSON.stringify(ref)},"uid":${JSON.stringify(uid)},"data":${data},"labels":${JSON.stringify(labels)},` +
    `"annotations":${JSON.stringify(annotations)},"createdAt":"${createdAt}","updatedAt":"${updatedAt}","version":${version},"revision":${revision}}`
  );
}

/** An event as JSON text: a resource event's resources as `resourceText` makes them, the rest as they are. */
export function eventText(event: StoreEvent): string {
  if (event.kind !== 'resource') return JSON.stringify(event);
  const { type, revision, resource, previous } = event;
  return `{"kind":"resource","type":"${type}","revision":${revision},"resource":${resourceText(resource)}${previous ? `,"previous":${resourceText(previous)}` : ''}}`;
}

/** `JSON.stringify({ ...page, items: page.items.map(resourceJson) })`, built with `resourceText`. */
export function pageText(page: ListResult): string {
  const empty = JSON.stringify({ ...page, items: [] });
  const at = empty.indexOf('"items":[]') + '"items":['.length; // the one place this text can be: the page's other fields are a number and a token
  return `${empty.slice(0, at)}${page.items.map(resourceText).join(',')}${empty.slice(at)}`;
}

/** Answers JSON text as it is (fastify sends a string with a JSON content type unchanged). */
export function sendJson(reply: FastifyReply, text: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(text);
}
