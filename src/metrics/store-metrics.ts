/**
 * The store's Prometheus metrics, on a registry the caller passes (a private one otherwise;
 * never prom-client's global registry):
 * - `resourcestore_resources{group,version,kind}`: from the engine's persisted per-type counters,
 *   so it is right straight after a reopen, without a scan; the same series under its first name,
 *   `resourcestore_resources_total`, stays for existing readers (dashboards, the CLI's progress),
 *   typed `untyped`: a gauge may not end in `_total` (promtool), and it is no counter;
 * - `resourcestore_storage_bytes`: the engine's data size (files on disk, or bytes in memory);
 * - `resourcestore_operation_duration_seconds{operation}`: a histogram per public operation;
 * - `resourcestore_cache_hits_total` and `resourcestore_cache_misses_total`: the read cache;
 * - `resourcestore_relationship_cache_hits_total`, `resourcestore_relationship_cache_misses_total`
 *   and `resourcestore_relationship_cache_answers`: the relationship cache (scans of one
 *   resource's relationships answered from memory, scanned, and answers held; 0 where none is kept);
 * - `resourcestore_events_sent_total{kind,type}`, `resourcestore_events_overflowed_total`,
 *   `resourcestore_subscribers`: the event streams;
 * - `resourcestore_log_entries`, `resourcestore_log_first_revision`,
 *   `resourcestore_log_compacted_total`: the change log and its compaction.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { EventStats } from '../events/event-stats.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { Engine } from '../storage/engine.js';
import { typeOfCounter } from '../model/resource-keys.js';

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
  | 'traverse'
  | 'compact'
  | 'exportSnapshot'
  | 'verify'
  | 'stats';

/** Where the event and change-log metrics are read from. */
export interface EventSources {
  readonly stats: EventStats;
  subscribers(): number;
  logEntries(): number;
  logFirstRevision(): number;
}

/** What the relationship cache has counted, where the store keeps one. */
export interface RelationCacheCounts {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
}

export class StoreMetrics {
  readonly registry: Registry;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly logCompacted: Counter;
  readonly #duration: LatencyHistogram<Operation>;

  constructor(engine: Engine, events: EventSources, registry: Registry = new Registry(), relationCache?: RelationCacheCounts) {
    this.registry = registry;
    const registers = [registry];
    const countByType = function (this: Gauge<'group' | 'version' | 'kind'>): void {
      this.reset();
      for (const [name, count] of engine.counters()) {
        const type = typeOfCounter(name);
        if (type) this.set(type, count);
      }
    };
    new Gauge({ name: 'resourcestore_resources', help: 'Resources stored, by group, version and kind.', labelNames: ['group', 'version', 'kind'], registers, collect: countByType });
    // prom-client has no untyped metric: a gauge whose exposition says `untyped`.
    Object.assign(
      new Gauge({
        name: 'resourcestore_resources_total',
        help: 'Resources stored, by group, version and kind: the first name of resourcestore_resources, kept for existing readers.',
        labelNames: ['group', 'version', 'kind'],
        registers,
        collect: countByType,
      }),
      { type: 'untyped' },
    );
    new Gauge({
      name: 'resourcestore_storage_bytes',
      help: 'Bytes the stored data takes: the data files on disk, or keys and values in memory.',
      registers,
      async collect() {
        this.set(await engine.storageBytes());
      },
    });
    this.#duration = new LatencyHistogram(
      'resourcestore_operation_duration_seconds',
      'Latency of store operations, by operation.',
      'operation',
      [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    );
    this.cacheHits = new Counter({ name: 'resourcestore_cache_hits_total', help: 'Read-cache hits.', registers });
    this.cacheMisses = new Counter({ name: 'resourcestore_cache_misses_total', help: 'Read-cache misses.', registers });
    for (const [name, help, count] of [
      ['hits', 'Scans of one resource\'s relationships answered from the relationship cache.', () => relationCache?.hits ?? 0],
      ['misses', 'Scans of one resource\'s relationships the relationship cache did not hold.', () => relationCache?.misses ?? 0],
    ] as const) {
      new Counter({
        name: `resourcestore_relationship_cache_${name}_total`,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(count());
        },
      });
    }
    new Gauge({
      name: 'resourcestore_relationship_cache_answers',
      help: 'Answers the relationship cache holds.',
      registers,
      collect() {
        this.set(relationCache?.size ?? 0);
      },
    });
    new Counter({
      name: 'resourcestore_events_sent_total',
      help: 'Events delivered to subscribers, by kind (resource, relationship) and type (add, update, delete).',
      labelNames: ['kind', 'type'],
      registers,
      collect() {
        this.reset();
        for (const { kind, type, count } of events.stats.sentCounts()) this.inc({ kind, type }, count);
      },
    });
    new Counter({
      name: 'resourcestore_events_overflowed_total',
      help: 'Subscriptions ended with OVERFLOW because they fell further behind than their buffer.',
      registers,
      collect() {
        this.reset();
        this.inc(events.stats.overflows);
      },
    });
    new Gauge({
      name: 'resourcestore_subscribers',
      help: 'Open event subscriptions.',
      registers,
      collect() {
        this.set(events.subscribers());
      },
    });
    new Gauge({
      name: 'resourcestore_log_entries',
      help: 'Entries in the change log.',
      registers,
      collect() {
        this.set(events.logEntries());
      },
    });
    new Gauge({
      name: 'resourcestore_log_first_revision',
      help: 'The oldest revision still in the change log; a watch from an older one fails with COMPACTED.',
      registers,
      collect() {
        this.set(events.logFirstRevision());
      },
    });
    this.logCompacted = new Counter({ name: 'resourcestore_log_compacted_total', help: 'Change-log entries removed by compaction.', registers });
  }

  /** Starts timing an operation; call the returned function when it ends. */
  time(operation: Operation): () => void {
    const start = performance.now();
    return () => this.#duration.observe(operation, (performance.now() - start) / 1000);
  }
}
