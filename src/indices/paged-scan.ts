/**
 * Paged prefix scans: runs a list of scans in order, from a continue position, within one
 * snapshot, until a page is full. A scan reads entries directly, or (with `resolve`) reads index
 * keys and fetches the entries they point at, in batches no larger than the page still needs.
 * `load` turns each entry into an item, or skips it; the caller's test lives there, so entries
 * are decoded only as far as the test needs.
 */
import type { ContinuePosition } from './continue-token.js';
import type { Engine, EngineSnapshot } from '../storage/engine.js';
import { prefixRange } from '../storage/key-codec.js';

/** One prefix scan. */
export interface Scan {
  readonly prefix: string;
  /** For an index scan: the key of the entry an index key points at. */
  readonly resolve?: (indexKey: string) => string;
}

/** What a page needs besides its scans. */
export interface PageRequest<T> {
  readonly engine: Engine;
  readonly snapshot: EngineSnapshot;
  readonly limit: number | undefined;
  readonly from: ContinuePosition | undefined;
  /** The item for an entry, or undefined to skip it. */
  readonly load: (key: string, bytes: Uint8Array) => T | undefined;
}

const MAX_READ_AHEAD = 1024 * 1024;

/** One page: its items, and where the next page starts when there may be more. */
export async function readPage<T>(scans: readonly Scan[], request: PageRequest<T>): Promise<{ items: T[]; next?: ContinuePosition }> {
  const { engine, snapshot, limit, from, load } = request;
  const items: T[] = [];
  const full = (): boolean => limit !== undefined && items.length === limit;
  const readAheadBytes = limit === undefined ? MAX_READ_AHEAD : Math.min(MAX_READ_AHEAD, Math.max(16 * 1024, limit * 1024));
  const firstScan = from?.scan ?? 0;

  for (let s = firstScan; s < scans.length; s++) {
    const scan = scans[s]!;
    const range = prefixRange(scan.prefix);
    const start = s === firstScan && from && from.after !== '' ? { gt: from.after } : { gte: range.gte };
    const options = { ...start, lt: range.lt, snapshot, readAheadBytes };
    let last = '';
    const resolve = scan.resolve;
    if (resolve === undefined) {
      for await (const chunk of engine.scan(options)) {
        for (const [key, bytes] of chunk) {
          if (full()) return { items, next: { scan: s, after: last } };
          last = key;
          const item = load(key, bytes);
          if (item !== undefined) items.push(item);
        }
      }
    } else {
      for await (const chunk of engine.scanKeys(options)) {
        for (let offset = 0; offset < chunk.length; ) {
          if (full()) return { items, next: { scan: s, after: last } };
          const size = limit === undefined ? chunk.length : Math.max(8, limit - items.length);
          const indexKeys = chunk.slice(offset, offset + size);
          offset += indexKeys.length;
          const keys = indexKeys.map(resolve);
          const values = await engine.getMany(keys, snapshot);
          for (let i = 0; i < indexKeys.length; i++) {
            if (full()) return { items, next: { scan: s, after: last } };
            last = indexKeys[i]!;
            const bytes = values[i];
            // An index entry whose target is gone can only come from damage; `verify` reports it.
            const item = bytes === undefined ? undefined : load(keys[i]!, bytes);
            if (item !== undefined) items.push(item);
          }
        }
      }
    }
    if (full() && s < scans.length - 1) return { items, next: { scan: s + 1, after: '' } };
  }
  return { items };
}
