/**
 * The read cache: decoded, frozen resources by key, with the stored bytes they came from.
 *
 * Bounded by entries and by approximate bytes (twice the encoded size, for the decoded object
 * beside the bytes), least recently used out first. The store writes through it when a write
 * commits and drops an entry when its resource is deleted, so a hit is always the latest
 * committed state. The bytes let a list reuse a cached resource whose stored bytes it just read,
 * and let a write name the exact value it expects as its precondition.
 */
import { LRUCache } from 'lru-cache';
import type { Resource } from './types.js';

/** Bounds of the read cache. */
export interface CacheOptions {
  /** Most resources held; 0 turns the cache off. Default 10,000. */
  readonly maxEntries?: number;
  /** Most bytes held, approximately (twice each resource's encoded size). Default 64 MiB. */
  readonly maxBytes?: number;
}

/** A cached resource and the bytes stored for it. */
export interface CachedResource {
  readonly resource: Resource;
  readonly bytes: Uint8Array;
}

export const DEFAULT_CACHE_ENTRIES = 10_000;
export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

export class ReadCache {
  readonly #lru: LRUCache<string, CachedResource> | undefined;

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

  get(key: string): CachedResource | undefined {
    return this.#lru?.get(key);
  }

  /** A cached entry without touching its recency (for lists, which should not flush the cache). */
  peek(key: string): CachedResource | undefined {
    return this.#lru?.peek(key);
  }

  set(key: string, entry: CachedResource): void {
    this.#lru?.set(key, entry);
  }

  delete(key: string): void {
    this.#lru?.delete(key);
  }

  get size(): number {
    return this.#lru?.size ?? 0;
  }
}
