/**
 * Reading the whole key space at one instant: what `verify` and `stats` read, as an engine (a
 * data directory no process writes) or as an engine seen through one snapshot (a store in use,
 * whose writers would otherwise make a check compare keys read at different instants).
 */
import type { Engine, EngineSnapshot, ScanOptions } from './engine.js';

/** The reads of an engine that verify and stats make; an Engine is one, and so is `readerAt`'s view. */
export interface EngineReader {
  /** The revision the reads see. */
  readonly revision: number;
  get(key: string): Promise<Uint8Array | undefined>;
  getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>>;
  scan(options: Omit<ScanOptions, 'snapshot'>): AsyncIterable<ReadonlyArray<readonly [string, Uint8Array]>>;
  scanKeys(options: Omit<ScanOptions, 'snapshot'>): AsyncIterable<readonly string[]>;
  counter(name: string): number;
  counters(): ReadonlyMap<string, number>;
  storageBytes(): Promise<number>;
}

/** The engine as of `snapshot`: every read sees the same instant, whatever writers do meanwhile. */
export async function readerAt(engine: Engine, snapshot: EngineSnapshot): Promise<EngineReader> {
  const [revision, counters] = await Promise.all([engine.revisionAt(snapshot), engine.countersAt(snapshot)]);
  return {
    revision,
    get: (key) => engine.get(key, snapshot),
    getMany: (keys) => engine.getMany(keys, snapshot),
    scan: (options) => engine.scan({ ...options, snapshot }),
    scanKeys: (options) => engine.scanKeys({ ...options, snapshot }),
    counter: (name) => counters.get(name) ?? 0,
    counters: () => counters,
    storageBytes: () => engine.storageBytes(),
  };
}
