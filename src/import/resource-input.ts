/**
 * From a Kubernetes object to the resource it becomes: the ref from `apiVersion`, `kind` and
 * `metadata`; labels and annotations from `metadata`; the whole object as the data; its `uid`
 * kept. Its relationships are the store's to derive, whatever writes it (src/relations/builtin-rules.ts).
 */
import { splitApiVersion } from '../relations/builtin-rules.js';
import type { ResourceInput } from '../model/types.js';

interface Metadata {
  name?: unknown;
  namespace?: unknown;
  uid?: unknown;
  labels?: unknown;
  annotations?: unknown;
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
