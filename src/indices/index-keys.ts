/**
 * The layouts of the namespace and label indices: one key per entry, empty values.
 *
 * - `/idx-ns/{namespace}/{group}/{version}/{kind}/{name}`: every resource of a namespace, across types.
 * - `/idx-label/{key}/{value}/{group}/{version}/{kind}/{namespace}/{name}`: every resource with a
 *   label, so `key=value` (optionally narrowed to a type, or a type in a namespace) is one prefix
 *   scan, and `key` (exists) is a scan of `/idx-label/{key}/`.
 * The type and type + namespace indices are the primary keys themselves (see resource-keys.ts).
 * An entry never holds a list, so a write costs the same in a store of 1k or 10M resources; which
 * entries a resource has, and what an update changes, is in index-catalogue.ts.
 */
import { LABEL_SECTION, NAMESPACE_SECTION } from '../storage/key-catalogue.js';
import { decodeKey, encodeKey } from '../storage/key-codec.js';
import type { ResourceRef, TypeDescriptor } from '../model/types.js';

const EMPTY = new Uint8Array(0);

/** The value of every index entry. */
export const INDEX_VALUE = EMPTY;

/** A resource's entry in the namespace index. */
export function namespaceIndexKey(ref: ResourceRef): string {
  return encodeKey(NAMESPACE_SECTION, ref.namespace, ref.group, ref.version, ref.kind, ref.name);
}

/** A resource's entry in the label index for one label. */
export function labelIndexKey(key: string, value: string, ref: ResourceRef): string {
  return encodeKey(LABEL_SECTION, key, value, ref.group, ref.version, ref.kind, ref.namespace, ref.name);
}

/** The prefix of the namespace index for one namespace. */
export function namespacePrefix(namespace: string): string {
  return encodeKey(NAMESPACE_SECTION, namespace);
}

/**
 * The prefix of the label index for `key`, `key=value`, `key=value` within a type, or within a
 * type and namespace: each narrower prefix is a smaller scan.
 */
export function labelPrefix(key: string, value?: string, type?: Required<TypeDescriptor>, namespace?: string): string {
  const fields = [key];
  if (value !== undefined) {
    fields.push(value);
    if (type !== undefined) {
      fields.push(type.group, type.version, type.kind);
      if (namespace !== undefined) fields.push(namespace);
    }
  }
  return encodeKey(LABEL_SECTION, ...fields);
}

/** The ref an index entry points at. */
export function refOfIndexKey(indexKey: string): ResourceRef {
  const { section, fields } = decodeKey(indexKey);
  if (section === NAMESPACE_SECTION) {
    const [namespace, group, version, kind, name] = fields as [string, string, string, string, string];
    return { group, version, kind, namespace, name };
  }
  if (section === LABEL_SECTION) {
    const [, , group, version, kind, namespace, name] = fields as string[] as [string, string, string, string, string, string, string];
    return { group, version, kind, namespace, name };
  }
  throw new Error(`not an index key: section ${section}`);
}

/** The namespace and label entries of a resource with this ref and these labels (the benchmarks' raw anchor writes them). */
export function indexEntries(ref: ResourceRef, labels: Readonly<Record<string, string>>): string[] {
  const entries = [namespaceIndexKey(ref)];
  for (const [key, value] of Object.entries(labels)) entries.push(labelIndexKey(key, value, ref));
  return entries;
}
