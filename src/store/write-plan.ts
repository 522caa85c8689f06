/**
 * Write planning: what one add, update, apply or delete does to the key space, given the state
 * it read. A plan names the precondition that state must still hold at commit (the exact bytes
 * read, or absence), the record to store, the index entries to write and delete, and the change
 * to the type's resource counter. Planning is pure: it reads nothing and writes nothing, and a
 * write whose state changed before commit is simply planned again.
 */
import { StoreError } from './errors.js';
import { indexEntries, INDEX_VALUE, labelIndexChanges } from '../indices/index-keys.js';
import { encodeRecord, toResource, type PackedData, type ResourceRecord } from './resource-codec.js';
import type { Precondition } from './engine.js';
import type { CachedResource } from './read-cache.js';
import { typeCounterName } from './resource-keys.js';
import type { Resource, ResourceRef } from './types.js';

/** A validated write, ready to plan against the current state. */
export interface PreparedWrite {
  readonly op: 'add' | 'update' | 'apply' | 'delete';
  readonly ref: ResourceRef;
  readonly key: string;
  readonly uid?: string;
  readonly version?: number;
  /** For add, update and apply. */
  readonly content?: {
    readonly data: PackedData;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
}

/** What a write does, once planned. */
export interface PlannedWrite {
  readonly key: string;
  readonly check: Precondition;
  /** The resource after the write (undefined after a delete), with its bytes. */
  readonly after: CachedResource | undefined;
  /** What the caller gets back: the new state, or the last state for a delete. */
  readonly result: Resource;
  readonly puts: ReadonlyArray<readonly [string, Uint8Array]>;
  readonly dels: readonly string[];
  readonly counter: readonly [string, number] | undefined;
  /** False for an apply that changes nothing: it writes nothing and takes no revision. */
  readonly changes: boolean;
}

/** A ref as messages name it: `apps/v1 Deployment web/nginx`, `v1 Node node-1`. */
export function formatRef(ref: ResourceRef): string {
  const gv = ref.group === '' ? ref.version : `${ref.group}/${ref.version}`;
  const where = ref.namespace === '' ? ref.name : `${ref.namespace}/${ref.name}`;
  return `${gv} ${ref.kind} ${JSON.stringify(where)}`;
}

function conflict(ref: ResourceRef, message: string): StoreError {
  return new StoreError('CONFLICT', `${formatRef(ref)}: ${message}`);
}

function checkPreconditions(write: PreparedWrite, current: Resource): void {
  if (write.version !== undefined && write.version !== current.version) {
    throw conflict(write.ref, `expected version ${write.version}, stored version is ${current.version}`);
  }
  if (write.uid !== undefined && write.uid !== current.uid) {
    throw conflict(write.ref, `expected uid ${write.uid}, stored uid is ${current.uid}`);
  }
}

function materialize(record: ResourceRecord): CachedResource {
  return { resource: toResource(record), bytes: encodeRecord(record) };
}

/**
 * Plans `write` against `current` (the stored state, or undefined when absent) at time `now`.
 * Throws NOT_FOUND, ALREADY_EXISTS or CONFLICT when the write cannot apply to that state.
 */
export function planWrite(write: PreparedWrite, current: CachedResource | undefined, now: number): PlannedWrite {
  const { ref, key } = write;
  const counterName = typeCounterName(ref);
  if (write.op === 'delete') {
    if (!current) throw new StoreError('NOT_FOUND', `${formatRef(ref)} not found`);
    checkPreconditions(write, current.resource);
    return {
      key,
      check: { key, value: current.bytes },
      after: undefined,
      result: current.resource,
      puts: [],
      dels: [key, ...indexEntries(ref, current.resource.labels)],
      counter: [counterName, -1],
      changes: true,
    };
  }
  const content = write.content!;
  if (!current) {
    if (write.op === 'update') throw new StoreError('NOT_FOUND', `${formatRef(ref)} not found`);
    if (write.op === 'apply' && write.version !== undefined) {
      throw conflict(ref, `expected version ${write.version}, but it does not exist`);
    }
    const after = materialize({
      ref,
      uid: write.uid ?? crypto.randomUUID(),
      ...content,
      createdAtMs: now,
      updatedAtMs: now,
      version: 1,
    });
    return {
      key,
      check: { key, value: undefined },
      after,
      result: after.resource,
      puts: [[key, after.bytes], ...indexEntries(ref, content.labels).map((k) => [k, INDEX_VALUE] as const)],
      dels: [],
      counter: [counterName, 1],
      changes: true,
    };
  }
  if (write.op === 'add') throw new StoreError('ALREADY_EXISTS', `${formatRef(ref)} already exists`);
  checkPreconditions(write, current.resource);
  const base = { ref, uid: current.resource.uid, ...content, createdAtMs: Date.parse(current.resource.createdAt) };
  if (write.op === 'apply') {
    const unchanged = encodeRecord({
      ...base,
      updatedAtMs: Date.parse(current.resource.updatedAt),
      version: current.resource.version,
    });
    if (Buffer.compare(unchanged, current.bytes) === 0) {
      return { key, check: { key, value: current.bytes }, after: current, result: current.resource, puts: [], dels: [], counter: undefined, changes: false };
    }
  }
  const after = materialize({ ...base, updatedAtMs: now, version: current.resource.version + 1 });
  const labelChanges = labelIndexChanges(ref, current.resource.labels, content.labels);
  return {
    key,
    check: { key, value: current.bytes },
    after,
    result: after.resource,
    puts: [[key, after.bytes], ...labelChanges.puts.map((k) => [k, INDEX_VALUE] as const)],
    dels: labelChanges.dels,
    counter: undefined,
    changes: true,
  };
}
