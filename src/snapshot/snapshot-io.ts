/**
 * Exporting a store to a snapshot and restoring one, on the engine directly. An export reads one
 * engine snapshot, so every line reflects the same revision. A restore reads the file twice, a
 * line at a time: first to check all of it (format, checksum, counts, every record, each resource
 * and relationship once and in key order) with nothing touched, then to write it. Only then does
 * it mark the directory (src/storage/work-marker.ts), clear what the store held, and write
 * resources with their index entries (every index of src/indices/index-catalogue.ts) and type
 * counters and relationships with their three orders and end counts, exactly as they were (uids,
 * versions and timestamps kept), in batches bounded in entries and bytes; the last batch unmarks
 * the directory. A crash before the mark leaves the store as it was; after it, the store refuses
 * to open (INCOMPLETE) until a restore runs to the end. The store ends at the snapshot's revision
 * (or its own, if that is later: revisions never go back), with an empty change log starting
 * after it.
 */
import { resourcestore } from '../gen/schema.js';
import { GuardSet, INDICES } from '../indices/index-catalogue.js';
import { jsonReader } from '../indices/selector-index.js';
import { encodeRelationship } from '../relations/relation-codec.js';
import { endCountKey, tripleKeys } from '../relations/relation-keys.js';
import type { PredicateRegistry } from '../relations/predicates.js';
import type { Engine } from '../storage/engine.js';
import { StoreError, invalidArgument } from '../storage/errors.js';
import {
  COUNTER_SECTION,
  CURRENT_LAYOUT,
  KEY_SPACE,
  LAYOUT_KEY,
  LOG_START_KEY,
  REVISION_KEY,
  SPO_SECTION,
  TOKEN_SECRET_KEY,
  WORK_MARKER_KEY,
} from '../storage/key-catalogue.js';
import { encodeKey, prefixRange } from '../storage/key-codec.js';
import { encodeNumber, longToNumber } from '../storage/number-codec.js';
import { decodeEndCount, encodeEndCount } from '../relations/end-count.js';
import { refOfMessage } from '../model/refs.js';
import { decodeRecord, encodeRecord, JSON_TYPE_URL, packData, unpackData } from '../model/resource-codec.js';
import { ALL_RESOURCES_PREFIX, resourceKey, typeCounterName } from '../model/resource-keys.js';
import type { ResourceRef } from '../model/types.js';
import { normalizeAnnotations, normalizeLabels, normalizeRef } from '../model/validate.js';
import { MARKER_DELS, markedWork, markerPut } from '../storage/work-marker.js';
import { readSnapshot, type SnapshotEntry, type SnapshotResource, type SnapshotSummary, type SnapshotWriter } from './snapshot-format.js';

const pb = resourcestore.v1;
const BATCH = 1000;
const BATCH_BYTES = 16 * 1024 * 1024;
const KEPT_META = new Set([REVISION_KEY, TOKEN_SECRET_KEY, WORK_MARKER_KEY]);
const COUNTERS_PREFIX = encodeKey(COUNTER_SECTION);

/** Opens the snapshot's bytes from the start; a restore reads them twice (check, then write). */
export type SnapshotSource = () => AsyncIterable<Uint8Array | string>;

