/**
 * The indices derived from each resource, described once: the namespace index, the label index
 * and the Service selector index. Each description says where its entries live, which entries a
 * resource has (a function of the resource alone), whose entry a key is, and which guards a write
 * that puts an entry must write. Writes, restore, repair and verify loop over `INDICES` instead of
 * naming each index, so an index added here is written, restored, rebuilt and checked everywhere,
 * or nowhere. The layouts themselves are in index-keys.ts and selector-index.ts; the sections in
 * the key catalogue (src/storage/key-catalogue.ts).
 */
import { LABEL_SECTION, NAMESPACE_SECTION, SELECTS_SECTION } from '../storage/key-catalogue.js';
import { decodeKey } from '../storage/key-codec.js';
import type { PackedData } from '../model/resource-codec.js';
import type { ResourceRef } from '../model/types.js';
import { INDEX_VALUE, labelIndexKey, namespaceIndexKey, refOfIndexKey } from './index-keys.js';
import { guardValue, isSelected, labelGuardKeyOfEntry, refOfSelectsKey, selectsEntryOf, selectsGuardKey, type JsonReader } from './selector-index.js';

/** What an index reads of a resource. */
export interface IndexedResource {
  readonly ref: ResourceRef;
  readonly labels: Readonly<Record<string, string>>;
  readonly data: PackedData;
}

/** One index entry: its key and value. */
export type IndexEntry = readonly [key: string, value: Uint8Array];

/** One index derived from resources. */
export interface IndexDescription {
  /** The key-catalogue section of its entries. */
  readonly section: string;
  /** The entries a resource has in it, made from the resource alone. */
  entriesOf(resource: IndexedResource, json: JsonReader): IndexEntry[];
  /** The resource an entry of this index belongs to. */
  refOf(entry: string): ResourceRef;
  /** The guards that a write putting `entry` (of `ref`) writes blind: those of the scanned ranges it enters. */
  guardsOf(entry: string, ref: ResourceRef): string[];
  /** What verify reports for an entry a stored resource makes that is absent or holds another value, and for an entry no stored resource makes. */
  readonly findings: { readonly missing: string; readonly stray: string };
}

const noGuards = (): string[] => [];

/** `/idx-ns/{namespace}/{group}/{version}/{kind}/{name}`: one entry per resource. */
export const NAMESPACE_INDEX: IndexDescription = {
  section: NAMESPACE_SECTION,
  entriesOf: ({ ref }) => [[namespaceIndexKey(ref), INDEX_VALUE]],
  refOf: refOfIndexKey,
  guardsOf: noGuards,
  findings: { missing: 'index entry missing for a stored resource', stray: 'namespace index entry does not match a stored resource' },
};

/** `/idx-label/{key}/{value}/{ref}`: one entry per label; a label of a selected type (a Pod) enters a range Service writes scan. */
export const LABEL_INDEX: IndexDescription = {
  section: LABEL_SECTION,
  entriesOf: ({ ref, labels }) => Object.entries(labels).map(([key, value]) => [labelIndexKey(key, value, ref), INDEX_VALUE]),
  refOf: refOfIndexKey,
  guardsOf: (entry, ref) => (isSelected(ref) ? [labelGuardKeyOfEntry(ref.namespace, entry)] : []),
  findings: { missing: 'index entry missing for a stored resource', stray: 'label index entry does not match a stored resource' },
};

/** `/idx-selects/{namespace}/{key}/{value}/...`: a Service's selector, under its first pair, a range Pod writes scan. */
export const SELECTOR_INDEX: IndexDescription = {
  section: SELECTS_SECTION,
  entriesOf({ ref, data }, json) {
    const entry = selectsEntryOf(ref, data, json);
    return entry === undefined ? [] : [entry];
  },
  refOf: refOfSelectsKey,
  guardsOf(entry) {
    const [namespace, key, value] = decodeKey(entry).fields as [string, string, string];
    return [selectsGuardKey(namespace, key, value)];
  },
  findings: { missing: 'selector index entry missing or different for a stored Service', stray: 'selector index entry does not match a stored Service' },
};

/** Every index derived from resources. */
export const INDICES: readonly IndexDescription[] = [NAMESPACE_INDEX, LABEL_INDEX, SELECTOR_INDEX];

/**
 * Gathers the guards of the ranges that index entries enter, each once, for the writers that put
 * entries in bulk (restore, repair, the layout upgrade): a guard must be present whenever its
 * range holds an entry (see selector-index.ts).
 */
export class GuardSet {
  readonly #keys = new Set<string>();

  /** Notes the guards of `entry` of `index`, the entry of `ref`. */
  add(index: IndexDescription, entry: string, ref: ResourceRef): void {
    for (const guard of index.guardsOf(entry, ref)) this.#keys.add(guard);
  }

  /** The puts of the guards noted since the last call, each with a fresh value. */
  take(): Array<[string, Uint8Array]> {
    const puts = [...this.#keys].map((key): [string, Uint8Array] => [key, guardValue()]);
    this.#keys.clear();
    return puts;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a === b || Buffer.compare(a, b) === 0;
}

/**
 * What a write changes in `index` when a resource goes from `before` to `after` (either absent):
 * the entries it no longer has, and the entries that are new or hold another value. An entry that
 * stays as it was is neither, so an update touches only what changed.
 */
export function entryChanges(
  index: IndexDescription,
  before: IndexedResource | undefined,
  after: IndexedResource | undefined,
  json: JsonReader,
): { dels: string[]; puts: IndexEntry[] } {
  const old = before === undefined ? [] : index.entriesOf(before, json);
  const now = after === undefined ? [] : index.entriesOf(after, json);
  if (old.length === 0) return { dels: [], puts: now };
  if (now.length === 0) return { dels: old.map(([key]) => key), puts: [] };
  const oldValues = new Map(old);
  const nowKeys = new Set(now.map(([key]) => key));
  return {
    dels: old.filter(([key]) => !nowKeys.has(key)).map(([key]) => key),
    puts: now.filter(([key, value]) => {
      const was = oldValues.get(key);
      return was === undefined || !sameBytes(was, value);
    }),
  };
}
