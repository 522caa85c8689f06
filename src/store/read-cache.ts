/**
 * The read cache: stored resources by key, as the bytes stored for them and the record decoded
 * from those bytes, whose data stays packed. It never holds decoded data: each read builds its
 * own frozen resource from the record, which parses the data only if the caller reads it and
 * keeps it no longer than the caller keeps that resource. So what the cache holds is what it
 * counts: about twice each resource's encoded size (the bytes, plus the ref, labels and
 * annotations decoded beside them).
 *
 * Bounded by entries and by those bytes, least recently used out first. The store writes through
 * it when a write commits and drops an entry when its resource is deleted, so a hit is always the
 * latest committed state. The bytes let a list reuse a cached record whose stored bytes it just
 * read, and let a write name the exact value it expects as its precondition.
 */
import { LRUCache } from 'lru-cache';
import type { ResourceRecord } from '../model/resource-codec.js';

/** Bounds of the read cache. */
export interface CacheOptions {
  /** Most resources held; 0 turns the cache off. Default 10,000. */
  readonly maxEntries?: number;
  /** Most bytes held, approximately (twice each resource's encoded size). Default 64 MiB. */
  readonly maxBytes?: number;
}

/** A stored resource: its bytes, and the record decoded from them (data still packed). */
export interface StoredResource {
  readonly record: ResourceRecord;
  readonly bytes: Uint8Array;
}

export const DEFAULT_CACHE_ENTRIES = 10_000;
export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

export class ReadCache {
  readonly #lru: LRUCache<string, StoredResource> | undefined;

  constructor(options: CacheOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
    if (max > 0) {
      this.#lru = new LRUCache({
        max,
        maxSize: options.maxBytes ?? DEFAULT_CACHE_BYTES,
        sizeCalculation: (entry) => Math.max(1, entry.bytes.byteLength * 2),
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

  set(key: string, entry: StoredResource): void {
    this.#lru?.set(key, entry);
  }

  delete(key: string): void {
    this.#lru?.delete(key);
  }

  get size(): number {
    return this.#lru?.size ?? 0;
  }
}
