/**
 * What adding and deleting relationships does, inside a transaction: the three index entries of
 * each triple, the relationship counts of both ends, and one store revision per change. Adding a
 * triple that exists with another payload replaces its payload and `updatedAt` and keeps
 * `createdAt`; adding it with an equal payload changes nothing (no write, no revision, no event),
 * so importing or reconciling the same relationships again is free.
 * A relationship is a caller's own or derived by a rule (`derived`, the rule's name). A caller's
 * add of a derived triple makes it the caller's own; a derivation never touches a caller's own
 * (it leaves it as it is); a caller cannot delete a derived relationship (INVALID_ARGUMENT: it
 * follows its resource's content). Deleting a resource deletes every relationship naming it
 * (`deleteRelationshipsOf`), except those derived from the content of the other end, which still
 * names it.
 */
import { StoreError } from '../storage/errors.js';
import { formatRef, refFields } from '../model/refs.js';
import { andThen, type MaybePromise } from '../txn/maybe-promise.js';
import type { Transaction } from '../txn/transaction.js';
import { encodeKey, formatKey } from '../storage/key-codec.js';
import type { ResourceRef } from '../model/types.js';
import type { PackedPredicate, PredicateRegistry } from './predicates.js';
import { decodeRelationship, encodeRelationship, relationshipOfRecord, timesOf } from './relation-codec.js';
import { END_COUNT } from './end-count.js';
import { endCountKey, OSP, SPO, spoKey, tripleOfKey, writeKeys, type Triple } from './relation-keys.js';
import type { Relationship } from '../model/relationship-types.js';

/** A validated relationship, ready to write. */
export interface PreparedRelationship {
  readonly subject: ResourceRef;
  readonly predicate: PackedPredicate;
  readonly object: ResourceRef;
}

function formatTriple(triple: Triple): string {
  return `${formatRef(triple.subject)} --${triple.type}--> ${formatRef(triple.object)}`;
}

/**
 * Moves the counts of both ends of a triple (its `writeKeys`) by `delta`, one after the other (the
 * ends may be one resource). A promise only while a count is read (see `Transaction.move`).
 */
function moveEndCounts(txn: Transaction, { subjectCount, objectCount }: ReturnType<typeof writeKeys>, delta: number): MaybePromise<void> {
  return andThen(txn.move(subjectCount, delta, END_COUNT), () => txn.move(objectCount, delta, END_COUNT));
}

/**
 * Adds (or replaces) a relationship; returns it as stored, at once when the transaction reads
 * what it needs at once. Adding an equal one again writes nothing. With `derived` (a rule's
 * name), a caller's own relationship of the same triple is left as it is.
 */
export function addRelationship(
  txn: Transaction,
  rel: PreparedRelationship,
  predicates: PredicateRegistry,
  now: number,
  derived?: string,
): MaybePromise<Relationship> {
  const written = writeKeys({ subject: rel.subject, type: rel.predicate.type, object: rel.object });
  return andThen(txn.read(written.orders[0]), (existing) => {
    const spo = written.orders[0];
    const stored = existing === undefined ? undefined : timesOf(existing, spo);
    if (stored === undefined) return andThen(moveEndCounts(txn, written, 1), () => putRelationship(txn, rel, predicates, now, derived, written.orders, undefined));
    if (
      (derived !== undefined && stored.derived === undefined) || // a caller's own: derivation leaves it alone
      Buffer.compare(encodeRelationship({ ...rel, createdAtMs: stored.createdAtMs, updatedAtMs: stored.updatedAtMs, ...(derived === undefined ? {} : { derived }) }, predicates), existing!) === 0
    ) {
      return decodeRelationship(existing!, spo, predicates); // nothing to change
    }
    return putRelationship(txn, rel, predicates, now, derived, written.orders, { bytes: existing!, createdAtMs: stored.createdAtMs });
  });
}

