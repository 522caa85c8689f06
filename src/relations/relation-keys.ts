/**
 * Where relationships live in the key space. Each triple is stored under three orders, each
 * holding the whole record, so that every query shape is one prefix scan with no second lookup:
 *
 * - `/rel-spo/{subject}/{predicate}/{object}`: by subject; subject + predicate; the triple itself;
 * - `/rel-pos/{predicate}/{object}/{subject}`: by predicate; predicate + object;
 * - `/rel-osp/{object}/{subject}/{predicate}`: by object; object + subject.
 *
 * (A ref is five fields: group, version, kind, namespace, name.) `/rel-count/{ref}` holds how
 * many relationships name a resource: every write of a relationship writes the counts of both
 * its ends, each to a value it never held (end-count.ts), so a delete that removes "every
 * relationship naming X" reads X's count and thereby guards its scan: a relationship added
 * concurrently changes the count and the delete runs again.
 */
import { OSP_SECTION as OSP, POS_SECTION as POS, RELATION_COUNT_SECTION, SPO_SECTION as SPO } from '../storage/key-catalogue.js';
import { decodeKey, encodeFields, encodeKey, keyOf } from '../storage/key-codec.js';
import { refFields, refOfFields } from '../model/refs.js';
import type { ResourceRef } from '../model/types.js';

/** The three orders' sections under the short names the relation modules use. */
export { OSP, POS, SPO };

/** A triple's identity. */
export interface Triple {
  readonly subject: ResourceRef;
  readonly type: string;
  readonly object: ResourceRef;
}

/** The three keys a triple is stored under, SPO first. */
export function tripleKeys(triple: Triple): [spo: string, pos: string, osp: string] {
  return writeKeys(triple).orders;
}

/** The keys a write of a triple touches: its three orders (SPO first), and its ends' counts. */
export function writeKeys({ subject, type, object }: Triple): { orders: [spo: string, pos: string, osp: string]; subjectCount: string; objectCount: string } {
  // Each end's fields are escaped once for the five keys that hold them.
  const s = encodeFields(refFields(subject));
  const o = encodeFields(refFields(object));
  const t = encodeFields([type]);
  return {
    orders: [keyOf(SPO, s, t, o), keyOf(POS, t, o, s), keyOf(OSP, o, s, t)],
    subjectCount: keyOf(RELATION_COUNT_SECTION, s),
    objectCount: keyOf(RELATION_COUNT_SECTION, o),
  };
}

/** The SPO key of a triple alone: its identity, and where its record is read (`tripleKeys(triple)[0]`). */
export function spoKey({ subject, type, object }: Triple): string {
  return encodeKey(SPO, ...refFields(subject), type, ...refFields(object));
}

/** The triple a key of any of the three orders names. */
export function tripleOfKey(key: string): Triple {
  const { section, fields } = decodeKey(key);
  switch (section) {
    case SPO:
      return { subject: refOfFields(fields.slice(0, 5)), type: fields[5]!, object: refOfFields(fields.slice(6, 11)) };
    case POS:
      return { type: fields[0]!, object: refOfFields(fields.slice(1, 6)), subject: refOfFields(fields.slice(6, 11)) };
    case OSP:
      return { object: refOfFields(fields.slice(0, 5)), subject: refOfFields(fields.slice(5, 10)), type: fields[10]! };
    default:
      throw new Error(`not a relationship key: section ${section}`);
  }
}

/** The key counting the relationships that name `ref`. */
export function endCountKey(ref: ResourceRef): string {
  return endCountKeyOf(refFields(ref));
}

/** The same, from the ref's five key fields. */
export function endCountKeyOf(fields: readonly string[]): string {
  return encodeKey(RELATION_COUNT_SECTION, ...fields);
}
