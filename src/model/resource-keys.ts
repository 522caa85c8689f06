/**
 * Where resources live in the key space: `/res/{group}/{version}/{kind}/{namespace}/{name}`.
 *
 * The primary key doubles as the type and type + namespace index: a prefix scan of
 * `/res/{group}/{version}/{kind}/` lists a type and `/res/.../{kind}/{namespace}/` a type in one
 * namespace, reading the values directly, in namespace then name order. The per-type counters
 * that `resourcestore_resources_total` reports after a reopen are named here too.
 */
import { RESOURCE_SECTION } from '../storage/key-catalogue.js';
import { encodeKey } from '../storage/key-codec.js';
import type { ResourceRef, TypeDescriptor } from './types.js';

/** The key a resource is stored under. */
export function resourceKey(ref: ResourceRef): string {
  return encodeKey(RESOURCE_SECTION, ref.group, ref.version, ref.kind, ref.namespace, ref.name);
}

/** The prefix of every resource of a type, or of a type in one namespace. */
export function typePrefix(type: Required<TypeDescriptor>, namespace?: string): string {
  return namespace === undefined
    ? encodeKey(RESOURCE_SECTION, type.group, type.version, type.kind)
    : encodeKey(RESOURCE_SECTION, type.group, type.version, type.kind, namespace);
}

/** The prefix of every resource. */
export const ALL_RESOURCES_PREFIX = encodeKey(RESOURCE_SECTION);

/** The name of the engine counter that counts the resources of a type. */
export function typeCounterName(ref: Required<TypeDescriptor>): string {
  return JSON.stringify(['resources', ref.group, ref.version, ref.kind]);
}

/** The type a counter name counts, or undefined for a counter that is not a type count. */
export function typeOfCounter(name: string): Required<TypeDescriptor> | undefined {
  const parsed: unknown = JSON.parse(name);
  if (!Array.isArray(parsed) || parsed[0] !== 'resources' || parsed.length !== 4) return undefined;
  const [, group, version, kind] = parsed as string[];
  return { group: group!, version: version!, kind: kind! };
}
