/**
 * The resource model: refs, and resources as callers write and read them.
 *
 * Resources the store returns are deeply frozen: they are shared with the read cache, so a
 * caller that wants to change one copies it first (`structuredClone(resource)`), and nothing a
 * caller does to a returned object can reach the store.
 */
/** Identifies a resource. `group` "" is the Kubernetes core group; `namespace` "" is cluster-scoped. */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** A ref as callers may write it: `group` and `namespace` default to "". */
export interface RefInput {
  readonly group?: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** A resource type: what `list` and subscriptions select on. `group` defaults to "". */
export interface TypeDescriptor {
  readonly group?: string;
  readonly version: string;
  readonly kind: string;
}

/** A JSON object, such as a Kubernetes manifest, stored as it is. */
export type JsonObject = { readonly [key: string]: unknown };

/** A protobuf message packed as `google.protobuf.Any`: its type URL and encoded bytes. */
export interface AnyMessage {
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

/** A resource's payload: a plain JSON object, or any protobuf message as an `AnyMessage`. */
export type ResourceData = JsonObject | AnyMessage;

/** What callers pass to `add`, `update` and `apply`. */
export interface ResourceInput {
  readonly ref: RefInput;
  /** Assigned (a random UUID) on add when absent; when given to update/apply it must match. */
  readonly uid?: string;
  /** Defaults to `{}`. */
  readonly data?: ResourceData;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * The version the caller last read. `update` and `apply` fail with CONFLICT when the stored
   * version differs; when absent, they write whatever is stored.
   */
  readonly version?: number;
}

/** A stored resource, as the store returns it (deeply frozen). */
export interface Resource {
  readonly ref: ResourceRef;
  readonly uid: string;
  readonly data: ResourceData;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** RFC 3339 time with milliseconds, e.g. `2026-11-24T22:11:05.123Z`. */
  readonly createdAt: string;
  readonly updatedAt: string;
  /** 1 on add, +1 on each update. */
  readonly version: number;
  /**
   * The store revision of the change that wrote this state (what Kubernetes calls the object's
   * `resourceVersion`): a list's revision is never below any of its items', and a watch from a
   * resource's revision delivers every later change to it.
   */
  readonly revision: number;
}
