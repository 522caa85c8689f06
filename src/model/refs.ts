/** Refs as text: how messages name a resource, and the fields a key is made of. */
import { plainConstructor } from './plain-constructor.js';
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

/** A ref from its five fields, as a plain object made without a literal (see plain-constructor.ts). */
export const Ref = plainConstructor<[string, string, string, string, string], ResourceRef>(function Ref(group, version, kind, namespace, name) {
  this.group = group;
  this.version = version;
  this.kind = kind;
  this.namespace = namespace;
  this.name = name;
});

/** The ref made of five key fields, in key order. */
export function refOfFields(fields: readonly string[]): ResourceRef {
  const [group = '', version = '', kind = '', namespace = '', name = ''] = fields;
  return new Ref(group, version, kind, namespace, name);
}

/** A decoded protobuf ResourceRef (whose fields may be absent) as a ref. */
export function refOfMessage(
  m: { group?: string | null; version?: string | null; kind?: string | null; namespace?: string | null; name?: string | null } | null | undefined,
): ResourceRef {
  return new Ref(m?.group ?? '', m?.version ?? '', m?.kind ?? '', m?.namespace ?? '', m?.name ?? '');
}
