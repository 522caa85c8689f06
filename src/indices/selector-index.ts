/**
 * The selector index: every Service's `spec.selector`, so that a Pod write finds the Services
 * that select it at a cost that follows the answer, not the number of Services. A selector is
 * filed under one canonical pair, its first key (in sorted order) with that key's value:
 *
 * - `/idx-selects/{namespace}/{key}/{value}/{group}/{version}/{kind}/{name}`: the whole selector,
 *   as JSON with its keys sorted.
 *
 * A Service that selects a Pod has its first pair among the Pod's labels, so a Pod write scans,
 * for each of its labels, that pair's entries in its namespace, and checks each full selector.
 * An empty or malformed selector selects nothing (as in Kubernetes) and has no entry. Like the
 * label index, the entry is a function of the stored resource: restore, verify and repair make it
 * from the data alone.
 *
 * Range scans are no transaction precondition, so each scanned range has a guard key that every
 * write putting an entry into the range also writes (a fresh random value, written blind, so
 * writers into one range never contend), and that the scanning write reads first:
 *
 * - `/guard-selects/{namespace}/{key}/{value}`: written when a selector entry is put under that pair;
 *   read by a Pod write before it scans the pair.
 * - `/guard-label/{group}/{version}/{kind}/{namespace}/{key}/{value}`: written when a label entry of
 *   a selected type (v1 Pod) is put; read by a Service write before it scans the Pods of its
 *   namespace with its first pair.
 *
 * Entries leaving a range need no guard: the scanning write reads each entry it finds (the
 * selector, or the Pod), and that read is a precondition. Guards are never deleted by writes
 * (there is one per label pair ever used, not per resource), and restore and repair write the
 * guard of every entry they write, so a guard is present whenever its range holds an entry: a
 * scanning write that finds the guard absent (and did not write it itself) knows the range is
 * empty and skips the scan. That is most Pod writes, since most label pairs are no selector's
 * first pair; it saves a round trip per label on PostgreSQL, and in LevelDB a seek past the
 * end of the live keys of a range, which walks any tombstones that follow it (the change log's,
 * once compacted, sort right after this section).
 */
import { LABEL_GUARD_SECTION, SELECTS_GUARD_SECTION, SELECTS_SECTION } from '../storage/key-catalogue.js';
import { decodeKey, encodeFields, encodeKey, keyOf, leadingFields } from '../storage/key-codec.js';
import { FRESH_BYTES, putFresh } from '../storage/fresh-value.js';
import { jsonText, JSON_TYPE_URL, type PackedData } from '../model/resource-codec.js';
import type { ResourceRef, TypeDescriptor } from '../model/types.js';
import { labelValueProblem, qualifiedNameProblem } from '../model/label-rules.js';

/** The type a selector selects: Kubernetes Pods. */
export const SELECTED_TYPE: Required<TypeDescriptor> = { group: '', version: 'v1', kind: 'Pod' };

/** A selector: label keys to the values they must have, keys sorted. */
export type Selector = Readonly<Record<string, string>>;

/** True for a resource whose selector is indexed: a core Service. */
export function isSelecting(ref: ResourceRef): boolean {
  return ref.group === '' && ref.kind === 'Service';
}

/** True for a resource Services select: a v1 Pod. */
export function isSelected(ref: ResourceRef): boolean {
  return ref.group === SELECTED_TYPE.group && ref.version === SELECTED_TYPE.version && ref.kind === SELECTED_TYPE.kind;
}

/** Reads packed data as parsed JSON (undefined for protobuf data). */
export type JsonReader = (data: PackedData) => unknown;

