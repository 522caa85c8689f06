/**
 * Relationship query planning: every combination of subject, predicate type and object is one
 * prefix scan of one of the three orders (relation-keys.ts), with no filtering and no second
 * lookup, so a query costs what its answer costs.
 *
 * | given                     | scan                              |
 * | ------------------------- | --------------------------------- |
 * | nothing                   | `/rel-spo/`                       |
 * | subject                   | `/rel-spo/{subject}/`             |
 * | subject, predicate        | `/rel-spo/{subject}/{predicate}/` |
 * | subject, predicate, object| `/rel-spo/{s}/{p}/{o}` (one key)  |
 * | predicate                 | `/rel-pos/{predicate}/`           |
 * | predicate, object         | `/rel-pos/{predicate}/{object}/`  |
 * | object                    | `/rel-osp/{object}/`              |
 * | subject, object           | `/rel-osp/{object}/{subject}/`    |
 *
 * An end given without `name` is a prefix (a type, or a type in a namespace). It may be used
 * where it is the last part of the scan's prefix: a subject alone, an object alone, the object
 * after a predicate, the subject after an object. Elsewhere (a partial subject with a predicate,
 * a partial object with a subject, any partial end with all three given) it is INVALID_ARGUMENT.
 * A continue token fingerprints the query and its scan's prefix, so it only continues that scan.
 * Where the scan's prefix fixes a whole end (a subject given whole, or an object given whole
 * after a predicate or alone), every relationship it reads names that end: the plan says which
 * (`end`, the key of its relationship count), and the relationship cache holds its answer.
 */
import { invalidArgument } from '../storage/errors.js';
import { encodeKey } from '../storage/key-codec.js';
import { checkRefField, isRecord, normalizeRef } from '../model/validate.js';
import type { RelationshipQuery } from '../model/relationship-types.js';
import { endCountKeyOf, OSP, POS, SPO } from './relation-keys.js';

/** One end of a query: the key fields it fixes, and whether it is a whole ref. */
interface EndPattern {
  readonly fields: string[];
  readonly complete: boolean;
}

function normalizeEnd(input: unknown, field: string): EndPattern | undefined {
  if (input === undefined) return undefined;
  if (!isRecord(input)) throw invalidArgument(field, 'must be a ref or a { group?, version, kind, namespace? } pattern');
  if (input.name !== undefined) {
    const ref = normalizeRef(input, field);
    return { fields: [ref.group, ref.version, ref.kind, ref.namespace, ref.name], complete: true };
  }
  const fields = [
    checkRefField(`${field}.group`, input.group, 253, false),
    checkRefField(`${field}.version`, input.version, 63, true),
    checkRefField(`${field}.kind`, input.kind, 63, true),
  ];
  if (input.namespace !== undefined) fields.push(checkRefField(`${field}.namespace`, input.namespace, 63, false));
  return { fields, complete: false };
}

function needComplete(end: EndPattern, field: string, because: string): void {
  if (!end.complete) throw invalidArgument(field, `must be a whole ref (with name) when ${because}`);
}

/** The prefix that answers a query, and what its continue tokens fingerprint: the canonical query and that prefix. */
export function planRelationshipQuery(
  query: RelationshipQuery,
  resolvePredicate: (name: unknown, field: string) => string,
): { prefix: string; fingerprint: unknown[]; end?: string } {
  const s = normalizeEnd(query.subject, 'subject');
  const o = normalizeEnd(query.object, 'object');
  const p = query.predicate === undefined ? undefined : resolvePredicate(query.predicate, 'predicate');
  let prefix: string;
  let end: EndPattern | undefined;
  if (s && p !== undefined && o) {
    needComplete(s, 'subject', 'predicate and object are given');
    needComplete(o, 'object', 'subject and predicate are given');
    prefix = encodeKey(SPO, ...s.fields, p, ...o.fields);
    end = s;
  } else if (s && p !== undefined) {
    needComplete(s, 'subject', 'a predicate is given');
    prefix = encodeKey(SPO, ...s.fields, p);
    end = s;
  } else if (s && o) {
    needComplete(o, 'object', 'a subject is given');
    prefix = encodeKey(OSP, ...o.fields, ...s.fields);
    end = o;
  } else if (s) {
    prefix = encodeKey(SPO, ...s.fields);
    end = s;
  } else if (p !== undefined) {
    prefix = o ? encodeKey(POS, p, ...o.fields) : encodeKey(POS, p);
    end = o;
  } else if (o) {
    prefix = encodeKey(OSP, ...o.fields);
    end = o;
  } else {
    prefix = encodeKey(SPO);
  }
  const fingerprint = ['relationships', s?.fields, p, o?.fields, prefix];
  return end?.complete ? { prefix, fingerprint, end: endCountKeyOf(end.fields) } : { prefix, fingerprint };
}
