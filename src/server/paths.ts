/**
 * Refs written in query strings (the store's own routes: `/resource`, relationship queries, graph
 * walks). A ref is `{group}/{version}/{kind}/{namespace}/{name}` with each part percent-encoded:
 * the core group and cluster scope are empty parts (`/v1/Node//node-1`). Three parts are a type,
 * four a type in a namespace, where a pattern is allowed. (Resource paths are the Kubernetes
 * API's: kube-paths.ts.)
 */
import { invalidArgument } from '../storage/errors.js';
import type { RefInput, ResourceRef } from '../model/types.js';
import type { RefPattern } from '../model/relationship-types.js';

/**
 * A ref as a query-string value, ready to follow `?ref=`: its parts percent-encoded and joined by
 * `/`, and the whole encoded again for the query string.
 *
 * @example refParam({ group: '', version: 'v1', kind: 'Node', namespace: '', name: 'n1' }) // '%2Fv1%2FNode%2F%2Fn1'
 */
export function refParam(ref: ResourceRef): string {
  return encodeURIComponent([ref.group, ref.version, ref.kind, ref.namespace, ref.name].map(encodeURIComponent).join('/'));
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
