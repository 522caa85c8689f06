/**
 * Predicate types: the registry of protobuf message types a relationship's predicate may be,
 * and packing predicates to and from `google.protobuf.Any`. A predicate's protobuf full name is
 * its identity; its short name (the last part) may stand for it while no other registered type
 * shares that short name. The predicates of the built-in derivation rules (`OwnerReference`,
 * `PodNodeBinding`, `ServiceSelects`, `PodUses`, `ClaimBinding`, `BindsRole`, `BindsSubject`, `IngressRoutesTo`,
 * `ScalesTarget`, `TemplateUses`, `EndpointSliceTargets`) are registered in every store.
 * Any type with protobufjs's static API (a generated class, or a reflected `protobuf.Type`) can
 * be registered.
 */
import { resourcestore } from '../gen/schema.js';
import { StoreError, invalidArgument } from '../storage/errors.js';
import type { AnyMessage } from '../model/types.js';
import type { PredicateInput } from '../model/relationship-types.js';

/** A protobuf message type, as protobufjs generates or reflects it. */
export interface PredicateType {
  encode(message: never): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
  verify(message: Record<string, unknown>): string | null;
  fromObject(object: Record<string, unknown>): unknown;
  toObject(message: never, options?: Record<string, unknown>): Record<string, unknown>;
}

/** The full names of the standard predicates. */
export const OWNER_REFERENCE = 'resourcestore.v1.OwnerReference';
export const POD_NODE_BINDING = 'resourcestore.v1.PodNodeBinding';
export const SERVICE_SELECTS = 'resourcestore.v1.ServiceSelects';
export const POD_USES = 'resourcestore.v1.PodUses';
export const CLAIM_BINDING = 'resourcestore.v1.ClaimBinding';
export const BINDS_ROLE = 'resourcestore.v1.BindsRole';
export const BINDS_SUBJECT = 'resourcestore.v1.BindsSubject';
export const INGRESS_ROUTES_TO = 'resourcestore.v1.IngressRoutesTo';
export const SCALES_TARGET = 'resourcestore.v1.ScalesTarget';
export const TEMPLATE_USES = 'resourcestore.v1.TemplateUses';
export const ENDPOINT_SLICE_TARGETS = 'resourcestore.v1.EndpointSliceTargets';

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const FULL_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const TO_OBJECT = { longs: Number, enums: String, bytes: String, defaults: true };

/** A predicate ready to store: its type's full name and its encoded fields. */
export interface PackedPredicate {
  readonly type: string;
  readonly value: Uint8Array;
}

export class PredicateRegistry {
  readonly #types = new Map<string, PredicateType>();
  /** Short name to full name; null when two registered types share the short name. */
  readonly #short = new Map<string, string | null>();

  constructor() {
    this.register(OWNER_REFERENCE, resourcestore.v1.OwnerReference as unknown as PredicateType);
    this.register(POD_NODE_BINDING, resourcestore.v1.PodNodeBinding as unknown as PredicateType);
    this.register(SERVICE_SELECTS, resourcestore.v1.ServiceSelects as unknown as PredicateType);
    this.register(POD_USES, resourcestore.v1.PodUses as unknown as PredicateType);
    this.register(CLAIM_BINDING, resourcestore.v1.ClaimBinding as unknown as PredicateType);
    this.register(BINDS_ROLE, resourcestore.v1.BindsRole as unknown as PredicateType);
    this.register(BINDS_SUBJECT, resourcestore.v1.BindsSubject as unknown as PredicateType);
    this.register(INGRESS_ROUTES_TO, resourcestore.v1.IngressRoutesTo as unknown as PredicateType);
    this.register(SCALES_TARGET, resourcestore.v1.ScalesTarget as unknown as PredicateType);
    this.register(TEMPLATE_USES, resourcestore.v1.TemplateUses as unknown as PredicateType);
    this.register(ENDPOINT_SLICE_TARGETS, resourcestore.v1.EndpointSliceTargets as unknown as PredicateType);
  }

