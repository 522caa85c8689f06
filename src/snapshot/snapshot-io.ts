/**
 * Exporting a store to a snapshot and restoring one, on the engine directly. An export reads one
 * engine snapshot, so every line reflects the same revision. A restore checks the whole file
 * first, then writes resources with their index entries and type counters, and relationships
 * with their three orders and end counts, exactly as they were (uids, versions and timestamps
 * kept), in batches; a `/meta/restoring` marker written first and removed by the last batch makes
 * an interrupted restore visible (the store will not open until it is restored again). The store
 * ends at the snapshot's revision (or its own, if that is later: revisions never go back), with an
 * empty change log starting after it.
 */
import { resourcestore } from '../gen/schema.js';
import { LOG_START_KEY } from '../events/change-log.js';
import { indexEntries, INDEX_VALUE } from '../indices/index-keys.js';
import { encodeRelationship } from '../relations/relation-codec.js';
import { endCountKey, SPO, tripleKeys } from '../relations/relation-keys.js';
import type { PredicateRegistry } from '../relations/predicates.js';
import type { Engine } from '../store/engine.js';
import { StoreError, invalidArgument } from '../store/errors.js';
import { decodeKey, encodeKey, prefixRange } from '../store/key-codec.js';
import { encodeNumber, longToNumber } from '../store/number-codec.js';
import { refOfMessage } from '../store/refs.js';
import { decodeRecord, encodeRecord, JSON_TYPE_URL, packData, unpackData } from '../store/resource-codec.js';
import { ALL_RESOURCES_PREFIX, resourceKey, typeCounterName } from '../store/resource-keys.js';
import type { ResourceRef } from '../store/types.js';
import { normalizeAnnotations, normalizeLabels, normalizeRef } from '../store/validate.js';
import type { ParsedSnapshot, SnapshotResource, SnapshotWriter } from './snapshot-format.js';

