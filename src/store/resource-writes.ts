/**
 * What one add, update, apply or delete does, inside a transaction: reads the resource's current
 * state (which becomes the write's precondition), decides the outcome (NOT_FOUND, ALREADY_EXISTS,
 * CONFLICT, a no-op apply, or a change), and buffers the new record, the index entries to write
 * and delete, the type counter's move and one store revision. A delete also removes every
 * relationship that names the resource, in the same transaction.
 */
import { StoreError } from './errors.js';
import { indexEntries, INDEX_VALUE, labelIndexChanges } from '../indices/index-keys.js';
import { encodeRecord, toResource, type PackedData, type ResourceRecord } from './resource-codec.js';
import type { CachedResource } from './read-cache.js';
import { formatRef } from './refs.js';
import { typeCounterName } from './resource-keys.js';
import type { Transaction } from './transaction.js';
import type { Resource, ResourceRef } from './types.js';

/** A validated write, ready to run in a transaction. */
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

/** What a resource write needs from the store around it. */
export interface ResourceWriteContext {
  /** The resource stored at `key` as the transaction sees it, decoded (through the read cache). */
  load(txn: Transaction, key: string): Promise<CachedResource | undefined>;
  /** Records in the cache what a committed write left at `key`. */
  remember(key: string, entry: CachedResource | undefined): void;
  /** Deletes, in the transaction, every relationship naming `ref`. */
  deleteRelationshipsOf(txn: Transaction, ref: ResourceRef): Promise<void>;
  readonly now: number;
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

function store(txn: Transaction, ctx: ResourceWriteContext, key: string, record: ResourceRecord, current: CachedResource | undefined): Resource {
  const entry = { resource: toResource(record), bytes: encodeRecord(record) };
  txn.put(key, entry.bytes);
  txn.change(
    current
      ? { kind: 'resource', type: 'update', object: entry.resource, bytes: entry.bytes, previous: current.resource, previousBytes: current.bytes }
      : { kind: 'resource', type: 'add', object: entry.resource, bytes: entry.bytes },
  );
  txn.afterCommit(() => ctx.remember(key, entry));
  return entry.resource;
}

/**
 * Runs `write` in `txn` and returns what the caller gets back: the new state, or the last state
 * for a delete. Throws NOT_FOUND, ALREADY_EXISTS or CONFLICT when it cannot apply.
 */
export async function writeResource(txn: Transaction, write: PreparedWrite, ctx: ResourceWriteContext): Promise<Resource> {
  const { ref, key } = write;
  const current = await ctx.load(txn, key);
  if (write.op === 'delete') {
    if (!current) throw new StoreError('NOT_FOUND', `${formatRef(ref)} not found`);
    checkPreconditions(write, current.resource);
    txn.del(key);
    for (const entry of indexEntries(ref, current.resource.labels)) txn.del(entry);
    txn.count(typeCounterName(ref), -1);
    txn.change({ kind: 'resource', type: 'delete', object: current.resource, bytes: current.bytes });
    txn.afterCommit(() => ctx.remember(key, undefined));
    await ctx.deleteRelationshipsOf(txn, ref);
    return current.resource;
  }
  const content = write.content!;
  if (!current) {
    if (write.op === 'update') throw new StoreError('NOT_FOUND', `${formatRef(ref)} not found`);
    if (write.op === 'apply' && write.version !== undefined) {
      throw conflict(ref, `expected version ${write.version}, but it does not exist`);
    }
    for (const entry of indexEntries(ref, content.labels)) txn.put(entry, INDEX_VALUE);
    txn.count(typeCounterName(ref), 1);
    const { now } = ctx;
    const record = { ref, uid: write.uid ?? crypto.randomUUID(), ...content, createdAtMs: now, updatedAtMs: now, version: 1 };
    return store(txn, ctx, key, record, undefined);
  }
  if (write.op === 'add') throw new StoreError('ALREADY_EXISTS', `${formatRef(ref)} already exists`);
  const stored = current.resource;
  checkPreconditions(write, stored);
  const base = { ref, uid: stored.uid, ...content, createdAtMs: Date.parse(stored.createdAt) };
  if (write.op === 'apply') {
    const unchanged = encodeRecord({ ...base, updatedAtMs: Date.parse(stored.updatedAt), version: stored.version });
    if (Buffer.compare(unchanged, current.bytes) === 0) return stored;
  }
  const labelChanges = labelIndexChanges(ref, stored.labels, content.labels);
  for (const entry of labelChanges.dels) txn.del(entry);
  for (const entry of labelChanges.puts) txn.put(entry, INDEX_VALUE);
  return store(txn, ctx, key, { ...base, updatedAtMs: ctx.now, version: stored.version + 1 }, current);
}
