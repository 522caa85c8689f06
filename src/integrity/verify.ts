/**
 * Integrity checks over the raw key space, for `verify`: every key is one the key catalogue
 * (src/storage/key-catalogue.ts) describes, and any other is reported as an unknown key (repair
 * leaves it alone: it may be a newer version's data); every resource decodes and sits under its
 * own key with its entries in every index of src/indices/index-catalogue.ts; every index entry is
 * one a stored resource makes; the type counters match the resources; every relationship is in
 * all three orders with the same record, and the relationship counts match; the derived
 * relationships are exactly those the rules derive from the stored content (derived-check.ts:
 * each one a rule derives is stored, as the rule derives it, unless a caller's own holds its
 * triple; each stored one is still derived); the change log is contiguous from its start to the
 * store revision. Each finding names the key. Memory stays small: checks go entry by entry with
 * point reads, and only per-type and per-end counts are held.
 */
import { resourcestore } from '../gen/schema.js';
import { logKey } from '../events/change-log.js';
import { INDICES } from '../indices/index-catalogue.js';
import { endCountKey, tripleKeys, tripleOfKey } from '../relations/relation-keys.js';
import { decodeEndCount } from '../relations/end-count.js';
import { builtinRuleSet } from '../relations/builtin-rules.js';
import type { RuleSet } from '../relations/derivation-rules.js';
import { jsonReader } from '../indices/selector-index.js';
import { derivedFrom, sameBytes, stillDerived } from './derived-check.js';
import type { EngineReader } from '../storage/engine-reader.js';
import {
  COUNTER_SECTION,
  describeKey,
  KEY_SPACE,
  LOG_SECTION,
  LOG_START_KEY,
  OSP_SECTION,
  POS_SECTION,
  RELATION_COUNT_SECTION,
  SPO_SECTION,
  WORK_MARKER_KEY,
} from '../storage/key-catalogue.js';
import { decodeKey, encodeKey, formatKey, prefixRange } from '../storage/key-codec.js';
import { decodeNumber } from '../storage/number-codec.js';
import { decodeRecord, type ResourceRecord } from '../model/resource-codec.js';
import { ALL_RESOURCES_PREFIX, resourceKey, typeCounterName } from '../model/resource-keys.js';
import { incompleteError, markedWork } from '../storage/work-marker.js';

/** One inconsistency: what is wrong, and where. */
export interface Finding {
  readonly problem: string;
  readonly key: string;
}

/** What verify looked at, and what it found. */
export interface VerifyReport {
  readonly resources: number;
  readonly indexEntries: number;
  readonly relationships: number;
  readonly logEntries: number;
  readonly findings: readonly Finding[];
}

/** The finding for a key outside the key catalogue. */
export const UNKNOWN_KEY = 'unknown key: no section or meta key of the key catalogue has its shape (verify --repair leaves it alone)';

/** A key as findings print it; a key the codec could not have made is shown as a JSON string. */
function printable(key: string): string {
  try {
    return formatKey(key);
  } catch {
    return JSON.stringify(key);
  }
}

