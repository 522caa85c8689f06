/**
 * The read cache: stored resources by key, as the bytes stored for them and the record decoded
 * from those bytes, whose data stays packed. Each `get` builds its own frozen resource from the
 * record, which parses the data only if the caller reads it and keeps it no longer than the
 * caller keeps that resource. The synchronous cached read (`resource`, the store's `getCached`)
 * instead keeps one frozen resource per entry, its data parsed when it is built, and counts it:
 * callers that read the same resources again and again (a controller's reconcile loop) share
 * it, as an informer's cache shares its objects; read by a frozen ref the caller holds, it goes
 * straight to the entry that ref found last while the cache still holds that entry. So what the
 * cache holds is what it counts: about twice each resource's encoded size (the bytes, plus the
 * ref, labels and annotations decoded beside them), and for a resource read through `resource`,
 * about four times its data's encoded size more (V8 objects of parsed JSON).
 *
 * Bounded by entries and by those bytes, least recently used out first. The store writes through
 * it when a write commits and drops an entry when its resource is deleted, so a hit is always the
 * latest committed state. The bytes let a list reuse a cached record whose stored bytes it just
 * read, and let a write name the exact value it expects as its precondition.
 */
import { LRUCache } from 'lru-cache';
import { decodeRecord, JSON_TYPE_URL, toParsedResource, toResource, type ResourceRecord } from '../model/resource-codec.js';
import type { Resource } from '../model/types.js';
import type { RelationCacheOptions } from '../relations/relation-cache.js';

/** Bounds of the read cache, and of the relationship cache beside it. */
export interface CacheOptions {
  /** Most resources held; 0 turns the cache off. Default 10,000. */
  readonly maxEntries?: number;
  /** Most bytes held, approximately (twice each resource's encoded size). Default 64 MiB. */
  readonly maxBytes?: number;
  /** The relationship cache (relations/relation-cache.ts): default 10,000 query answers and about 32 MiB. */
  readonly relationships?: RelationCacheOptions;
}

/** A stored resource: its bytes, and the record decoded from them (data still packed). */
export interface StoredResource {
  readonly record: ResourceRecord;
  readonly bytes: Uint8Array;
  /** The frozen resource the synchronous cached read built from the record, data parsed. */
  readonly resource?: Resource;
}

/**
 * A stored resource whose record is decoded from its bytes when it is first read: what a write
 * puts in the cache costs no decode until someone reads it (an ingest, never). Its data is then
 * a view of the bytes, as for a resource read from the engine.
 */
export function decodedOnRead(bytes: Uint8Array, key: string): StoredResource {
  return new DecodedOnRead(bytes, key);
}

/**
 * One object per entry. An object literal with a getter made four: the object, the getter's
 * closure, its context and the accessor pair. A written resource's entry lives as long as the
 * cache holds it, so each of them was moved to the old generation, for a full collection to sweep.
 */
class DecodedOnRead implements StoredResource {
  #record: ResourceRecord | undefined;

  constructor(
    readonly bytes: Uint8Array,
    private readonly key: string,
  ) {}

  get record(): ResourceRecord {
    return (this.#record ??= decodeRecord(this.bytes, this.key));
  }
}

/**
 * `bytes`, or when they are a slice of a larger buffer, a copy that owns its own: what the cache
 * keeps must not keep more. LevelDB's values are copies already; node-postgres cuts small bytea
 * values from Node's shared 8 KiB slabs, and a cached record would keep its whole slab alive.
 * Copy before decoding, since a decoded record's data is a view of its bytes.
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength === bytes.buffer.byteLength) return bytes;
  const owned = Buffer.allocUnsafeSlow(bytes.byteLength);
  owned.set(bytes);
  return owned;
}

/** What parsed JSON data costs in V8 objects, per byte of its encoded text (an estimate the bound counts). */
const PARSED_BYTES_PER_BYTE = 4;

function entrySize(entry: StoredResource): number {
  const parsed = entry.resource === undefined ? 0 : entry.record.data.value.byteLength * PARSED_BYTES_PER_BYTE;
  return Math.max(1, entry.bytes.byteLength * 2 + parsed);
}

export const DEFAULT_CACHE_ENTRIES = 10_000;
export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * An entry as the cache holds it, marked superseded when the cache lets go of it. The mark only
 * ever sends a read the slow way (an entry set again after it was let go stays marked), so it is
 * never wrong to trust an unmarked entry.
 */
type Held = StoredResource & { superseded?: true };

export class ReadCache {
  readonly #lru: LRUCache<string, Held> | undefined;
  /** For each frozen ref read through `resourceOf`, the entry it found last. */
  readonly #lastFound = new WeakMap<object, Held>();
  #quickReads = 0;