/** Writes a snapshot of everything the engine holds, as of one revision. */
export async function exportSnapshot(engine: Engine, writer: SnapshotWriter): Promise<{ revision: number; resources: number; relationships: number }> {
  const snapshot = engine.snapshot();
  try {
    const revision = await engine.revisionAt(snapshot);
    await writer.header(revision);
    for await (const chunk of engine.scan({ ...prefixRange(ALL_RESOURCES_PREFIX), snapshot })) {
      for (const [key, bytes] of chunk) {
        const r = decodeRecord(bytes, key);
        const data = r.data.typeUrl === JSON_TYPE_URL
          ? { data: unpackData(r.data) as Record<string, unknown> }
          : { dataAny: { typeUrl: r.data.typeUrl, valueBase64: Buffer.from(r.data.value).toString('base64') } };
        await writer.entry({
          resource: {
            ref: r.ref,
            uid: r.uid,
            ...data,
            labels: { ...r.labels },
            annotations: { ...r.annotations },
            createdAt: new Date(r.createdAtMs).toISOString(),
            updatedAt: new Date(r.updatedAtMs).toISOString(),
            version: r.version,
            ...(r.revision > 0 ? { revision: r.revision } : {}), // 0: written before revisions were kept
          },
        });
      }
    }
    for await (const chunk of engine.scan({ ...prefixRange(encodeKey(SPO_SECTION)), snapshot })) {
      for (const [, bytes] of chunk) {
        const m = pb.Relationship.decode(bytes);
        await writer.entry({
          relationship: {
            subject: refOfMessage(m.subject),
            predicate: { typeUrl: m.predicate?.type_url ?? '', valueBase64: Buffer.from(m.predicate?.value ?? new Uint8Array()).toString('base64') },
            object: refOfMessage(m.object),
            createdAt: new Date(longToNumber(m.createdAtMs)).toISOString(),
            updatedAt: new Date(longToNumber(m.updatedAtMs)).toISOString(),
            ...(m.derived ? { derived: m.derived } : {}),
          },
        });
      }
    }
    const counts = await writer.end();
    return { revision, ...counts };
  } finally {
    await snapshot.close();
  }
}

/** True when the engine holds no resource and no relationship. */
async function holdsNothing(engine: Engine): Promise<boolean> {
  for (const prefix of [ALL_RESOURCES_PREFIX, encodeKey(SPO_SECTION)]) {
    for await (const chunk of engine.scanKeys({ ...prefixRange(prefix), limit: 1 })) if (chunk.length > 0) return false;
  }
  return true;
}

function time(value: unknown, field: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw invalidArgument(field, 'must be an RFC 3339 time');
  return ms;
}

function resourceRecord(r: SnapshotResource, line: number, snapshotRevision: number) {
  const at = `line ${line}`;
  const ref = normalizeRef(r.ref, `${at}: ref`);
  if (typeof r.uid !== 'string' || r.uid === '') throw invalidArgument(`${at}: uid`, 'must be a non-empty string');
  if (!Number.isSafeInteger(r.version) || r.version < 1) throw invalidArgument(`${at}: version`, 'must be a positive integer');
  const revision = r.revision ?? snapshotRevision;
  if (!Number.isSafeInteger(revision) || revision < 1 || revision > snapshotRevision) {
    throw invalidArgument(`${at}: revision`, `must be a positive integer no later than the snapshot's revision ${snapshotRevision}`);
  }
  const data = r.dataAny
    ? { typeUrl: r.dataAny.typeUrl, value: new Uint8Array(Buffer.from(r.dataAny.valueBase64, 'base64')) }
    : packData(r.data ?? {}, Number.MAX_SAFE_INTEGER);
  return {
    ref,
    uid: r.uid,
    data,
    labels: normalizeLabels(r.labels, `${at}: labels`),
    annotations: normalizeAnnotations(r.annotations, `${at}: annotations`),
    createdAtMs: time(r.createdAt, `${at}: createdAt`),
    updatedAtMs: time(r.updatedAt, `${at}: updatedAt`),
    version: r.version,
    revision,
  };
}

/**
 * Deletes every key, in the catalogue or not, but the revision, the token secret, the work marker
 * and the counters (which it moves to zero).
 */
