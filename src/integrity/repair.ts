/**
 * `verify --repair`: rebuilds everything derived from the primary data. It deletes every section
 * the key catalogue (src/storage/key-catalogue.ts) calls derived or a guard, then rebuilds the
 * entries of every index of src/indices/index-catalogue.ts, with the guards of their ranges, and
 * the type counters from the resources; derived relationships are made those the rules derive from
 * the stored content (missing ones added, changed ones rewritten, stale ones deleted; a caller's
 * own are left alone; no change-log entry records these, as none records any repair); then the
 * predicate and object orders of relationships and the relationship counts are rebuilt from the
 * subject order. Resources or relationships that cannot be decoded are left in place and reported
 * (no repair can know what they held); the change log, being history, is left as it is; so is a
 * key outside the catalogue, which verify reports: it may be a newer version's data, and a repair
 * deletes only what it can rebuild. It runs on a store no process has open (the engine's lock sees
 * to that). It deletes before it rebuilds, in many batches, so it marks the directory first
 * (src/storage/work-marker.ts) and unmarks it in its last batch: interrupted, the store refuses to
 * open (INCOMPLETE) until a repair runs again to the end. A directory a restore left incomplete is
 * refused: only that restore can finish it.
 */
import { resourcestore } from '../gen/schema.js';
import { GuardSet, INDICES } from '../indices/index-catalogue.js';
import { endCountKey, tripleKeys, tripleOfKey } from '../relations/relation-keys.js';
import { builtinRuleSet } from '../relations/builtin-rules.js';
import type { RuleSet } from '../relations/derivation-rules.js';
import { encodeRelationship } from '../relations/relation-codec.js';
import { jsonReader } from '../indices/selector-index.js';
import { longToNumber } from '../storage/number-codec.js';
import { derivedFrom, sameBytes, stillDerived } from './derived-check.js';
import type { Engine } from '../storage/engine.js';
import { CURRENT_LAYOUT, LAYOUT_KEY, SECTIONS, SPO_SECTION } from '../storage/key-catalogue.js';
import { encodeKey, formatKey, prefixRange } from '../storage/key-codec.js';
import { encodeNumber } from '../storage/number-codec.js';
import { encodeEndCount } from '../relations/end-count.js';
import { decodeRecord } from '../model/resource-codec.js';
import { ALL_RESOURCES_PREFIX, resourceKey, typeCounterName } from '../model/resource-keys.js';
import { checkNoUnfinishedWork, MARKER_DELS, markerPut } from '../storage/work-marker.js';

const BATCH = 1000;

/** What a repair did. */
export interface RepairReport {
  readonly indexEntries: number;
  readonly relationshipEntries: number;
  /** Derived relationships added, rewritten or deleted to match what the rules derive. */
  readonly derivedRelationships: number;
  /** Keys of records that cannot be decoded, left in place. */
  readonly undecodable: readonly string[];
}