/** A JsonReader that parses each data object once: one per write, so nothing outlives it. */
export function jsonReader(): JsonReader {
  const parsed = new Map<PackedData, unknown>();
  return (data) => {
    if (data.typeUrl !== JSON_TYPE_URL) return undefined;
    if (!parsed.has(data)) parsed.set(data, JSON.parse(jsonText(data)));
    return parsed.get(data);
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A Service's selector, keys sorted: undefined when it has none, an empty one, or one that names a
 * label no resource can carry (it selects nothing).
 */
export function selectorOf(data: PackedData, json: JsonReader): Selector | undefined {
  const object = json(data);
  const spec = isRecord(object) ? object.spec : undefined;
  const selector = isRecord(spec) ? spec.selector : undefined;
  if (!isRecord(selector)) return undefined;
  const keys = Object.keys(selector).sort();
  if (keys.length === 0) return undefined;
  const sorted: Record<string, string> = {};
  for (const key of keys) {
    const value = selector[key];
    if (typeof value !== 'string' || qualifiedNameProblem(key) !== undefined || labelValueProblem(value) !== undefined) return undefined;
    sorted[key] = value;
  }
  return sorted;
}

/** True when `labels` carry every pair of `selector`. */
export function selects(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  for (const key of Object.keys(selector)) if (!Object.hasOwn(labels, key) || labels[key] !== selector[key]) return false;
  return true;
}

/** Two selectors are equal (both sorted, or both absent). */
export function sameSelector(a: Selector | undefined, b: Selector | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => b[key] === a[key]);
}

/** The entry of a Service with this selector: its key and value. */
export function selectsEntry(ref: ResourceRef, selector: Selector): [string, Uint8Array] {
  const first = Object.keys(selector)[0]!;
  const key = encodeKey(SELECTS_SECTION, ref.namespace, first, selector[first]!, ref.group, ref.version, ref.kind, ref.name);
  return [key, Buffer.from(JSON.stringify(selector))];
}

/** The entry of a stored Service, if it has one. */
export function selectsEntryOf(ref: ResourceRef, data: PackedData, json: JsonReader): [string, Uint8Array] | undefined {
  if (!isSelecting(ref)) return undefined;
  const selector = selectorOf(data, json);
  return selector === undefined ? undefined : selectsEntry(ref, selector);
}

/** The entries of Services in `namespace` whose first pair is `key=value`. */
export function selectsPrefix(namespace: string, key: string, value: string): string {
  return encodeKey(SELECTS_SECTION, namespace, key, value);
}

/** The Service an entry names. */
export function refOfSelectsKey(key: string): ResourceRef {
  const [namespace, , , group, version, kind, name] = decodeKey(key).fields as [string, string, string, string, string, string, string];
  return { group, version, kind, namespace, name };
}

/** The selector an entry holds. */
export function selectorOfEntry(value: Uint8Array): Selector {
  return JSON.parse(Buffer.from(value).toString('utf8')) as Selector;
}

/** The guard of the selector entries under `key=value` in `namespace`. */
export function selectsGuardKey(namespace: string, key: string, value: string): string {
  return encodeKey(SELECTS_GUARD_SECTION, namespace, key, value);
}

/** The guard of the label entries `key=value` of a type in a namespace. */
export function labelGuardKey(type: Required<TypeDescriptor>, namespace: string, key: string, value: string): string {
  return encodeKey(LABEL_GUARD_SECTION, type.group, type.version, type.kind, namespace, key, value);
}

/**
 * The guard of the range a v1 Pod's label index entry enters (`labelGuardKey` of its pair), made
 * from the entry's key, whose first two fields are the label's key and value, as they stand in it.
 */
export function labelGuardKeyOfEntry(namespace: string, entry: string): string {
  return keyOf(LABEL_GUARD_SECTION, encodeFields([SELECTED_TYPE.group, SELECTED_TYPE.version, SELECTED_TYPE.kind, namespace]), leadingFields(entry, 2));
}

/** A fresh guard value (storage/fresh-value.ts): whoever read the guard before it was written sees it changed. */
export function guardValue(): Uint8Array {
  const value = new Uint8Array(FRESH_BYTES);
  putFresh(value, 0);
  return value;
}