async function wipe(engine: Engine): Promise<void> {
  let dels: string[] = [];
  const flush = async (): Promise<void> => {
    if (dels.length > 0) await engine.commit({ checks: [], puts: [], dels, counters: [], changes: 0 });
    dels = [];
  };
  for await (const chunk of engine.scanKeys(KEY_SPACE)) {
    for (const key of chunk) {
      if (KEPT_META.has(key) || key.startsWith(COUNTERS_PREFIX)) continue;
      dels.push(key);
      if (dels.length >= BATCH) await flush();
    }
  }
  await flush();
  const counters = [...engine.counters()].map(([name, value]) => [name, -value] as const);
  if (counters.length > 0) await engine.commit({ checks: [], puts: [], dels: [], counters, changes: 0 });
}

/** One snapshot line, checked and encoded as the keys and values it becomes. */
type PreparedEntry =
  | { readonly kind: 'resource'; readonly key: string; readonly record: ReturnType<typeof resourceRecord> }
  | { readonly kind: 'relationship'; readonly key: string; readonly keys: [string, string, string]; readonly bytes: Uint8Array; readonly ends: [ResourceRef, ResourceRef] };

function prepareEntry(entry: SnapshotEntry, line: number, revision: number, predicates: PredicateRegistry): PreparedEntry {
  if ('resource' in entry) {
    const record = resourceRecord(entry.resource, line, revision);
    return { kind: 'resource', key: resourceKey(record.ref), record };
  }
  const r = entry.relationship;
  const subject = normalizeRef(r.subject, `line ${line}: subject`);
  const object = normalizeRef(r.object, `line ${line}: object`);
  const typeUrl = r.predicate?.typeUrl;
  if (typeof typeUrl !== 'string' || !typeUrl.includes('/')) throw invalidArgument(`line ${line}: predicate.typeUrl`, 'must be a type URL');
  const type = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const value = new Uint8Array(Buffer.from(r.predicate.valueBase64 ?? '', 'base64'));
  if (r.derived !== undefined && (typeof r.derived !== 'string' || r.derived === '')) throw invalidArgument(`line ${line}: derived`, 'must name the rule that derived it');
  const bytes = encodeRelationship(
    {
      subject,
      predicate: { type, value },
      object,
      createdAtMs: time(r.createdAt, `line ${line}: createdAt`),
      updatedAtMs: time(r.updatedAt, `line ${line}: updatedAt`),
      ...(r.derived === undefined ? {} : { derived: r.derived }),
    },
    predicates,
  );
  const keys = tripleKeys({ subject, type, object });
  return { kind: 'relationship', key: keys[0], keys, bytes, ends: [subject, object] };
}

/**
 * Checks that lines come as an export writes them: every resource before every relationship,
 * each in the order of its key and each once. A repeated line would count twice in the type
 * counters and relationship counts; the order makes that check cost nothing but the last key.
 */
class EntryOrder {
  #last: PreparedEntry | undefined;
  check(entry: PreparedEntry, line: number): void {
    const last = this.#last;
    this.#last = entry;
    if (last === undefined) return;
    if (last.kind === 'relationship' && entry.kind === 'resource') throw invalidArgument(`line ${line}`, 'a resource after the relationships: every resource comes first');
    if (last.kind !== entry.kind) return;
    const order = Buffer.compare(Buffer.from(entry.key), Buffer.from(last.key)); // the engine's order: UTF-8 bytes
    if (order === 0) throw invalidArgument(`line ${line}`, `repeats the ${entry.kind} of line ${line - 1}`);
    if (order < 0) throw invalidArgument(`line ${line}`, `out of order: each ${entry.kind} comes once, in key order, as an export writes them`);
  }
}

/** Reads and checks every line of the source, touching nothing; resolves with what it holds. */
export function checkSnapshot(source: SnapshotSource, predicates: PredicateRegistry): Promise<SnapshotSummary> {
  const order = new EntryOrder();
  return readSnapshot(source(), (entry, line, revision) => order.check(prepareEntry(entry, line, revision, predicates), line));
}

