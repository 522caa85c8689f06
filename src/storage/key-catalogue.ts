/**
 * The key catalogue: every section of the key space and every fixed meta key, declared once, with
 * what its keys hold and who writes them. Writes, restore, verify and repair take their names from
 * here, and `describeKey` says whether a key belongs to the layout at all: `verify` reports every
 * key it does not describe, so a key no layer owns cannot sit in a store unseen.
 *
 * A section's keys have a fixed number of fields (a ref is five: group, version, kind, namespace,
 * name), so a key with another number is outside the catalogue as surely as a key of an unknown
 * section. The modules that build keys (model/resource-keys.ts, indices/index-keys.ts,
 * indices/selector-index.ts, relations/relation-keys.ts, events/change-log.ts) keep their
 * key-building functions and take the names from here; the indices derived from a resource are
 * described one by one in indices/index-catalogue.ts. This module is in the bottom layer and
 * imports nothing above it.
 */
import { decodeKey, encodeKey, formatKey } from './key-codec.js';

/**
 * What a key is, which says what restore and repair do with it:
 * - `record`: primary data, what a snapshot carries; restore writes it, repair cannot rebuild it;
 * - `derived`: a function of the records; restore writes it with them, repair deletes and rebuilds it;
 * - `guard`: a fresh value written blind by every write into a scanned range; present whenever
 *   its range holds an entry (restore and repair write one for every entry they write, and no
 *   write deletes one), so an absent guard proves the range empty and spares the scan;
 * - `counter`: a named engine counter, moved only by the counter deltas of writes;
 * - `log`: the change log, history that repair leaves as it is;
 * - `meta`: one fixed key of store-wide state.
 */
export type KeyKind = 'record' | 'derived' | 'guard' | 'counter' | 'log' | 'meta';

/** One section of the key space, or one fixed meta key. */
export interface CatalogueEntry {
  /** The section (`res`), or for a meta key the section and its name (`meta/revision`). */
  readonly name: string;
  /** How many fields its keys have after the section. */
  readonly fields: number;
  readonly kind: KeyKind;
  /** What a key holds (fields in `{}`). */
  readonly holds: string;
  /** The layer, and module, that writes it. */
  readonly writtenBy: string;
}

/** The section names; what each holds is in `SECTIONS`. */
export const RESOURCE_SECTION = 'res';
export const NAMESPACE_SECTION = 'idx-ns';
export const LABEL_SECTION = 'idx-label';
export const SELECTS_SECTION = 'idx-selects';
export const SELECTS_GUARD_SECTION = 'guard-selects';
export const LABEL_GUARD_SECTION = 'guard-label';
export const SPO_SECTION = 'rel-spo';
export const POS_SECTION = 'rel-pos';
export const OSP_SECTION = 'rel-osp';
export const RELATION_COUNT_SECTION = 'rel-count';
export const COUNTER_SECTION = 'counter';
export const LOG_SECTION = 'log';
export const META_SECTION = 'meta';

/** The fixed meta keys; what each holds is in `META_KEYS`. */
export const REVISION_KEY = encodeKey(META_SECTION, 'revision');
export const LOG_START_KEY = encodeKey(META_SECTION, 'log-start');
export const TOKEN_SECRET_KEY = encodeKey(META_SECTION, 'token-secret');
export const WORK_MARKER_KEY = encodeKey(META_SECTION, 'unfinished-work');
export const LEGACY_RESTORE_MARKER_KEY = encodeKey(META_SECTION, 'restoring');
export const LAYOUT_KEY = encodeKey(META_SECTION, 'layout');

/**
 * The version of the key layout this code keeps, stored under `LAYOUT_KEY`. 1 (no key): guards
 * could be absent for ranges that hold entries (restore and repair dropped them). 2: every index
 * entry's range guard is present. 3: a relationship count's value carries fresh bytes
 * after the count (relations/end-count.ts). Opening a store of an older layout upgrades it
 * (integrity/layout-upgrade.ts); restore and repair write the current one.
 */
export const CURRENT_LAYOUT = 3;

/** The range of every key: no UTF-8 string sorts at or above U+10FFFF but one that starts with it. */
export const KEY_SPACE = { gte: '', lt: '\u{10FFFF}' } as const;

const REF = '{group}/{version}/{kind}/{namespace}/{name}';
const REF_FIELDS = 5;

