/**
 * The resource codec: a resource to its stored protobuf bytes (`resourcestore.v1.Resource`) and
 * back to the deeply frozen object callers read.
 *
 * Plain JSON data travels as a `google.protobuf.Any` whose type URL is `JSON_TYPE_URL` and whose
 * value is a `JsonObject` (the JSON text), so Kubernetes manifests need no schema and come back
 * equal; any other Any is kept as its type URL and bytes. Data is packed once, when a write is
 * prepared, so its size is checked and apply can compare payloads byte for byte.
 */
import { resourcestore } from '../gen/schema.js';
import { StoreError, invalidArgument } from '../storage/errors.js';
import { longToNumber } from '../storage/number-codec.js';
import { nestsDeeperThan } from './json-text.js';
import { lazyProperty } from './lazy-property.js';
import { encodeMessage } from './message-encoder.js';
import { plainConstructor } from './plain-constructor.js';
import { refOfMessage } from './refs.js';
import type { AnyMessage, JsonObject, Resource, ResourceData, ResourceRef } from './types.js';

const pb = resourcestore.v1;

/** The type URL of JSON data. */
export const JSON_TYPE_URL = 'type.googleapis.com/resourcestore.v1.JsonObject';

/**
 * The deepest JSON data may nest objects and arrays (the data object itself is level 1). Go's
 * encoding/json, which the Kubernetes API server decodes with, stops at 10,000, but readers here
 * recurse on the stack: with Node's default stack, `structuredClone` fails near 1,900 levels and
 * `JSON.stringify` near 4,100, fewer inside a deep call. 512 is far beyond any real manifest or
 * CRD schema, and leaves every reader (JSON, structuredClone, protobuf, the server's serializer,
 * an event inside a list or a watch) room to spare.
 */
export const MAX_DATA_DEPTH = 512;

/** Data as stored: an Any's type URL and value bytes. */
export interface PackedData {
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

/** Everything a stored resource holds, with its data already packed. */
export interface ResourceRecord {
  readonly ref: ResourceRef;
  readonly uid: string;
  readonly data: PackedData;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly version: number;
  /** The store revision of the change that wrote this state. */
  readonly revision: number;
}

function isAnyMessage(data: object): data is AnyMessage {
  const candidate = data as { typeUrl?: unknown; value?: unknown };
  return typeof candidate.typeUrl === 'string' && candidate.value instanceof Uint8Array;
}

/**
 * Packs data for storage, refusing what cannot come back equal or is over `maxBytes`.
 * Plain objects become JSON; `{ typeUrl, value: Uint8Array }` is taken as a protobuf Any.
 */
export function packData(data: ResourceData | undefined, maxBytes: number): PackedData {
  let packed: PackedData;
  if (data === undefined) {
    packed = { typeUrl: JSON_TYPE_URL, value: encodeMessage(pb.JsonObject, { json: '{}' }, true) };
  } else if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw invalidArgument('data', 'must be a JSON object or a { typeUrl, value } protobuf Any');
  } else if (isAnyMessage(data)) {
    if (data.typeUrl.length === 0) throw invalidArgument('data.typeUrl', 'must not be empty');
    packed = { typeUrl: data.typeUrl, value: Uint8Array.from(data.value) };
  } else {
    let json: string;
    try {
      json = JSON.stringify(data);
    } catch (cause) {
      throw new StoreError('INVALID_ARGUMENT', `data: is not JSON-serializable: ${(cause as Error).message}`, {
        field: 'data',
        cause,
      });
    }
    if (!json.isWellFormed()) throw invalidArgument('data', 'holds a string that is not well-formed text');
    if (nestsDeeperThan(json, MAX_DATA_DEPTH)) throw invalidArgument('data', `nests objects and arrays more than ${MAX_DATA_DEPTH} levels deep`);
    packed = { typeUrl: JSON_TYPE_URL, value: encodeMessage(pb.JsonObject, { json }, true) };
  }
  if (packed.value.byteLength > maxBytes) {
    throw new StoreError('TOO_LARGE', `data: ${packed.value.byteLength} bytes, over the limit of ${maxBytes}`, {
      field: 'data',
    });
  }
  return packed;
}

/** Encodes a record as the bytes stored under its key. */
export function encodeRecord(record: ResourceRecord): Uint8Array {
  // Owned bytes: the read cache keeps a written record's bytes (message-encoder.ts).
  return encodeMessage(pb.Resource, {
    ref: record.ref,
    uid: record.uid,
    data: { type_url: record.data.typeUrl, value: record.data.value },
    labels: record.labels,
    annotations: record.annotations,
    createdAtMs: record.createdAtMs,
    updatedAtMs: record.updatedAtMs,
    version: record.version,
    revision: record.revision,
  }, true);
}


/** Decodes stored bytes into a record. Throws CORRUPTED when they are not a valid resource. */
export function decodeRecord(bytes: Uint8Array, key?: string): ResourceRecord {
  try {
    const m = pb.Resource.decode(bytes);
    const ref = m.ref;
    if (!ref || !m.data) throw new Error('record has no ref or no data');
    return {
      ref: refOfMessage(ref),
      uid: m.uid,
      data: { typeUrl: m.data.type_url ?? '', value: m.data.value ?? new Uint8Array() },
      labels: m.labels,
      annotations: m.annotations,
      createdAtMs: longToNumber(m.createdAtMs),
      updatedAtMs: longToNumber(m.updatedAtMs),
      version: longToNumber(m.version),
      revision: longToNumber(m.revision),
    };
  } catch (cause) {
    const where = key === undefined ? '' : ` at ${JSON.stringify(key)}`;
    throw new StoreError('CORRUPTED', `stored resource${where} cannot be decoded: ${(cause as Error).message}`, { cause });
  }
}

