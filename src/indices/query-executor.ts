/**
 * Runs a query plan against the engine: its scans in order, from a continue position, within one
 * snapshot, until the page is full. Primary scans read resources directly; index scans read
 * entry keys and fetch the resources they name in chunks. Candidates are decoded only as far as
 * the query's test needs (ref and labels) before the full resource is built.
 */
import type { Engine, EngineSnapshot } from '../store/engine.js';
import { prefixRange } from '../store/key-codec.js';
import { resourceKey } from '../store/resource-keys.js';
import type { Resource, ResourceRef } from '../store/types.js';
import type { ContinuePosition } from './continue-token.js';
import { refOfIndexKey } from './index-keys.js';
import type { QueryPlan } from './query-planner.js';

/** Decodes a candidate and returns it as a resource when `accept` takes its ref and labels. */
export type CandidateLoader = (
  key: string,
  bytes: Uint8Array,
  accept: (ref: ResourceRef, labels: Readonly<Record<string, string>>) => boolean,
) => Resource | undefined;

/** What a page needs besides the plan. */
export interface PageRequest {
  readonly engine: Engine;
  readonly snapshot: EngineSnapshot;
  readonly limit: number | undefined;
  readonly from: ContinuePosition | undefined;
  readonly load: CandidateLoader;
  readonly accept: (ref: ResourceRef, labels: Readonly<Record<string, string>>) => boolean;
}

const MAX_READ_AHEAD = 1024 * 1024;

/** One page: its items, and where the next page starts when there may be more. */
export async function readPage(plan: QueryPlan, request: PageRequest): Promise<{ items: Resource[]; next?: ContinuePosition }> {
  const { engine, snapshot, limit, from, load, accept } = request;
  const items: Resource[] = [];
  const readAheadBytes = limit === undefined ? MAX_READ_AHEAD : Math.min(MAX_READ_AHEAD, Math.max(16 * 1024, limit * 1024));
  const firstScan = from?.scan ?? 0;

  for (let s = firstScan; s < plan.scans.length; s++) {
    const scan = plan.scans[s]!;
    const range = prefixRange(scan.prefix);
    const start = s === firstScan && from && from.after !== '' ? { gt: from.after } : { gte: range.gte };
    const options = { ...start, lt: range.lt, snapshot, readAheadBytes };
    let last: string | undefined;
    if (scan.source === 'primary') {
      for await (const chunk of engine.scan(options)) {
        for (const [key, bytes] of chunk) {
          if (limit !== undefined && items.length === limit) return { items, next: { scan: s, after: last! } };
          last = key;
          const resource = load(key, bytes, accept);
          if (resource) items.push(resource);
        }
      }
    } else {
      for await (const chunk of engine.scanKeys(options)) {
        // Fetch the resources in batches no larger than the page still needs.
        for (let offset = 0; offset < chunk.length; ) {
          if (limit !== undefined && items.length === limit) return { items, next: { scan: s, after: last! } };
          const size = limit === undefined ? chunk.length : Math.max(8, limit - items.length);
          const entries = chunk.slice(offset, offset + size);
          offset += entries.length;
          const keys = entries.map((indexKey) => resourceKey(refOfIndexKey(indexKey)));
          const values = await engine.getMany(keys, snapshot);
          for (let i = 0; i < entries.length; i++) {
            if (limit !== undefined && items.length === limit) return { items, next: { scan: s, after: last! } };
            last = entries[i]!;
            const bytes = values[i];
            // An entry whose resource is gone can only come from damage; `verify` reports it.
            const resource = bytes === undefined ? undefined : load(keys[i]!, bytes, accept);
            if (resource) items.push(resource);
          }
        }
      }
    }
    if (limit !== undefined && items.length === limit && s < plan.scans.length - 1) {
      return { items, next: { scan: s + 1, after: '' } };
    }
  }
  return { items };
}
