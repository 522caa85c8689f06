/**
 * The relationship codec: a relationship to its stored protobuf bytes
 * (`resourcestore.v1.Relationship`) and back to the frozen object callers read. A derived
 * relationship carries the name of the rule that derived it (`derived`); a caller's own carries none.
 */
import { resourcestore } from '../gen/schema.js';
import { StoreError } from '../storage/errors.js';
import { deepFreeze, isoTime } from '../model/resource-codec.js';
import { lazyProperty } from '../model/lazy-property.js';
import { encodeMessage } from '../model/message-encoder.js';
import { plainConstructor } from '../model/plain-constructor.js';
import { longToNumber } from '../storage/number-codec.js';
import { refOfMessage } from '../model/refs.js';
import type { ResourceRef } from '../model/types.js';
import type { PackedPredicate, PredicateRegistry } from './predicates.js';
import type { Relationship } from '../model/relationship-types.js';

const pb = resourcestore.v1;

/** A relationship as stored. */
export interface RelationshipRecord {
  readonly subject: ResourceRef;
  readonly predicate: PackedPredicate;
  readonly object: ResourceRef;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  /** The rule that derived it; absent for a caller's own relationship. */
  readonly derived?: string;
}

export function encodeRelationship(record: RelationshipRecord, predicates: PredicateRegistry): Uint8Array {
  return encodeMessage(pb.Relationship, {
    subject: record.subject,
    predicate: { type_url: predicates.typeUrl(record.predicate.type), value: record.predicate.value },
    object: record.object,
    createdAtMs: record.createdAtMs,
    updatedAtMs: record.updatedAtMs,
    derived: record.derived ?? '',
  });
}

/** The stored creation and update times of a relationship (kept when it is added again), and the rule that derived it, if any. */
export function timesOf(bytes: Uint8Array, key: string): { createdAtMs: number; updatedAtMs: number; derived?: string } {
  const { createdAtMs, updatedAtMs, derived } = decodeMessage(bytes, key);
  return { createdAtMs, updatedAtMs, ...(derived === '' ? {} : { derived }) };
}

function decodeMessage(bytes: Uint8Array, key: string) {
  try {
    const m = pb.Relationship.decode(bytes);
    if (!m.subject || !m.object || !m.predicate) throw new Error('record has no subject, object or predicate');
    return {
      subject: refOfMessage(m.subject),
      object: refOfMessage(m.object),
      typeUrl: m.predicate.type_url ?? '',
      value: m.predicate.value ?? new Uint8Array(),
      createdAtMs: longToNumber(m.createdAtMs),
      updatedAtMs: longToNumber(m.updatedAtMs),
      derived: m.derived ?? '',
    };
  } catch (cause) {
    throw new StoreError('CORRUPTED', `stored relationship at ${JSON.stringify(key)} cannot be decoded: ${(cause as Error).message}`, { cause });
  }
}

/**
 * A stored relationship as callers read it, frozen, its predicate's fields decoded (and deeply
 * frozen) on first access: a query whose caller reads only the ends never decodes them.
 */
export function decodeRelationship(bytes: Uint8Array, key: string, predicates: PredicateRegistry): Relationship {
  const m = decodeMessage(bytes, key);
  return relationshipOf(m.subject, m.typeUrl, m.value, m.object, m.createdAtMs, m.updatedAtMs, m.derived, predicates);
}

/** The relationship a record stores, as `decodeRelationship` would read it back, without encoding and decoding it. */
export function relationshipOfRecord(record: RelationshipRecord, predicates: PredicateRegistry): Relationship {
  const { subject, predicate, object, createdAtMs, updatedAtMs, derived } = record;
  return relationshipOf(refOfMessage(subject), predicates.typeUrl(predicate.type), predicate.value, refOfMessage(object), createdAtMs, updatedAtMs, derived ?? '', predicates);
}

/** What a predicate's `value` is decoded from. */
class PackedValue {
  constructor(
    readonly typeUrl: string,
    readonly value: Uint8Array,
    readonly predicates: PredicateRegistry,
  ) {}
}

/** A predicate's `value`, its fields decoded (and deeply frozen) when first read. */
const lazyValue = lazyProperty('value', ({ typeUrl, value, predicates }: PackedValue) => deepFreeze(predicates.unpack(typeUrl, value).value));

/** A predicate's `type`; its `value` is added after (see plain-constructor.ts for why not literals). */
const PredicateObject = plainConstructor<[string], { type: string }>(function PredicateObject(type) {
  this.type = type;
});

/** A relationship's fields, `derived` only when it was derived. */
const RelationshipObject = plainConstructor<[ResourceRef, Relationship['predicate'], ResourceRef, string, string, string], Record<string, unknown>>(
  function RelationshipObject(subject, predicate, object, createdAt, updatedAt, derived) {
    this.subject = subject;
    this.predicate = predicate;
    this.object = object;
    this.createdAt = createdAt;
    this.updatedAt = updatedAt;
    if (derived !== '') this.derived = derived;
  },
);

function relationshipOf(
  subject: ResourceRef,
  typeUrl: string,
  value: Uint8Array,
  object: ResourceRef,
  createdAtMs: number,
  updatedAtMs: number,
  derived: string,
  predicates: PredicateRegistry,
): Relationship {
  const predicate = new PredicateObject(predicates.typeName(typeUrl)) as Relationship['predicate'];
  lazyValue.define(predicate, new PackedValue(typeUrl, value, predicates));
  Object.freeze(predicate);
  const relationship = new RelationshipObject(Object.freeze(subject), predicate, Object.freeze(object), isoTime(createdAtMs), isoTime(updatedAtMs), derived);
  return Object.freeze(relationship) as unknown as Relationship;
}
