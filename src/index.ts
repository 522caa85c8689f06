/**
 * resource-store: an embeddable, event-driven store for Kubernetes-style resources and their
 * relationships. This file is the package's public surface; everything else is internal.
 */
export { openStore, DEFAULT_MAX_DATA_BYTES } from './store/open-store.js';
export type { StoreOptions } from './store/open-store.js';
export { ResourceStore, MAX_LIST_LIMIT } from './store/resource-store.js';
export { OWNER_REFERENCE, POD_NODE_BINDING } from './relations/predicates.js';
export type { PredicateType } from './relations/predicates.js';
export type {
  Graph,
  GraphNode,
  PredicateInput,
  RefPattern,
  Relationship,
  RelationshipInput,
  RelationshipPage,
  RelationshipQuery,
  TraverseOptions,
} from './model/relationship-types.js';
export type { CacheOptions } from './store/read-cache.js';
export { StoreError, isStoreError, ERROR_CODES } from './storage/errors.js';
export type { ErrorCode, StoreErrorDetails } from './storage/errors.js';
export { JSON_TYPE_URL } from './model/resource-codec.js';
export { concatMapBounded } from './events/concat-map-bounded.js';
export { EVENT_TYPES } from './events/types.js';
export type {
  EventType,
  RelationshipEvent,
  RelationshipFilter,
  ResourceEvent,
  StoreEvent,
  WatchFilter,
  WatchOptions,
} from './events/types.js';
export type { RetentionOptions } from './events/change-log.js';
export type { VerifyReport, Finding } from './integrity/verify.js';
export type { StoreStats } from './integrity/stats.js';
export type { WatchIterator } from './events/event-streams.js';
export { parseLabelSelector, matchesSelector } from './indices/label-selector.js';
export type { LabelSelector, Requirement, SetRequirement } from './indices/label-selector.js';
export type { BatchOperation, BatchResult, DeleteOptions, ListQuery, ListResult } from './store/types.js';
export type { AnyMessage, JsonObject, RefInput, Resource, ResourceData, ResourceInput, ResourceRef, TypeDescriptor } from './model/types.js';
