/** Refs as text: how messages name a resource, and the fields a key is made of. */
import type { ResourceRef } from './types.js';

/** A ref as messages name it: `apps/v1 Deployment "web/nginx"`, `v1 Node "node-1"`. */
export function formatRef(ref: ResourceRef): string {
  const gv = ref.group === '' ? ref.version : `${ref.group}/${ref.version}`;
  const where = ref.namespace === '' ? ref.name : `${ref.namespace}/${ref.name}`;
  return `${gv} ${ref.kind} ${JSON.stringify(where)}`;
}

/** The five fields of a ref in key order. */
export function refFields(ref: ResourceRef): [string, string, string, string, string] {
  return [ref.group, ref.version, ref.kind, ref.namespace, ref.name];
}

/** The ref made of five key fields, in key order. */
export function refOfFields(fields: readonly string[]): ResourceRef {
  const [group = '', version = '', kind = '', namespace = '', name = ''] = fields;
  return { group, version, kind, namespace, name };
}

/** A decoded protobuf ResourceRef (whose fields may be absent) as a ref. */
export function refOfMessage(
  m: { group?: string | null; version?: string | null; kind?: string | null; namespace?: string | null; name?: string | null } | null | undefined,
): ResourceRef {
  return { group: m?.group ?? '', version: m?.version ?? '', kind: m?.kind ?? '', namespace: m?.namespace ?? '', name: m?.name ?? '' };
}
