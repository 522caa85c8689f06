/**
 * What one add, update, apply or delete does, inside a transaction: reads the resource's current
 * state (which becomes the write's precondition), decides the outcome (NOT_FOUND, ALREADY_EXISTS,
 * CONFLICT, a no-op apply, or a change), and buffers the new record, the index entries to write
 * and delete (every index of src/indices/index-catalogue.ts, with the guards of the scanned ranges
 * its new entries enter), the type counter's move and one store revision. An apply whose content
 * equals the stored content (content-equality.ts: whatever the order of keys) changes nothing. An
 * add or update then makes the relationships derived from the new content true
 * (src/relations/derivation.ts); a delete removes the relationships that name the resource; both
 * in the same transaction.
 */
import { StoreError } from '../storage/errors.js';
import { entryChanges, INDICES, type IndexedResource } from '../indices/index-catalogue.js';
import { guardValue, jsonReader, type JsonReader } from '../indices/selector-index.js';
import { sameContent, type ResourceContent } from '../model/content-equality.js';
import { encodeRecord, toResource, type ResourceRecord } from '../model/resource-codec.js';
import { decodedOnRead, type StoredResource } from './read-cache.js';
import { formatRef } from '../model/refs.js';
import { typeCounterName } from '../model/resource-keys.js';
import { andThen, type MaybePromise } from '../txn/maybe-promise.js';
import type { Transaction } from '../txn/transaction.js';
import type { DerivationPlan } from '../relations/derivation.js';
import type { Resource, ResourceRef } from '../model/types.js';

/** A validated write, ready to run in a transaction. */
export interface PreparedWrite {
  readonly op: 'add' | 'update' | 'apply' | 'delete';
  readonly ref: ResourceRef;
  readonly key: string;
  readonly uid?: string;
  readonly version?: number;
  /** For add, update and apply. */
  readonly content?: ResourceContent;
  /** For add, update and apply: what the content rules derive from `content`. */
  readonly derivation?: DerivationPlan;
}

/** What a resource write needs from the store around it. */
export interface ResourceWriteContext {
  /** The resource stored at `key` as committed, decoded (through the read cache); at once when the transaction reads it at once. */
  load(txn: Transaction, key: string): MaybePromise<StoredResource | undefined>;
  /** Records in the cache what a committed write left at `key`. */
  remember(key: string, entry: StoredResource | undefined): void;
  /** Deletes, in the transaction, the relationships naming `ref` (src/relations/relation-writes.ts says which). */
  deleteRelationshipsOf(txn: Transaction, ref: ResourceRef): Promise<void>;
  /** Makes the relationships derived from a resource's new content true, in the transaction; at once when it reads what it needs at once. */
  derive(txn: Transaction, before: CurrentState['record'] | undefined, after: CurrentState['record'], plan: DerivationPlan, json: JsonReader): MaybePromise<void>;
  readonly now: number;
  /** The states this transaction has written so far, by key (an empty map for each transaction). */
  readonly written: Map<string, CurrentState>;
}

/** A state as committed: the resource callers get, and its stored bytes. */
interface Committed {
  readonly resource: Resource;
  readonly bytes: Uint8Array;
}

/**
 * The state a write starts from: the committed one, or one an earlier write of the same
 * transaction made, whose revision (and so its bytes) is known only once the transaction commits.
 */
export interface CurrentState {
  readonly record: Omit<ResourceRecord, 'revision'>;
  /** The state as committed; for a state of this transaction, call it only from a revisioned change. */
  readonly committed: () => Committed;
}

/** What a resource write gives its caller once the transaction has committed. */
export type WriteOutcome = () => Resource;

function conflict(ref: ResourceRef, message: string): StoreError {
  return new StoreError('CONFLICT', `${formatRef(ref)}: ${message}`);
}

function checkPreconditions(write: PreparedWrite, current: CurrentState['record']): void {
  if (write.version !== undefined && write.version !== current.version) {
    throw conflict(write.ref, `expected version ${write.version}, stored version is ${current.version}`);
  }
  if (write.uid !== undefined && write.uid !== current.uid) {
    throw conflict(write.ref, `expected uid ${write.uid}, stored uid is ${current.uid}`);
  }
}

/** The state at `key` as this transaction sees it; at once when the transaction reads it at once. */
function currentState(txn: Transaction, key: string, ctx: ResourceWriteContext): MaybePromise<CurrentState | undefined> {
  const own = ctx.written.get(key);
  if (own) return own;
  return andThen(ctx.load(txn, key), storedState);
}

function storedState(stored: StoredResource | undefined): CurrentState | undefined {
  if (!stored) return undefined;
  let committed: Committed | undefined;
  return { record: stored.record, committed: () => (committed ??= { resource: toResource(stored.record), bytes: stored.bytes }) };
}