/** Writes prepared entries in batches bounded in entries and bytes. */
class RestoreWriter {
  readonly #engine: Engine;
  #puts: Array<[string, Uint8Array]> = [];
  #bytes = 0;
  #counters = new Map<string, number>();
  #ends = new Map<string, number>();
  #entries = 0;
  readonly #guards = new GuardSet();

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  async add(entry: PreparedEntry): Promise<void> {
    const put = (key: string, value: Uint8Array): void => {
      this.#puts.push([key, value]);
      this.#bytes += key.length + value.byteLength;
    };
    if (entry.kind === 'resource') {
      put(entry.key, encodeRecord(entry.record));
      const json = jsonReader();
      for (const index of INDICES) {
        for (const [key, value] of index.entriesOf(entry.record, json)) {
          put(key, value);
          this.#guards.add(index, key, entry.record.ref);
        }
      }
      const name = typeCounterName(entry.record.ref);
      this.#counters.set(name, (this.#counters.get(name) ?? 0) + 1);
    } else {
      for (const key of entry.keys) put(key, entry.bytes);
      for (const end of entry.ends) this.#ends.set(endCountKey(end), (this.#ends.get(endCountKey(end)) ?? 0) + 1);
    }
    if (++this.#entries >= BATCH || this.#bytes >= BATCH_BYTES) await this.flush();
  }

  /** Commits what is gathered; relationship counts add to what earlier batches wrote. */
  async flush(): Promise<void> {
    if (this.#entries === 0) return;
    const endKeys = [...this.#ends.keys()];
    const stored = await this.#engine.getMany(endKeys);
    endKeys.forEach((key, i) => this.#puts.push([key, encodeEndCount(decodeEndCount(stored[i], key) + this.#ends.get(key)!)]));
    this.#puts.push(...this.#guards.take());
    await this.#engine.commit({ checks: [], puts: this.#puts, dels: [], counters: [...this.#counters], changes: 0 });
    this.#puts = [];
    this.#bytes = 0;
    this.#counters = new Map();
    this.#ends = new Map();
    this.#entries = 0;
  }
}

/**
 * Restores a snapshot into the engine: into an empty one, into one a restore left incomplete, or
 * over anything with `force`. The source is read twice: checked whole before anything is written.
 * `predicates` is only used to encode relationships; their predicate bytes are kept as they are.
 */
export async function restoreSnapshot(
  engine: Engine,
  source: SnapshotSource,
  predicates: PredicateRegistry,
  options: { readonly force?: boolean; readonly progress?: (done: number, total: number) => void } = {},
): Promise<{ resources: number; relationships: number; revision: number }> {
  const summary = await checkSnapshot(source, predicates);
  if (!options.force && (await markedWork(engine)) !== 'restore' && !(await holdsNothing(engine))) {
    throw new StoreError('CONFLICT', 'the store is not empty: restore into an empty store, or force it to replace what is there');
  }
  await engine.commit({ checks: [], puts: [markerPut('restore')], dels: [], counters: [], changes: 0 });
  await wipe(engine);
  const total = summary.resources + summary.relationships;
  const writer = new RestoreWriter(engine);
  const order = new EntryOrder();
  let done = 0;
  // A second read: a file changed since the check fails its checksum here, and the mark stays.
  await readSnapshot(source(), async (entry, line, snapshotRevision) => {
    const prepared = prepareEntry(entry, line, snapshotRevision, predicates);
    order.check(prepared, line);
    await writer.add(prepared);
    if (++done % BATCH === 0) options.progress?.(done, total);
  });
  await writer.flush();
  options.progress?.(total, total);
  const revision = Math.max(summary.revision, engine.revision);
  await engine.commit({
    checks: [],
    puts: [[LOG_START_KEY, encodeNumber(revision + 1)], [LAYOUT_KEY, encodeNumber(CURRENT_LAYOUT)]],
    dels: MARKER_DELS,
    counters: [],
    changes: revision - engine.revision,
  });
  return { resources: summary.resources, relationships: summary.relationships, revision };
}
