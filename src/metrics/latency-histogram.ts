/**
 * A latency histogram by operation, for a metric observed on every store call. prom-client's
 * `Histogram.observe` checks its label names, hashes the label object and looks the bucket up by
 * a number-keyed property on each call: about 4% of a cold get. This one keeps, per operation, a
 * row of bucket counts found by one map read, and gives a registry the exposition prom-client's
 * histogram gives (cumulative `_bucket` series with `le`, then `_sum` and `_count`, per operation
 * seen), through the metric shape a prom-client `Registry` reads (`name`, `help`, `type`,
 * `aggregator`, `get`, `reset`).
 */
import type { Metric, Registry } from 'prom-client';

/** One series' value, as a registry reads it. */
interface Sample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
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

  observe(operation: Operation, seconds: number): void {
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

  /** The series a registry prints: per operation seen, its cumulative buckets, `+Inf`, sum and count. */
  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Sample[] } {
    const values: Sample[] = [];
    for (const [operation, row] of this.#rows) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += row.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, [this.labelName]: operation }, value: cumulative });
      });
      values.push(
        { metricName: `${this.name}_bucket`, labels: { le: '+Inf', [this.labelName]: operation }, value: row.count },
        { metricName: `${this.name}_sum`, labels: { [this.labelName]: operation }, value: row.sum },
        { metricName: `${this.name}_count`, labels: { [this.labelName]: operation }, value: row.count },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Forgets every observation (a registry's `resetMetrics`). */
  reset(): void {
    this.#rows.clear();
  }
}