/**
 * Buffers a new state of the resource at `key`. The record carries the revision of its change,
 * which the engine assigns as it commits, so it is encoded then.
 */
function store(txn: Transaction, ctx: ResourceWriteContext, key: string, state: Omit<ResourceRecord, 'revision'>, current: CurrentState | undefined): WriteOutcome {
  let written: Committed | undefined;
  txn.changeAt((revision) => {
    const record = { ...state, revision };
    const bytes = encodeRecord(record);
    const resource = toResource(record);
    written = { resource, bytes };
    if (!current) return { change: { kind: 'resource', type: 'add', object: resource, bytes }, value: bytes };
    const previous = current.committed();
    return { change: { kind: 'resource', type: 'update', object: resource, bytes, previous: previous.resource, previousBytes: previous.bytes }, value: bytes };
  }, key);
  ctx.written.set(key, { record: state, committed: () => written! });
  // The cache keeps the record decoded from the bytes (its data a view of them, not a second
  // copy), when it is first read.
  txn.afterCommit(() => ctx.remember(key, decodedOnRead(written!.bytes, key)));
  return () => written!.resource;
}

/**
 * Buffers the index changes of a resource going from `before` to `after` (either absent): in each
 * index, the entries it loses are deleted, and the entries that are new or changed are put along
 * with the guards of the ranges they enter (see src/indices/selector-index.ts).
 */
function indexChanges(txn: Transaction, ref: ResourceRef, before: IndexedResource | undefined, after: IndexedResource | undefined, json: JsonReader): void {
  for (const index of INDICES) {
    const { dels, puts } = entryChanges(index, before, after, json);
    for (const key of dels) txn.del(key);
    for (const [key, value] of puts) {
      txn.put(key, value);
      // One fresh value per transaction is change enough: a batch of Pods that share a label puts its guard once.
      for (const guard of index.guardsOf(key, ref)) if (!txn.wrote(guard)) txn.put(guard, guardValue());
    }
  }
}

/**
 * Runs `write` in `txn` and returns what the caller gets back once it has committed: the new
 * state, or the last state for a delete; at once when the transaction reads what it needs at
 * once. Throws NOT_FOUND, ALREADY_EXISTS or CONFLICT when it cannot apply.
 */
export function writeResource(txn: Transaction, write: PreparedWrite, ctx: ResourceWriteContext): MaybePromise<WriteOutcome> {
  return andThen(currentState(txn, write.key, ctx), (current) => writeOver(txn, write, ctx, current));
}

/** `write` applied to `current`, the state it starts from (see writeResource). */
function writeOver(txn: Transaction, write: PreparedWrite, ctx: ResourceWriteContext, current: CurrentState | undefined): MaybePromise<WriteOutcome> {
  const { ref, key } = write;
  const json = jsonReader();
  if (write.op === 'delete') {
    if (!current) throw new StoreError('NOT_FOUND', `${formatRef(ref)} not found`);
    checkPreconditions(write, current.record);
    txn.del(key);
    ctx.written.delete(key);
    indexChanges(txn, ref, current.record, undefined, json);
    txn.count(typeCounterName(ref), -1);
    txn.changeAt(() => {
      const last = current.committed();
      return { change: { kind: 'resource', type: 'delete', object: last.resource, bytes: last.bytes } };
    });
    txn.afterCommit(() => ctx.remember(key, undefined));
    return ctx.deleteRelationshipsOf(txn, ref).then(() => () => current.committed().resource);
  }
  const content = write.content!;
  if (!current) {
    if (write.op === 'update') throw new StoreError('NOT_FOUND', `${formatRef(ref)} not found`);
    if (write.op === 'apply' && write.version !== undefined) {
      throw conflict(ref, `expected version ${write.version}, but it does not exist`);
    }
    indexChanges(txn, ref, undefined, { ref, ...content }, json);
    txn.count(typeCounterName(ref), 1);
    const { now } = ctx;
    const record = { ref, uid: write.uid ?? crypto.randomUUID(), ...content, createdAtMs: now, updatedAtMs: now, version: 1 };
    const outcome = store(txn, ctx, key, record, undefined);
    return andThen(ctx.derive(txn, undefined, record, write.derivation ?? [], json), () => outcome);
  }
  if (write.op === 'add') throw new StoreError('ALREADY_EXISTS', `${formatRef(ref)} already exists`);
  const stored = current.record;
  checkPreconditions(write, stored);
  if (write.op === 'apply' && sameContent(content, stored)) return () => current.committed().resource;
  indexChanges(txn, ref, stored, { ref, ...content }, json);
  const record = { ref, uid: stored.uid, ...content, createdAtMs: stored.createdAtMs, updatedAtMs: ctx.now, version: stored.version + 1 };
  const outcome = store(txn, ctx, key, record, current);
  return andThen(ctx.derive(txn, stored, record, write.derivation ?? [], json), () => outcome);
}