const pb = resourcestore.v1;
/** Present while a restore is under way. */
export const RESTORING_KEY = encodeKey('meta', 'restoring');
const BATCH = 1000;
const KEPT_META = new Set([encodeKey('meta', 'revision'), encodeKey('meta', 'token-secret')]);



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
          },
        });
      }
    }
    for await (const chunk of engine.scan({ ...prefixRange(encodeKey(SPO)), snapshot })) {
      for (const [, bytes] of chunk) {
        const m = pb.Relationship.decode(bytes);
        await writer.entry({
          relationship: {
            subject: refOfMessage(m.subject),
            predicate: { typeUrl: m.predicate?.type_url ?? '', valueBase64: Buffer.from(m.predicate?.value ?? new Uint8Array()).toString('base64') },
            object: refOfMessage(m.object),
            createdAt: new Date(longToNumber(m.createdAtMs)).toISOString(),
            updatedAt: new Date(longToNumber(m.updatedAtMs)).toISOString(),
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
export async function isEmpty(engine: Engine): Promise<boolean> {
  for (const prefix of [ALL_RESOURCES_PREFIX, encodeKey(SPO)]) {
    for await (const chunk of engine.scanKeys({ ...prefixRange(prefix), limit: 1 })) if (chunk.length > 0) return false;
  }
  return (await engine.get(RESTORING_KEY)) === undefined;
}

function time(value: unknown, field: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw invalidArgument(field, 'must be an RFC 3339 time');
  return ms;
}

function resourceRecord(r: SnapshotResource, line: number) {
  const at = `line ${line}`;
  const ref = normalizeRef(r.ref, `${at}: ref`);
  if (typeof r.uid !== 'string' || r.uid === '') throw invalidArgument(`${at}: uid`, 'must be a non-empty string');
  if (!Number.isSafeInteger(r.version) || r.version < 1) throw invalidArgument(`${at}: version`, 'must be a positive integer');
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
  };
}

/** Deletes everything but the revision, the token secret and the counters (which it moves to zero). */
async function wipe(engine: Engine): Promise<void> {
  let dels: string[] = [];
  const flush = async (): Promise<void> => {
    if (dels.length > 0) await engine.commit({ checks: [], puts: [], dels, counters: [], changes: 0 });
    dels = [];
  };
  for await (const chunk of engine.scanKeys({ gte: '', lt: '\uffff' })) {
    for (const key of chunk) {
      const section = decodeKey(key).section;
      if (section === 'counter' || KEPT_META.has(key)) continue;
      dels.push(key);
      if (dels.length >= BATCH) await flush();
    }
  }
  await flush();
  const counters = [...engine.counters()].map(([name, value]) => [name, -value] as const);
  if (counters.length > 0) await engine.commit({ checks: [], puts: [], dels: [], counters, changes: 0 });
}

/**
 * Restores a checked snapshot into the engine: into an empty one, or over anything with `force`.
 * `predicates` is only used to encode relationships; their predicate bytes are kept as they are.
 */
export async function restoreSnapshot(
  engine: Engine,
  snapshot: ParsedSnapshot,
  predicates: PredicateRegistry,
  options: { readonly force?: boolean; readonly progress?: (done: number, total: number) => void } = {},
): Promise<{ resources: number; relationships: number; revision: number }> {
  if (!(await isEmpty(engine))) {
    if (!options.force) throw new StoreError('CONFLICT', 'the store is not empty: restore into an empty store, or force it to replace what is there');
    await wipe(engine);
  }
  // Check every line before writing anything.
  const resources: Array<ReturnType<typeof resourceRecord>> = [];
  const relationships: Array<{ keys: [string, string, string]; bytes: Uint8Array; subject: ResourceRef; object: ResourceRef }> = [];
  snapshot.entries.forEach((entry, i) => {
    const line = i + 2;
    if ('resource' in entry) {
      resources.push(resourceRecord(entry.resource, line));
      return;
    }
    const r = entry.relationship;
    const subject = normalizeRef(r.subject, `line ${line}: subject`);
    const object = normalizeRef(r.object, `line ${line}: object`);
    const typeUrl = r.predicate?.typeUrl;
    if (typeof typeUrl !== 'string' || !typeUrl.includes('/')) throw invalidArgument(`line ${line}: predicate.typeUrl`, 'must be a type URL');
    const type = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    const value = new Uint8Array(Buffer.from(r.predicate.valueBase64 ?? '', 'base64'));
    const bytes = encodeRelationship(
      { subject, predicate: { type, value }, object, createdAtMs: time(r.createdAt, `line ${line}: createdAt`), updatedAtMs: time(r.updatedAt, `line ${line}: updatedAt`) },
      predicates,
    );
    relationships.push({ keys: tripleKeys({ subject, type, object }), bytes, subject, object });
  });

  await engine.commit({ checks: [], puts: [[RESTORING_KEY, new Uint8Array([1])]], dels: [], counters: [], changes: 0 });
  for (let i = 0; i < resources.length; i += BATCH) {
    const puts: Array<[string, Uint8Array]> = [];
    const counters = new Map<string, number>();
    for (const record of resources.slice(i, i + BATCH)) {
      puts.push([resourceKey(record.ref), encodeRecord(record)]);
      for (const entry of indexEntries(record.ref, record.labels)) puts.push([entry, INDEX_VALUE]);
      counters.set(typeCounterName(record.ref), (counters.get(typeCounterName(record.ref)) ?? 0) + 1);
    }
    await engine.commit({ checks: [], puts, dels: [], counters: [...counters], changes: 0 });
    options.progress?.(Math.min(i + BATCH, resources.length), snapshot.entries.length);
  }
  const ends = new Map<string, number>();
  for (let i = 0; i < relationships.length; i += BATCH) {
    const puts: Array<[string, Uint8Array]> = [];
    for (const rel of relationships.slice(i, i + BATCH)) {
      for (const key of rel.keys) puts.push([key, rel.bytes]);
      for (const end of [rel.subject, rel.object]) ends.set(endCountKey(end), (ends.get(endCountKey(end)) ?? 0) + 1);
    }
    await engine.commit({ checks: [], puts, dels: [], counters: [], changes: 0 });
    options.progress?.(resources.length + Math.min(i + BATCH, relationships.length), snapshot.entries.length);
  }
  const revision = Math.max(snapshot.revision, engine.revision);
  await engine.commit({
    checks: [],
    puts: [...[...ends].map(([key, n]) => [key, encodeNumber(n)] as [string, Uint8Array]), [LOG_START_KEY, encodeNumber(revision + 1)]],
    dels: [RESTORING_KEY],
    counters: [],
    changes: revision - engine.revision,
  });
  return { resources: resources.length, relationships: relationships.length, revision };
}

/** Refuses to open a store a restore left half written. */
export async function checkNotRestoring(engine: Engine): Promise<void> {
  if ((await engine.get(RESTORING_KEY)) !== undefined) {
    throw new StoreError('CORRUPTED', 'a restore into this store was interrupted; run the restore again with --force');
  }
}

