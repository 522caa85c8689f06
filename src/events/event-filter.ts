/**
 * Subscription filters: validating a WatchFilter, the keys the router indexes a subscriber under
 * (its resource kind and its predicate type, or a wildcard), and matching an event against it.
 * A ref field given as `*` matches any value; so does an omitted one, except `group`, which
 * defaults to the core group "" as everywhere else in the API.
 * With a label selector, updates are seen as Kubernetes watches see them: one that makes a
 * resource match arrives as `add` (with the new state), one that makes it stop matching as
 * `delete` (with the last state that matched). Replays match through the same function, so a
 * replayed event is the live one.
 */
import { matchesSelector, parseLabelSelector, type LabelSelector } from '../indices/label-selector.js';
import type { RefPattern } from '../model/relationship-types.js';
import { invalidArgument } from '../storage/errors.js';
import type { ResourceRef } from '../model/types.js';
import { checkRefField, isRecord } from '../model/validate.js';
import type { RelationshipEvent, ResourceEvent, StoreEvent, WatchFilter } from './types.js';

const ANY = '*';

/** A validated filter. */
export interface CompiledFilter {
  /** The resource kind the subscriber is indexed under; undefined for any kind; null for no resource events. */
  readonly kind: string | undefined | null;
  /** The predicate type it is indexed under; undefined for any; null for no relationship events. */
  readonly predicate: string | undefined | null;
  /** The event as this subscriber sees it, or undefined when it does not match. */
  match(event: StoreEvent): StoreEvent | undefined;
}

type RefTest = (ref: ResourceRef) => boolean;

function wildcardField(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined || value === ANY) return undefined;
  return checkRefField(field, value, max, false);
}

function patternTest(input: unknown, field: string): RefTest {
  if (input === undefined) return () => true;
  if (!isRecord(input)) throw invalidArgument(field, 'must be a ref or a { group?, version, kind, namespace? } pattern');
  const pattern = input as Partial<RefPattern>;
  const parts = {
    group: wildcardField(pattern.group ?? '', `${field}.group`, 253),
    version: wildcardField(pattern.version, `${field}.version`, 63),
    kind: wildcardField(pattern.kind, `${field}.kind`, 63),
    namespace: wildcardField(pattern.namespace, `${field}.namespace`, 63),
    name: wildcardField(pattern.name, `${field}.name`, 253),
  };
  return (ref) =>
    (parts.name === undefined || ref.name === parts.name) &&
    (parts.kind === undefined || ref.kind === parts.kind) &&
    (parts.namespace === undefined || ref.namespace === parts.namespace) &&
    (parts.version === undefined || ref.version === parts.version) &&
    (parts.group === undefined || ref.group === parts.group);
}

function resourceMatcher(filter: WatchFilter): (event: ResourceEvent) => ResourceEvent | undefined {
  const type = filter.type === undefined ? {} : filter.type;
  if (!isRecord(type)) throw invalidArgument('type', 'must be an object of group, version and kind');
  // With no type at all, every group; with a type, its group ("" when omitted, as everywhere).
  const group = filter.type === undefined ? undefined : wildcardField(type.group ?? '', 'type.group', 253);
  const version = wildcardField(type.version, 'type.version', 63);
  const kind = wildcardField(type.kind, 'type.kind', 63);
  const namespace = wildcardField(filter.namespace, 'namespace', 63);
  const selector: LabelSelector | undefined =
    filter.labelSelector === undefined ? undefined : parseLabelSelector(filter.labelSelector);
  const selects = selector !== undefined && selector.requirements.length > 0 ? selector : undefined;
  return (event) => {
    const ref = event.resource.ref;
    if (kind !== undefined && ref.kind !== kind) return undefined;
    if (namespace !== undefined && ref.namespace !== namespace) return undefined;
    if (version !== undefined && ref.version !== version) return undefined;
    if (group !== undefined && ref.group !== group) return undefined;
    if (selects === undefined) return event;
    const now = matchesSelector(selects, event.resource.labels);
    if (event.type !== 'update') return now ? event : undefined;
    const before = matchesSelector(selects, event.previous!.labels);
    if (now && before) return event;
    if (now) return Object.freeze({ kind: 'resource', type: 'add', revision: event.revision, resource: event.resource });
    if (before) return Object.freeze({ kind: 'resource', type: 'delete', revision: event.revision, resource: event.previous! });
    return undefined;
  };
}

/** Validates a filter; `resolvePredicate` turns a predicate name into its full name. */
export function compileFilter(filter: unknown, resolvePredicate: (name: unknown, field: string) => string): CompiledFilter {
  if (filter === undefined) filter = {};
  if (!isRecord(filter)) throw invalidArgument('filter', 'must be an object');
  const f = filter as WatchFilter;
  if (f.resources !== undefined && typeof f.resources !== 'boolean') throw invalidArgument('resources', 'must be true or false');
  const wantsResources = f.resources !== false;
  const resources = wantsResources ? resourceMatcher(f) : undefined;
  const resourceKind = wantsResources ? wildcardField(isRecord(f.type) ? f.type.kind : undefined, 'type.kind', 63) : null;

  let predicate: string | undefined | null = null;
  let relationships: ((event: RelationshipEvent) => boolean) | undefined;
  if (f.relationships !== undefined && f.relationships !== false) {
    const rf = f.relationships === true ? {} : f.relationships;
    if (!isRecord(rf)) throw invalidArgument('relationships', 'must be true or { predicate?, subject?, object? }');
    predicate = rf.predicate === undefined || rf.predicate === ANY ? undefined : resolvePredicate(rf.predicate, 'relationships.predicate');
    const subject = patternTest(rf.subject, 'relationships.subject');
    const object = patternTest(rf.object, 'relationships.object');
    const type = predicate;
    relationships = (event) =>
      (type === undefined || event.relationship.predicate.type === type) && subject(event.relationship.subject) && object(event.relationship.object);
  } else if (f.relationships !== undefined && typeof f.relationships !== 'boolean') {
    throw invalidArgument('relationships', 'must be true or { predicate?, subject?, object? }');
  }
  return {
    kind: resourceKind,
    predicate,
    match(event) {
      if (event.kind === 'resource') return resources?.(event);
      return relationships?.(event) ? event : undefined;
    },
  };
}
