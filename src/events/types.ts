/**
 * The public types of the event stream: what a change looks like to a subscriber, how
 * subscribers choose the changes they get, and the options of a subscription.
 *
 * Every event carries the store revision of its change. The resync contract, as Kubernetes
 * informers keep it: `list` returns the revision it is consistent with; `subscribe`/`watch` from
 * that revision deliver every later change, in order, once. A stream that ends with OVERFLOW or
 * CLOSED carries (in `details.revision`) the last revision it delivered: watch again from it. A
 * watch from a compacted revision fails with COMPACTED: list again, and watch from the new list's
 * revision.
 */
import type { Relationship, RefPattern } from '../model/relationship-types.js';
import type { Resource } from '../model/types.js';

/** The kinds of change, as const + literal type. */
export const EVENT_TYPES = { add: 'add', update: 'update', delete: 'delete' } as const;
export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

/** A change to a resource. */
export interface ResourceEvent {
  readonly kind: 'resource';
  /**
   * `add`, `update` or `delete`. With a label selector, an update that makes a resource match
   * arrives as `add` (carrying the new state) and one that makes it stop matching as `delete`
   * (carrying the last state that matched), as Kubernetes watches do, so a cache built from the
   * events holds exactly what matches.
   */
  readonly type: EventType;
  readonly revision: number;
  /** The new state; for a delete, the last state. */
  readonly resource: Resource;
  /** For an update: the state before it. */
  readonly previous?: Resource;
}

/** A change to a relationship (adding a triple that exists is an update of its payload). */
export interface RelationshipEvent {
  readonly kind: 'relationship';
  readonly type: EventType;
  readonly revision: number;
  readonly relationship: Relationship;
  readonly previous?: Relationship;
}

export type StoreEvent = ResourceEvent | RelationshipEvent;

/** Which relationship events a subscriber gets. */
export interface RelationshipFilter {
  /** A predicate type name (full or short); all when absent. */
  readonly predicate?: string;
  /** Subject and object patterns: fields as in `type` (omitted or `*` match any, `group` defaults to ""), plus `namespace` and `name`. */
  readonly subject?: RefPattern;
  readonly object?: RefPattern;
}

/**
 * Which changes a subscriber gets. With no fields: every resource change, no relationship change.
 *
 * @example { type: { version: 'v1', kind: 'Pod' }, namespace: 'web' }   // every change to Pods in web
 */
export interface WatchFilter {
  /**
   * Resource type. `version` and `kind` match any when omitted or `*`; `group` is the core group ""
   * when omitted, any when `*` (e.g. `{ group: '*', kind: 'Deployment' }`).
   */
  readonly type?: { readonly group?: string; readonly version?: string; readonly kind?: string };
  /** Namespace ("" for cluster-scoped); omitted or `*` for any. */
  readonly namespace?: string;
  /** A Kubernetes label selector over resource labels. */
  readonly labelSelector?: string;
  /** Set to false for no resource events. Default true. */
  readonly resources?: boolean;
  /** Relationship events: `true` for all, or a filter. Default none. */
  readonly relationships?: boolean | RelationshipFilter;
}

/** Options of `subscribe` and `watch`. */
export interface WatchOptions {
  /**
   * The revision the subscriber has seen (a list's `revision`, the last event's `revision`):
   * events after it are replayed from the change log, then live ones follow, with no gap and no
   * duplicate. Absent: live events from now on.
   */
  readonly fromRevision?: number;
  /**
   * Most live events held for this subscriber while it does not keep up. Past it the stream ends
   * with OVERFLOW, whose `details.revision` is the last event delivered. While the stream is still
   * replaying the change log it never overflows: the live events past the bound are read from the
   * log instead. Default 10,000.
   */
  readonly bufferSize?: number;
}