/** Writes puts and deletes in batches. */
class Writer {
  #puts: Array<[string, Uint8Array]> = [];
  #dels: string[] = [];
  constructor(readonly engine: Engine) {}
  async put(key: string, value: Uint8Array): Promise<void> {
    this.#puts.push([key, value]);
    if (this.#puts.length >= BATCH) await this.flush();
  }
  async del(key: string): Promise<void> {
    this.#dels.push(key);
    if (this.#dels.length >= BATCH) await this.flush();
  }
  async flush(counters: ReadonlyArray<readonly [string, number]> = [], last = false): Promise<void> {
    if (last) this.#dels.push(...MARKER_DELS);
    if (this.#puts.length === 0 && this.#dels.length === 0 && counters.length === 0) return;
    await this.engine.commit({ checks: [], puts: this.#puts, dels: this.#dels, counters, changes: 0 });
    this.#puts = [];
    this.#dels = [];
  }
}

/**
 * Rebuilds every index entry, derived relationship, relationship order and count from the data
 * (see the module comment); derived relationships by `rules` (default: every built-in rule).
 */
export async function repairIndices(engine: Engine, rules: RuleSet = builtinRuleSet()): Promise<RepairReport> {
  await checkNoUnfinishedWork(engine, 'repair');
  await engine.commit({ checks: [], puts: [markerPut('repair')], dels: [], counters: [], changes: 0 });
  const writer = new Writer(engine);
  for (const { name, kind } of SECTIONS) {
    if (kind !== 'derived' && kind !== 'guard') continue;
    for await (const chunk of engine.scanKeys(prefixRange(encodeKey(name)))) for (const key of chunk) await writer.del(key);
  }
  await writer.flush();
  const undecodable: string[] = [];
  const typeCounts = new Map<string, number>();
  let indexCount = 0;
  const guards = new GuardSet();
  for await (const chunk of engine.scan(prefixRange(ALL_RESOURCES_PREFIX))) {
    for (const [key, bytes] of chunk) {
      try {
        const record = decodeRecord(bytes, key);
        if (resourceKey(record.ref) !== key) throw new Error('not under its own key');
        const json = jsonReader();
        for (const index of INDICES) {
          for (const [entry, value] of index.entriesOf(record, json)) {
            await writer.put(entry, value);
            guards.add(index, entry, record.ref);
            indexCount++;
          }
        }
        typeCounts.set(typeCounterName(record.ref), (typeCounts.get(typeCounterName(record.ref)) ?? 0) + 1);
      } catch {
        undecodable.push(formatKey(key));
      }
    }
  }
  for (const [guard, value] of guards.take()) await writer.put(guard, value);
  await writer.flush();
  const now = Date.now();
  let derivedCount = 0;
  for await (const chunk of engine.scan(prefixRange(ALL_RESOURCES_PREFIX))) {
    for (const [key, bytes] of chunk) {
      let record;
      try {
        record = decodeRecord(bytes, key);
      } catch {
        continue; // reported above
      }
      for (const edge of (await derivedFrom(record, rules, engine)).edges) {
        const stored = decode(await engine.get(edge.key));
        if (stored !== undefined && (stored.derived !== edge.rule || sameBytes(stored.value, edge.value))) continue; // a caller's own, or as derived
        const predicate = { type: edge.triple.type, value: edge.value };
        await writer.put(edge.key, encodeRelationship({ ...edge.triple, predicate, createdAtMs: stored?.createdAtMs ?? now, updatedAtMs: now, derived: edge.rule }, rules.predicates));
        derivedCount++;
      }
    }
  }
  await writer.flush();
  const ends = new Map<string, number>();
  let relationshipCount = 0;
  for await (const chunk of engine.scan(prefixRange(encodeKey(SPO_SECTION)))) {
    for (const [key, bytes] of chunk) {
      const stored = decode(bytes);
      if (stored === undefined) {
        undecodable.push(formatKey(key));
        continue;
      }
      const triple = tripleOfKey(key);
      if (stored.derived !== '' && (await stillDerived(triple, stored.derived, stored.value, rules, engine)) === 'no') {
        await writer.del(key);
        derivedCount++;
        continue;
      }
      const [, pos, osp] = tripleKeys(triple);
      await writer.put(pos, bytes);
      await writer.put(osp, bytes);
      relationshipCount += 2;
      for (const end of [triple.subject, triple.object]) ends.set(endCountKey(end), (ends.get(endCountKey(end)) ?? 0) + 1);
    }
  }
  for (const [key, count] of ends) await writer.put(key, encodeEndCount(count));
  await writer.put(LAYOUT_KEY, encodeNumber(CURRENT_LAYOUT));
  const counterMoves = new Map<string, number>();
  for (const [name, value] of engine.counters()) if (name.startsWith('["resources"')) counterMoves.set(name, -value);
  for (const [name, count] of typeCounts) counterMoves.set(name, (counterMoves.get(name) ?? 0) + count);
  await writer.flush([...counterMoves].filter(([, delta]) => delta !== 0), true);
  return { indexEntries: indexCount, relationshipEntries: relationshipCount, derivedRelationships: derivedCount, undecodable };
}

/** A stored relationship's rule (empty for a caller's own), predicate bytes and creation time; undefined when absent or undecodable. */
function decode(bytes: Uint8Array | undefined): { derived: string; value: Uint8Array; createdAtMs: number } | undefined {
  if (bytes === undefined) return undefined;
  try {
    const m = resourcestore.v1.Relationship.decode(bytes);
    return { derived: m.derived ?? '', value: m.predicate?.value ?? new Uint8Array(), createdAtMs: longToNumber(m.createdAtMs) };
  } catch {
    return undefined;
  }
}
