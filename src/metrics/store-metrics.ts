/**
 * The store's Prometheus metrics, on a registry the caller passes (a private one otherwise;
 * never prom-client's global registry):
 * - `resourcestore_resources_total{group,version,kind}`: from the engine's persisted per-type
 *   counters, so it is right straight after a reopen, without a scan;
 * - `resourcestore_storage_bytes`: the engine's data size (files on disk, or bytes in memory);
 * - `resourcestore_operation_duration_seconds{operation}`: a histogram per public operation;
 * - `resourcestore_cache_hits_total` and `resourcestore_cache_misses_total`: the read cache.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine } from '../store/engine.js';
import { typeOfCounter } from '../store/resource-keys.js';

/** The public operations whose latency is measured. */
export type Operation =
  | 'add'
  | 'get'
  | 'update'
  | 'apply'
  | 'delete'
  | 'list'
  | 'batch'
  | 'addRelationships'
  | 'deleteRelationships'
  | 'getRelationships'
  | 'traverse';

export class StoreMetrics {
  readonly registry: Registry;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly #duration: Histogram<'operation'>;

  constructor(engine: Engine, registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    new Gauge({
      name: 'resourcestore_resources_total',
      help: 'Resources stored, by group, version and kind.',
      labelNames: ['group', 'version', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const [name, count] of engine.counters()) {
          const type = typeOfCounter(name);
          if (type) this.set(type, count);
        }
      },
    });
    new Gauge({
      name: 'resourcestore_storage_bytes',
      help: 'Bytes the stored data takes: the data files on disk, or keys and values in memory.',
      registers,
      async collect() {
        this.set(await engine.storageBytes());
      },
    });
    this.#duration = new Histogram({
      name: 'resourcestore_operation_duration_seconds',
      help: 'Latency of store operations, by operation.',
      labelNames: ['operation'],
      buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    });
    this.cacheHits = new Counter({ name: 'resourcestore_cache_hits_total', help: 'Read-cache hits.', registers });
    this.cacheMisses = new Counter({ name: 'resourcestore_cache_misses_total', help: 'Read-cache misses.', registers });
  }

  /** Starts timing an operation; call the returned function when it ends. */
  time(operation: Operation): () => void {
    const start = process.hrtime.bigint();
    return () => this.#duration.observe({ operation }, Number(process.hrtime.bigint() - start) / 1e9);
  }
}
