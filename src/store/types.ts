/**
 * The types of the store's own calls: delete preconditions, batch operations and their results,
 * list queries and their pages.
 */
import type { Relationship, RelationshipInput } from '../model/relationship-types.js';
import type { RefInput, Resource, ResourceInput, TypeDescriptor } from '../model/types.js';

/** Preconditions for `delete`. */
export interface DeleteOptions {
  /** Fail with CONFLICT unless the stored version is this one. */
  readonly version?: number;
  /** Fail with CONFLICT unless the stored uid is this one. */
  readonly uid?: string;
}

/** One operation of a `batch`: a resource write, or adding (`relate`) or deleting (`unrelate`) a relationship. */
export type BatchOperation =
  | { readonly op: 'add'; readonly resource: ResourceInput }
  | { readonly op: 'update'; readonly resource: ResourceInput }
  | { readonly op: 'apply'; readonly resource: ResourceInput }
  | { readonly op: 'delete'; readonly ref: RefInput; readonly version?: number; readonly uid?: string }
  | { readonly op: 'relate'; readonly relationship: RelationshipInput }
  | { readonly op: 'unrelate'; readonly relationship: RelationshipInput; readonly ignoreMissing?: boolean };

/** What one batch operation returns: a resource, a relationship, or undefined (an `unrelate` that found nothing to delete). */
export type BatchResult = Resource | Relationship | undefined;

/** A `list` query. Every field is optional; with none, `list` pages through every resource. */
export interface ListQuery {
  /** Only resources of this type. */
  readonly type?: TypeDescriptor;
  /** Only resources in this namespace ("" for cluster-scoped ones). */
  readonly namespace?: string;
  /** A Kubernetes label selector, e.g. `app=web,tier!=db,env in (a,b),!legacy`. */
  readonly labelSelector?: string;
  /** At most this many items (1 to 1,000,000); all of them when absent. */
  readonly limit?: number;
  /** The `continue` token of the previous page of the same query. */
  readonly continue?: string;
}

/** One page of a `list`. */
export interface ListResult {
  readonly items: readonly Resource[];
  /** The store revision this page is consistent with: every change up to it, none after it. */
  readonly revision: number;
  /** Pass it back as `continue` for the next page; absent on the last page. */
  readonly continue?: string;
}
