/**
 * What one add, update, apply or delete does, inside a transaction: reads the resource's current
 * state (which becomes the write's precondition), decides the outcome (NOT_FOUND, ALREADY_EXISTS,
 * CONFLICT, a no-op apply, or a change), and buffers the new record, the index entries to write
 * and delete, the type counter's move and one store revision. An apply whose content equals the
 * stored content (content-equality.ts: whatever the order of keys) changes nothing. A delete
 * also removes every relationship that names the resource, in the same transaction.
 */
import { StoreError } from './errors.js';
import { indexEntries, INDEX_VALUE, labelIndexChanges } from '../indices/index-keys.js';
import { sameContent, type ResourceContent } from './content-equality.js';
import { decodeRecord, encodeRecord, toResource, type ResourceRecord } from './resource-codec.js';
import type { StoredResource } from './read-cache.js';
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
  readonly content?: ResourceContent;
}

/** What a resource write needs from the store around it. */
export interface ResourceWriteContext {
  /** The resource stored at `key` as the transaction sees it, decoded (through the read cache). */
  load(txn: Transaction, key: string): Promise<StoredResource | undefined>;
  /** Records in the cache what a committed write left at `key`. */
  remember(key: string, entry: StoredResource | undefined): void;
  /** Deletes, in the transaction, every relationship naming `ref`. */
  deleteRelationshipsOf(txn: Transaction, ref: ResourceRef): Promise<void>;
  readonly now: number;
}

function conflict(ref: ResourceRef, message: string): StoreError {
  return new StoreError('CONFLICT', `${formatRef(ref)}: ${message}`);
}

function checkPreconditions(write: PreparedWrite, current: ResourceRecord): void {
  if (write.version !== undefined && write.version !== current.version) {
    throw conflict(write.ref, `expected version ${write.version}, stored version is ${current.version}`);
  }
  if (write.uid !== undefined && write.uid !== current.uid) {
    throw conflict(write.ref, `expected uid ${write.uid}, stored uid is ${current.uid}`);
  }
}

function store(txn: Transaction, ctx: ResourceWriteContext, key: string, record: ResourceRecord, current: StoredResource | undefined): Resource {
  const bytes = encodeRecord(record);
  const resource = toResource(record);
  txn.put(key, bytes);
  txn.change(
    current
      ? { kind: 'resource', type: 'update', object: resource, bytes, previous: toResource(current.record), previousBytes: current.bytes }
      : { kind: 'resource', type: 'add', object: resource, bytes },
  );
  // The cache keeps the record decoded from the bytes: its data is a view of them, not a second copy.
  txn.afterCommit(() => ctx.remember(key, { record: decodeRecord(bytes, key), bytes }));
  return resource;
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
    checkPreconditions(write, current.record);
    const last = toResource(current.record);
    txn.del(key);
    for (const entry of indexEntries(ref, current.record.labels)) txn.del(entry);
    txn.count(typeCounterName(ref), -1);
    txn.change({ kind: 'resource', type: 'delete', object: last, bytes: current.bytes });
    txn.afterCommit(() => ctx.remember(key, undefined));
    await ctx.deleteRelationshipsOf(txn, ref);
    return last;
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
  const stored = current.record;
  checkPreconditions(write, stored);
  if (write.op === 'apply' && sameContent(content, stored)) return toResource(stored);
  const labelChanges = labelIndexChanges(ref, stored.labels, content.labels);
  for (const entry of labelChanges.dels) txn.del(entry);
  for (const entry of labelChanges.puts) txn.put(entry, INDEX_VALUE);
  const record = { ref, uid: stored.uid, ...content, createdAtMs: stored.createdAtMs, updatedAtMs: ctx.now, version: stored.version + 1 };
  return store(txn, ctx, key, record, current);
}