  constructor(options: CacheOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
    if (max > 0) {
      this.#lru = new LRUCache<string, Held>({
        max,
        maxSize: options.maxBytes ?? DEFAULT_CACHE_BYTES,
        sizeCalculation: entrySize,
        dispose: (entry) => {
          entry.superseded = true;
        },
      });
    }
  }

  get(key: string): StoredResource | undefined {
    return this.#lru?.get(key);
  }

  /** A cached entry without touching its recency (for lists, which should not flush the cache). */
  peek(key: string): StoredResource | undefined {
    return this.#lru?.peek(key);
  }

  /**
   * The cached resource at `key`, frozen, its data parsed, shared by every caller until the entry
   * changes; undefined when the key is not cached. Marks the entry used.
   */
  resource(key: string): Resource | undefined {
    const entry = this.#withResource(key);
    // Data that is not JSON (a protobuf Any) holds bytes a caller could change: each read gets its own.
    return entry === undefined ? undefined : (entry.resource ?? toResource(entry.record));
  }

  /**
   * `resource` for a ref a caller holds and reads through again and again (a controller holds the
   * refs of the resources it lists or watches): for a frozen ref, the entry found last is kept, and
   * while it is still the cached entry of its key (the cache marks an entry superseded when it
   * replaces, deletes or evicts it) it is returned with no lookup by key. One such read in 16 also
   * marks the entry used, so that what is read only this way still stays cached.
   */
  resourceOf<R extends object>(ref: R, keyOf: (ref: R) => string): Resource | undefined {
    const last = this.#lastFound.get(ref);
    if (last !== undefined && last.superseded !== true) {
      if ((++this.#quickReads & 15) === 0) this.#lru!.get(keyOf(ref));
      return last.resource;
    }
    const entry = this.#withResource(keyOf(ref));
    if (entry === undefined) return undefined;
    if (entry.resource === undefined) return toResource(entry.record);
    if (Object.isFrozen(ref)) this.#lastFound.set(ref, entry);
    return entry.resource;
  }

  /** The entry at `key`, with its shared resource built and counted when its data is JSON. */
  #withResource(key: string): Held | undefined {
    const entry = this.#lru?.get(key);
    if (entry === undefined || entry.resource !== undefined || entry.record.data.typeUrl !== JSON_TYPE_URL) return entry;
    const resource = toParsedResource(entry.record); // parsed now, while the entry is counted with it
    // A new entry, so the cache counts it again, parsed data and all (it does not recount a value set again).
    const built: Held = { record: entry.record, bytes: entry.bytes, resource };
    this.#lru!.set(key, built);
    return built;
  }

  /** Caches `entry` at `key`; the entry it replaces, if another object, is marked superseded. */
  set(key: string, entry: StoredResource): void {
    this.#lru?.set(key, entry);
  }

  delete(key: string): void {
    this.#lru?.delete(key);
  }

  /** Drops every entry (each marked superseded, so no ref that found one reads it again). */
  clear(): void {
    this.#lru?.clear();
  }

  get size(): number {
    return this.#lru?.size ?? 0;
  }
}
