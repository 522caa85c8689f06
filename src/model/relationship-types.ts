/**
 * The public types of relationships: RDF-style triples `subject --predicate--> object` between
 * resource refs, their queries, and graph traversal. Relationships the store returns are deeply
 * frozen, as resources are.
 */
import type { AnyMessage, RefInput, Resource, ResourceRef } from './types.js';

/** A predicate as callers write it: its type name and its fields (the message's JSON form). */
export interface PredicateInput {
  /** The predicate type: its protobuf full name (`resourcestore.v1.OwnerReference`), or its unambiguous short name (`OwnerReference`). */
  readonly type: string;
  readonly value?: Readonly<Record<string, unknown>>;
}

/** A relationship as callers write it. Either end may name a resource that is not stored (yet). */
export interface RelationshipInput {
  readonly subject: RefInput;
  /** A predicate by type name and fields, or an encoded protobuf Any of a registered type. */
  readonly predicate: PredicateInput | AnyMessage;
  readonly object: RefInput;
}

/** A stored relationship. */
export interface Relationship {
  readonly subject: ResourceRef;
  readonly predicate: {
    /** The protobuf full name of the predicate type. */
    readonly type: string;
    /** The predicate's fields (all of them, defaults included); null if its type is not registered in this process. */
    readonly value: Readonly<Record<string, unknown>> | null;
  };
  readonly object: ResourceRef;
  readonly createdAt: string;
  readonly updatedAt: string;
  /**
   * The name of the rule that derived it from resource content (`OwnerReference`, `ServiceSelects`,
   * ... or a rule of your own); absent for a relationship a caller wrote.
   */
  readonly derived?: string;
}

/**
 * One end of a relationship query: a full ref (with `name`; `namespace` defaults to ""), or a
 * prefix without `name`: a type, or a type in a namespace.
 */
export interface RefPattern {
  readonly group?: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** A relationship query: any combination of subject, predicate type and object. */
export interface RelationshipQuery {
  readonly subject?: RefPattern;
  /** A predicate type name (full or short). */
  readonly predicate?: string;
  readonly object?: RefPattern;
  /** At most this many relationships (1 to 1,000,000); all when absent. */
  readonly limit?: number;
  readonly continue?: string;
}

/** One page of relationships. */
export interface RelationshipPage {
  readonly items: readonly Relationship[];
  readonly revision: number;
  readonly continue?: string;
}

/** Options of a traversal. */
export interface TraverseOptions {
  /** The resource to start from (it need not be stored). */
  readonly from: RefInput;
  /** `out` follows subject to object (owner to owned, Pod to Node), `in` the reverse, `both` either. Default `out`. */
  readonly direction?: 'out' | 'in' | 'both';
  /** Only relationships of these predicate types. Default: all. */
  readonly predicates?: readonly string[];
  /** How many steps from `from` (0 to 64). Default 3. */
  readonly maxDepth?: number;
  /** The most nodes to return (1 to 100,000), `from` included. Default 1,000. */
  readonly limit?: number;
}

/** A node reached by a traversal. */
export interface GraphNode {
  readonly ref: ResourceRef;
  /** Steps from the start (0 for the start). */
  readonly depth: number;
  /** The stored resource, when there is one. */
  readonly resource?: Resource;
}

/** What a traversal returns: the nodes breadth first, the edges between them, and whether `limit` cut it. */
export interface Graph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly Relationship[];
  readonly revision: number;
  readonly truncated: boolean;
}