/** Runs every check; derived relationships against `rules` (default: every built-in rule). */
export async function verifyIntegrity(engine: EngineReader, rules: RuleSet = builtinRuleSet()): Promise<VerifyReport> {
  const findings: Finding[] = [];
  const find = (problem: string, key: string): void => void findings.push({ problem, key: printable(key) });
  let resources = 0;
  let entries = 0;
  let relationships = 0;
  let logEntries = 0;
  const typeCounts = new Map<string, number>();
  const labelsOf = new Map<string, ResourceRecord | null>();
  const load = async (key: string): Promise<ResourceRecord | null> => {
    if (labelsOf.has(key)) return labelsOf.get(key)!;
    const bytes = await engine.get(key);
    let record: ResourceRecord | null = null;
    if (bytes !== undefined) {
      try {
        record = decodeRecord(bytes, key);
      } catch {
        record = null;
      }
    }
    if (labelsOf.size > 10_000) labelsOf.clear();
    labelsOf.set(key, record);
    return record;
  };

  const unfinished = await markedWork(engine);
  if (unfinished !== undefined) find(incompleteError(unfinished).message, WORK_MARKER_KEY);

  for await (const chunk of engine.scan(prefixRange(ALL_RESOURCES_PREFIX))) {
    for (const [key, bytes] of chunk) {
      resources++;
      let record: ResourceRecord;
      try {
        record = decodeRecord(bytes, key);
      } catch (err) {
        find(`the resource cannot be decoded: ${(err as Error).message}`, key);
        continue;
      }
      if (resourceKey(record.ref) !== key) {
        find('the resource is stored under a key that is not its own', key);
        continue;
      }
      const name = typeCounterName(record.ref);
      typeCounts.set(name, (typeCounts.get(name) ?? 0) + 1);
      const json = jsonReader();
      const wanted = INDICES.flatMap((index) => index.entriesOf(record, json).map(([entry, value]) => ({ index, entry, value })));
      const present = await engine.getMany(wanted.map(({ entry }) => entry));
      wanted.forEach(({ index, entry, value }, i) => {
        if (!sameBytes(present[i], value)) find(index.findings.missing, entry);
      });
      const derived = await derivedFrom(record, rules, engine);
      if (derived.failure !== undefined) find(`a derivation rule fails on the resource: ${derived.failure}`, key);
      for (const edge of derived.edges) {
        const stored = await engine.get(edge.key);
        const m = stored === undefined ? undefined : decodeRelationship(stored);
        if (m === undefined) find(`derived relationship missing: rule ${edge.rule} derives it from ${formatKey(key)}`, edge.key);
        else if (m.derived === edge.rule && !sameBytes(m.value, edge.value)) find(`derived relationship differs from what rule ${edge.rule} derives`, edge.key);
      }
    }
  }

  for (const index of INDICES) {
    const guards = new Set<string>();
    for await (const chunk of engine.scan(prefixRange(encodeKey(index.section)))) {
      for (const [entry, value] of chunk) {
        entries++;
        // A key of the wrong shape names no resource (and is reported as unknown below).
        if (describeKey(entry) === undefined) {
          find(index.findings.stray, entry);
          continue;
        }
        const ref = index.refOf(entry);
        for (const guard of index.guardsOf(entry, ref)) guards.add(guard);
        const record = await load(resourceKey(ref));
        const made = record === null ? [] : index.entriesOf(record, jsonReader());
        if (!made.some(([key, wanted]) => key === entry && sameBytes(wanted, value))) find(index.findings.stray, entry);
      }
    }
    const keys = [...guards];
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      (await engine.getMany(chunk)).forEach((value, j) => {
        if (value === undefined) find('guard missing for a range that holds index entries: writes into it would take it for empty', chunk[j]!);
      });
    }
  }

  for (const [name, count] of engine.counters()) {
    if (!name.startsWith('["resources"')) continue;
    if ((typeCounts.get(name) ?? 0) !== count) find(`type counter says ${count}, the store holds ${typeCounts.get(name) ?? 0}`, encodeKey(COUNTER_SECTION, name));
  }
  for (const [name, count] of typeCounts) {
    if (engine.counter(name) === 0) find(`type counter missing; the store holds ${count}`, encodeKey(COUNTER_SECTION, name));
  }

  const ends = new Map<string, number>();
  for await (const chunk of engine.scan(prefixRange(encodeKey(SPO_SECTION)))) {
    for (const [key, bytes] of chunk) {
      relationships++;
      const triple = tripleOfKey(key);
      const m = decodeRelationship(bytes);
      if (m === undefined) find('the relationship cannot be decoded', key);
      else if (m.derived !== '' && (await stillDerived(triple, m.derived, m.value, rules, engine)) === 'no') {
        find(`relationship derived by rule ${m.derived} that the content of its resources no longer derives`, key);
      }
      const [, pos, osp] = tripleKeys(triple);
      const [posValue, ospValue] = await engine.getMany([pos, osp]);
      if (!sameBytes(posValue, bytes)) find('relationship missing or different in the predicate order', pos);
      if (!sameBytes(ospValue, bytes)) find('relationship missing or different in the object order', osp);
      for (const end of [triple.subject, triple.object]) ends.set(endCountKey(end), (ends.get(endCountKey(end)) ?? 0) + 1);
    }
  }
  for (const section of [POS_SECTION, OSP_SECTION]) {
    for await (const chunk of engine.scanKeys(prefixRange(encodeKey(section)))) {
      for (const key of chunk) {
        const [spo] = tripleKeys(tripleOfKey(key));
        if ((await engine.get(spo)) === undefined) find('relationship index entry without its subject-order record', key);
      }
    }
  }
  for await (const chunk of engine.scan(prefixRange(encodeKey(RELATION_COUNT_SECTION)))) {
    for (const [key, bytes] of chunk) {
      const counted = ends.get(key) ?? 0;
      const stored = countOf(bytes, key);
      if (stored === undefined) find('relationship count cannot be decoded', key);
      else if (stored !== counted) find(`relationship count says ${stored}, ${counted} relationships name this resource`, key);
      ends.delete(key);
    }
  }
  for (const [key, counted] of ends) find(`relationship count missing; ${counted} relationships name this resource`, key);

  const start = decodeNumber(await engine.get(LOG_START_KEY), 'the log start') || 1;
  let expected = start;
  for await (const chunk of engine.scanKeys(prefixRange(encodeKey(LOG_SECTION)))) {
    for (const key of chunk) {
      logEntries++;
      const revision = Number(decodeKey(key).fields[0]);
      if (revision < start) find(`change-log entry before the log start ${start}`, key);
      else if (revision !== expected) find(`change log has a gap: revision ${expected} is missing`, logKey(expected));
      expected = Math.max(expected, revision + 1);
    }
  }
  if (expected !== engine.revision + 1) {
    find(`change log ends at revision ${expected - 1}, the store revision is ${engine.revision}`, logKey(expected));
  }

  for await (const chunk of engine.scanKeys(KEY_SPACE)) {
    for (const key of chunk) if (describeKey(key) === undefined) find(UNKNOWN_KEY, key);
  }
  return { resources, indexEntries: entries, relationships, logEntries, findings };
}

/** A stored relationship's rule (empty for a caller's own) and predicate bytes; undefined when it cannot be decoded. */
function decodeRelationship(bytes: Uint8Array): { derived: string; value: Uint8Array } | undefined {
  try {
    const m = resourcestore.v1.Relationship.decode(bytes);
    return { derived: m.derived ?? '', value: m.predicate?.value ?? new Uint8Array() };
  } catch {
    return undefined;
  }
}

/** A stored relationship count; undefined when it cannot be decoded. */
function countOf(bytes: Uint8Array, key: string): number | undefined {
  try {
    return decodeEndCount(bytes, key);
  } catch {
    return undefined;
  }
}