/** Every section but `meta`. */
export const SECTIONS: readonly CatalogueEntry[] = [
  {
    name: RESOURCE_SECTION, fields: REF_FIELDS, kind: 'record',
    holds: `a resource (resourcestore.v1.Resource): ${REF}`,
    writtenBy: 'store writes (store/resource-writes.ts), restore',
  },
  {
    name: NAMESPACE_SECTION, fields: REF_FIELDS, kind: 'derived',
    holds: 'empty: the namespace index, {namespace}/{group}/{version}/{kind}/{name}',
    writtenBy: 'store writes, restore, repair (indices/index-catalogue.ts)',
  },
  {
    name: LABEL_SECTION, fields: 2 + REF_FIELDS, kind: 'derived',
    holds: `empty: the label index, {key}/{value}/${REF}`,
    writtenBy: 'store writes, restore, repair (indices/index-catalogue.ts)',
  },
  {
    name: SELECTS_SECTION, fields: 2 + REF_FIELDS, kind: 'derived',
    holds: "a Service's selector (JSON) under its first pair: {namespace}/{key}/{value}/{group}/{version}/{kind}/{name}",
    writtenBy: 'store writes, restore, repair (indices/index-catalogue.ts)',
  },
  {
    name: SELECTS_GUARD_SECTION, fields: 3, kind: 'guard',
    holds: 'the guard of the selector entries under one pair: {namespace}/{key}/{value}',
    writtenBy: 'store writes (indices/selector-index.ts); restore, repair and the layout upgrade, for every entry they find or write (indices/index-catalogue.ts)',
  },
  {
    name: LABEL_GUARD_SECTION, fields: 6, kind: 'guard',
    holds: 'the guard of the label entries of a selected type: {group}/{version}/{kind}/{namespace}/{key}/{value}',
    writtenBy: 'store writes (indices/selector-index.ts); restore, repair and the layout upgrade, for every entry they find or write (indices/index-catalogue.ts)',
  },
  {
    name: SPO_SECTION, fields: 2 * REF_FIELDS + 1, kind: 'record',
    holds: 'a relationship (resourcestore.v1.Relationship) by subject: {subject}/{predicate}/{object}',
    writtenBy: 'relationship writes (relations/relation-writes.ts, derivation.ts), restore; repair for derived ones',
  },
  {
    name: POS_SECTION, fields: 2 * REF_FIELDS + 1, kind: 'derived',
    holds: 'the relationship by predicate: {predicate}/{object}/{subject}',
    writtenBy: 'relationship writes, restore, repair',
  },
  {
    name: OSP_SECTION, fields: 2 * REF_FIELDS + 1, kind: 'derived',
    holds: 'the relationship by object: {object}/{subject}/{predicate}',
    writtenBy: 'relationship writes, restore, repair',
  },
  {
    name: RELATION_COUNT_SECTION, fields: REF_FIELDS, kind: 'derived',
    holds: `how many relationships name a resource, and fresh bytes (relations/end-count.ts): ${REF}`,
    writtenBy: 'relationship writes (relations/relation-keys.ts), restore, repair',
  },
  {
    name: COUNTER_SECTION, fields: 1, kind: 'counter',
    holds: 'a named counter: resources per type (model/resource-keys.ts names them)',
    writtenBy: 'storage (the engine, from the counter deltas of writes)',
  },
  {
    name: LOG_SECTION, fields: 1, kind: 'log',
    holds: 'the change-log entry (resourcestore.v1.ChangeEvent) of a revision, 16 digits',
    writtenBy: 'every write that takes a revision (events/change-log.ts); compaction deletes',
  },
];

function meta(key: string, holds: string, writtenBy: string): readonly [string, CatalogueEntry] {
  return [key, { name: formatKey(key).slice(1), fields: 1, kind: 'meta', holds, writtenBy }];
}

/** Every fixed key of the `meta` section, by key. */
export const META_KEYS: ReadonlyMap<string, CatalogueEntry> = new Map([
  meta(REVISION_KEY, 'the store revision', 'storage (the engine, with every batch that moves it)'),
  meta(LOG_START_KEY, 'the first revision the change log holds', 'change-log compaction (events/change-log.ts), restore'),
  meta(TOKEN_SECRET_KEY, 'the secret that signs continue tokens', 'the facade, at the first open (store/open-store.ts)'),
  meta(WORK_MARKER_KEY, 'the maintenance under way: restore or repair', 'restore and repair (storage/work-marker.ts)'),
  meta(LAYOUT_KEY, 'the version of the key layout the store is kept in (`CURRENT_LAYOUT`)', 'the facade at open (integrity/layout-upgrade.ts), restore, repair'),
  meta(LEGACY_RESTORE_MARKER_KEY, 'the restore marker of earlier versions', 'no current writer; restore and repair delete it'),
]);

const bySection = new Map(SECTIONS.map((entry) => [entry.name, entry]));

/** The entry that describes `key`, or undefined for a key outside the catalogue. */
export function describeKey(key: string): CatalogueEntry | undefined {
  let decoded: { section: string; fields: string[] };
  try {
    decoded = decodeKey(key);
  } catch {
    return undefined; // not a key the codec makes
  }
  if (decoded.section === META_SECTION) return META_KEYS.get(key);
  const entry = bySection.get(decoded.section);
  return entry?.fields === decoded.fields.length ? entry : undefined;
}