/** Writes `rel` under its three orders `keys`, over `existing` when there is one, with its change. */
function putRelationship(
  txn: Transaction,
  rel: PreparedRelationship,
  predicates: PredicateRegistry,
  now: number,
  derived: string | undefined,
  keys: readonly string[],
  existing: { readonly bytes: Uint8Array; readonly createdAtMs: number } | undefined,
): Relationship {
  const record = { ...rel, createdAtMs: existing?.createdAtMs ?? now, updatedAtMs: now, ...(derived === undefined ? {} : { derived }) };
  const bytes = encodeRelationship(record, predicates);
  for (const key of keys) txn.put(key, bytes);
  const relationship = relationshipOfRecord(record, predicates);
  txn.change(
    existing === undefined
      ? { kind: 'relationship', type: 'add', object: relationship, bytes }
      : {
          kind: 'relationship',
          type: 'update',
          object: relationship,
          bytes,
          previous: decodeRelationship(existing.bytes, keys[0]!, predicates),
          previousBytes: existing.bytes,
        },
  );
  return relationship;
}

/**
 * Deletes a relationship; returns its last state, or undefined when it was absent and
 * `ignoreMissing` is set (NOT_FOUND otherwise). A caller (`byCaller`) may not delete a derived
 * one (INVALID_ARGUMENT).
 */
export async function deleteRelationship(
  txn: Transaction,
  triple: Triple,
  predicates: PredicateRegistry,
  ignoreMissing: boolean,
  byCaller = true,
): Promise<Relationship | undefined> {
  const written = writeKeys(triple);
  const keys = written.orders;
  const existing = await txn.read(keys[0]);
  if (existing === undefined) {
    if (ignoreMissing) return undefined;
    throw new StoreError('NOT_FOUND', `relationship ${formatTriple(triple)} not found`);
  }
  const derived = byCaller ? timesOf(existing, keys[0]).derived : undefined;
  if (derived !== undefined) {
    throw new StoreError('INVALID_ARGUMENT', `relationship ${formatTriple(triple)} is derived by rule ${derived} from resource content: change the resource instead`, { field: 'relationship' });
  }
  for (const key of keys) txn.del(key);
  const moving = moveEndCounts(txn, written, -1);
  if (moving !== undefined) await moving;
  const relationship = decodeRelationship(existing, keys[0], predicates);
  txn.change({ kind: 'relationship', type: 'delete', object: relationship, bytes: existing });
  return relationship;
}

/**
 * The record at `spo` of a relationship that a scan guarded by the count at `countKey` listed (as
 * `listed`), or undefined when it is gone since the scan: whoever deleted it moved the count, so
 * this transaction's commit fails and it runs again. Gone with the count as it was read, the
 * listed entry has no record: CORRUPTED (`verify` reports it, `verify --repair` mends it).
 */
export async function listedRecord(txn: Transaction, spo: string, countKey: string, listed: string): Promise<Uint8Array | undefined> {
  const stored = await txn.read(spo);
  if (stored !== undefined || !(await txn.stillAsRead(countKey))) return stored;
  throw new StoreError('CORRUPTED', `relationship entry ${formatKey(listed)} has no record at ${formatKey(spo)}`);
}

/**
 * Deletes every relationship that names `ref` as subject or object, except those `keep` keeps
 * (given the triple and the rule that derived it, if any).
 */
export async function deleteRelationshipsOf(
  txn: Transaction,
  ref: ResourceRef,
  predicates: PredicateRegistry,
  keep: (triple: Triple, derived: string | undefined) => boolean = () => false,
): Promise<void> {
  // The count guards the scans below: every write that adds or deletes a relationship naming
  // `ref` gives it a value it never had (end-count.ts), so this transaction's commit fails if one
  // landed after the read. A relationship the scans list and a read then finds gone is one such.
  const countKey = endCountKey(ref);
  if ((await txn.read(countKey)) === undefined) return;
  const fields = refFields(ref);
  const keys = [...(await txn.keysWithPrefix(encodeKey(SPO, ...fields), countKey)), ...(await txn.keysWithPrefix(encodeKey(OSP, ...fields), countKey))];
  const seen = new Set<string>();
  for (const key of keys) {
    const triple = tripleOfKey(key);
    const spo = spoKey(triple);
    if (seen.has(spo)) continue; // a relationship from `ref` to itself is under both prefixes
    seen.add(spo);
    const stored = await listedRecord(txn, spo, countKey, key);
    if (stored === undefined) continue;
    if (!keep(triple, timesOf(stored, spo).derived)) await deleteRelationship(txn, triple, predicates, false, false);
  }
}