  /** Registers a predicate type under its protobuf full name (e.g. `example.v1.DependsOn`). */
  register(fullName: string, type: PredicateType): void {
    if (typeof fullName !== 'string' || !FULL_NAME.test(fullName)) {
      throw invalidArgument('predicate type', `${JSON.stringify(fullName)} is not a protobuf full name such as example.v1.DependsOn`);
    }
    for (const method of ['encode', 'decode', 'verify', 'fromObject', 'toObject'] as const) {
      if (typeof (type as unknown as Record<string, unknown>)?.[method] !== 'function') {
        throw invalidArgument('predicate type', `${fullName} has no ${method}(): pass a protobufjs message type`);
      }
    }
    const existing = this.#types.get(fullName);
    if (existing !== undefined && existing !== type) throw invalidArgument('predicate type', `${fullName} is already registered`);
    this.#types.set(fullName, type);
    const short = fullName.slice(fullName.lastIndexOf('.') + 1);
    const claimed = this.#short.get(short);
    this.#short.set(short, claimed === undefined || claimed === fullName ? fullName : null);
  }

  /** The full name a type name (full, or short and unambiguous) stands for. */
  resolve(name: unknown, field = 'predicate'): string {
    if (typeof name !== 'string' || name.length === 0) throw invalidArgument(field, 'must name a predicate type');
    if (this.#types.has(name)) return name;
    const full = this.#short.get(name);
    if (full === null) throw invalidArgument(field, `${name} is ambiguous: more than one registered type has that name; use the full name`);
    if (full === undefined) throw invalidArgument(field, `${name} is not a registered predicate type`);
    return full;
  }

  /** Validates and encodes a predicate. */
  pack(input: PredicateInput | AnyMessage, field = 'predicate'): PackedPredicate {
    if (typeof input !== 'object' || input === null) throw invalidArgument(field, 'must be { type, value } or a protobuf Any');
    if ('typeUrl' in input && input.value instanceof Uint8Array) {
      if (!input.typeUrl.startsWith(TYPE_URL_PREFIX)) throw invalidArgument(`${field}.typeUrl`, `must start with ${TYPE_URL_PREFIX}`);
      const type = this.resolve(input.typeUrl.slice(TYPE_URL_PREFIX.length), `${field}.typeUrl`);
      const value = Uint8Array.from(input.value);
      try {
        this.#types.get(type)!.decode(value);
      } catch (cause) {
        throw new StoreError('INVALID_ARGUMENT', `${field}.value: is not a valid ${type}: ${(cause as Error).message}`, { field: `${field}.value`, cause });
      }
      return { type, value };
    }
    const { type: name, value = {} } = input as PredicateInput;
    const type = this.resolve(name, `${field}.type`);
    const codec = this.#types.get(type)!;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgument(`${field}.value`, 'must be an object');
    const problem = codec.verify(value as Record<string, unknown>);
    if (problem) throw invalidArgument(`${field}.value`, `${type}: ${problem}`);
    const message = codec.fromObject(value as Record<string, unknown>);
    const known = codec.toObject(message as never, TO_OBJECT);
    const unknown = Object.keys(value).find((key) => !(key in known));
    if (unknown !== undefined) throw invalidArgument(`${field}.value`, `${type} has no field ${JSON.stringify(unknown)}`);
    return { type, value: codec.encode(message as never).finish() };
  }

  /** The type URL a packed predicate is stored under. */
  typeUrl(type: string): string {
    return TYPE_URL_PREFIX + type;
  }

  /** The full type name a stored type URL names. */
  typeName(typeUrl: string): string {
    return typeUrl.startsWith(TYPE_URL_PREFIX) ? typeUrl.slice(TYPE_URL_PREFIX.length) : typeUrl;
  }

  /** A stored predicate for callers: its full name and fields (null when the type is not registered here). */
  unpack(typeUrl: string, bytes: Uint8Array): { type: string; value: Record<string, unknown> | null } {
    const type = this.typeName(typeUrl);
    const codec = this.#types.get(type);
    if (codec === undefined) return { type, value: null };
    return { type, value: codec.toObject(codec.decode(bytes) as never, TO_OBJECT) };
  }
}