/** Freezes a freshly decoded object graph in place (objects and arrays; typed arrays are left alone). */
export function deepFreeze<T>(root: T): T {
  const stack: object[] = [];
  pushObject(stack, root);
  while (stack.length > 0) {
    const node = stack.pop() as Record<string, unknown>;
    Object.freeze(node);
    if (Array.isArray(node)) for (let i = 0; i < node.length; i++) pushObject(stack, node[i]);
    else for (const key in node) pushObject(stack, node[key]);
  }
  return root;
}

/** Pushes `value` if it is an object to freeze (a module function: a closure made per call costs a name under tsx). */
function pushObject(stack: object[], value: unknown): void {
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) stack.push(value);
}

/** The JSON text of packed JSON data (read as a Buffer, so protobufjs decodes the text natively). */
export function jsonText(data: PackedData): string {
  const { value } = data;
  return pb.JsonObject.decode(Buffer.from(value.buffer, value.byteOffset, value.byteLength)).json;
}

/** Unpacks data for callers: JSON back to an object, any other Any as a copy of its bytes. */
export function unpackData(data: PackedData): ResourceData {
  if (data.typeUrl === JSON_TYPE_URL) {
    return JSON.parse(jsonText(data)) as JsonObject;
  }
  return { typeUrl: data.typeUrl, value: Uint8Array.from(data.value) };
}

/** A resource's `data`, parsed and deeply frozen when first read. */
const lazyData = lazyProperty('data', (data: PackedData) => deepFreeze(unpackData(data)));

/**
 * The JSON text a resource's data is stored as, when the resource was made by `toResource` with
 * JSON data (parsed since or not): the text `JSON.stringify(resource.data)` makes, for a writer
 * that can send it as it is. Undefined for any other resource.
 */
export function storedJsonText(resource: Resource): string | undefined {
  const packed = lazyData.argOf(resource);
  return packed === undefined ? undefined : jsonText(packed);
}

/**
 * The resource callers read, from a record: frozen, with `data` unpacked (and deeply frozen) on
 * first access, so a write, or a list whose caller reads only refs and labels, never parses it.
 */
export function toResource(record: ResourceRecord): Resource {
  return record.data.typeUrl === JSON_TYPE_URL ? frozenResource(record, false) : toResourceWithBytes(record);
}

/**
 * The resource of a record whose data is JSON, frozen, its data parsed now and held as a plain
 * property: for a resource that is kept and read again and again (the read cache's shared one,
 * whose parsed data the cache counts), so that reading its data is a field read.
 */
export function toParsedResource(record: ResourceRecord): Resource {
  return frozenResource(record, true);
}

/** A resource's first two fields; the rest are added in order (see plain-constructor.ts for why not a literal). */
const ResourceObject = plainConstructor<[ResourceRef, string], Record<string, unknown>>(function ResourceObject(ref, uid) {
  this.ref = ref;
  this.uid = uid;
});

/** A record of JSON data as a frozen resource, its data parsed now or on first read. */
function frozenResource(record: ResourceRecord, parseNow: boolean): Resource {
  const resource = new ResourceObject(Object.freeze(record.ref), record.uid);
  if (parseNow) resource.data = deepFreeze(unpackData(record.data));
  else lazyData.define(resource, record.data);
  resource.labels = Object.freeze(record.labels);
  resource.annotations = Object.freeze(record.annotations);
  resource.createdAt = isoTime(record.createdAtMs);
  resource.updatedAt = isoTime(record.updatedAtMs);
  resource.version = record.version;
  resource.revision = record.revision;
  return Object.freeze(resource) as unknown as Resource;
}

/** The ISO texts of recent times: the writes of one batch share a time, and reads meet the same few again and again. */
const isoTexts = new Map<number, string>();

/** RFC 3339 text of a time, remembered for the last 1,024 times asked for. */
export function isoTime(ms: number): string {
  let text = isoTexts.get(ms);
  if (text === undefined) {
    if (isoTexts.size === 1024) isoTexts.clear();
    text = new Date(ms).toISOString();
    isoTexts.set(ms, text);
  }
  return text;
}

/** Resources whose data is a protobuf Any: their bytes cannot be frozen, so readers get a copy. */
const withBytes = new WeakSet<Resource>();

function toResourceWithBytes(record: ResourceRecord): Resource {
  const resource = Object.freeze({
    ref: Object.freeze(record.ref),
    uid: record.uid,
    data: Object.freeze(unpackData(record.data)),
    labels: Object.freeze(record.labels),
    annotations: Object.freeze(record.annotations),
    createdAt: isoTime(record.createdAtMs),
    updatedAt: isoTime(record.updatedAtMs),
    version: record.version,
    revision: record.revision,
  });
  withBytes.add(resource);
  return resource;
}

/** True when the resource's data is protobuf bytes (which a reader must get a copy of). */
export function holdsBytes(resource: Resource): boolean {
  return withBytes.has(resource);
}

