/**
 * A latency histogram by operation, for a metric observed on every store call. prom-client's
 * `Histogram.observe` checks its label names, hashes the label object and looks the bucket up by
 * a number-keyed property on each call: about 4% of a cold get. This one keeps, per operation, a
 * row of bucket counts found by one map read, and gives a registry the exposition prom-client's
 * histogram gives (cumulative `_bucket` series with `le`, then `_sum` and `_count`, per operation
 * seen), through the metric shape a prom-client `Registry` reads (`name`, `help`, `type`,
 * `aggregator`, `get`, `getForPromString`, `reset`).
 */
import type { Metric, Registry } from 'prom-client';

/**
 * One series' value, as a registry reads it: its labels, and (for the text exposition) the labels
 * every series of its operation shares, which a registry prints after the others, default labels
 * included, as it does prom-client's own histogram's.
 */
interface Sample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly sharedLabels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** What a registry reads of a metric. */
interface Exposition {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: Sample[];
}

/** One operation's counts: per bucket (not cumulative; the last is above every bound), their sum and count. */
class Row {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(buckets: number) {
    this.counts = new Float64Array(buckets + 1);
  }
}

export class LatencyHistogram<Operation extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #rows = new Map<Operation, Row>();

  /** `bounds`: the buckets' upper bounds, in seconds, ascending. Registered on each of `registers`. */
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelName: string,
    bounds: readonly number[],
    registers: readonly Registry[],
  ) {
    this.#bounds = [...bounds];
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  /** Counts one observation; a duration that is not a finite number (none is) is not counted. */
  observe(operation: Operation, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    let row = this.#rows.get(operation);
    if (row === undefined) {
      row = new Row(this.#bounds.length);
      this.#rows.set(operation, row);
    }
    const bounds = this.#bounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]!) bucket++;
    row.counts[bucket]!++;
    row.sum += seconds;
    row.count++;
  }

  /** The series as objects (`getMetricsAsJSON`, a cluster's aggregation): per operation seen, its cumulative buckets, `+Inf`, sum and count. */
  get(): Exposition {
    return this.#exposition(false);
  }

  /** The same series for the text exposition, the operation label kept apart as shared. */
  getForPromString(): Exposition {
    return this.#exposition(true);
  }

  #exposition(shared: boolean): Exposition {
    const values: Sample[] = [];
    const sample = (suffix: string, operation: string, value: number, le?: number | string): Sample => {
      const own: Record<string, string | number> = le === undefined ? {} : { le };
      const labels = { [this.labelName]: operation };
      return shared ? { metricName: this.name + suffix, labels: own, sharedLabels: labels, value } : { metricName: this.name + suffix, labels: { ...own, ...labels }, value };
    };
    for (const [operation, row] of this.#rows) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += row.counts[i]!;
        values.push(sample('_bucket', operation, cumulative, bound));
      });
      values.push(sample('_bucket', operation, row.count, '+Inf'), sample('_sum', operation, row.sum), sample('_count', operation, row.count));
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Forgets every observation (a registry's `resetMetrics`). */
  reset(): void {
    this.#rows.clear();
  }
}
