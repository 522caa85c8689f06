/**
 * The HTTP paths of resources, in the Kubernetes style, and refs written in query strings.
 *
 * - core group: `/api/{version}/namespaces/{namespace}/{kind}/{name}`, cluster-scoped `/api/{version}/{kind}/{name}`;
 * - other groups: `/apis/{group}/{version}/...` the same way.
 * A collection is the path without the name: `/api/v1/namespaces/web/Pod` (one namespace) or
 * `/api/v1/Pod` (every namespace, and where cluster-scoped resources are created). `{kind}` is the
 * kind itself (`Pod`), not a plural resource name. Every segment is percent-encoded.
 *
 * In query strings (relationship queries, graph walks), a ref is
 * `{group}/{version}/{kind}/{namespace}/{name}` with each part percent-encoded: the core group and
 * cluster scope are empty parts (`/v1/Node//node-1`). Three parts are a type, four a type in a
 * namespace, where a pattern is allowed.
 */
import { invalidArgument } from '../store/errors.js';
import type { RefInput, ResourceRef } from '../store/types.js';
import type { RefPattern } from '../relations/types.js';

const enc = encodeURIComponent;

/** The path of a resource. */
export function resourcePath(ref: ResourceRef): string {
  return `${collectionPath(ref, ref.namespace === '' ? undefined : ref.namespace)}/${enc(ref.name)}`;
}

/** The path of a collection: a type in one namespace, or in all (and cluster-scoped ones). */
export function collectionPath(type: { group?: string; version: string; kind: string }, namespace?: string): string {
  const root = type.group ? `/apis/${enc(type.group)}/${enc(type.version)}` : `/api/${enc(type.version)}`;
  return namespace === undefined ? `${root}/${enc(type.kind)}` : `${root}/namespaces/${enc(namespace)}/${enc(type.kind)}`;
}


/** A query-string ref: five parts for a whole ref, three or four for a pattern when `pattern` is allowed. */
export function parseRefParam(value: unknown, field: string, pattern: boolean): RefPattern {
  if (typeof value !== 'string') throw invalidArgument(field, 'must be group/version/kind/namespace/name');
  let parts: string[];
  try {
    parts = value.split('/').map((part) => decodeURIComponent(part));
  } catch {
    throw invalidArgument(field, 'holds a malformed percent-encoding');
  }
  const [group = '', version = '', kind = '', namespace, name] = parts;
  if (parts.length === 5) return { group, version, kind, namespace: namespace!, name: name! } satisfies RefInput;
  if (pattern && parts.length === 3) return { group, version, kind };
  if (pattern && parts.length === 4) return { group, version, kind, namespace: namespace! };
  throw invalidArgument(field, `must be group/version/kind/namespace/name${pattern ? ' (or a type: group/version/kind[/namespace])' : ''}, got ${parts.length} parts`);
}
