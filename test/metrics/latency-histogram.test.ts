import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';

const BOUNDS = [0.00001, 0.0001, 0.001, 0.01, 0.1, 1];

/** The same observations through prom-client's own histogram and through ours, each on a registry of its own. */
function both(observations: ReadonlyArray<readonly [string, number]>): { theirs: Registry; ours: Registry; histogram: LatencyHistogram<string> } {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({ name: 'op_seconds', help: 'Latency.', labelNames: ['operation'], buckets: BOUNDS, registers: [theirs] });
  const histogram = new LatencyHistogram<string>('op_seconds', 'Latency.', 'operation', BOUNDS, [ours]);
  for (const [operation, seconds] of observations) {
    reference.observe({ operation }, seconds);
    histogram.observe(operation, seconds);
  }
  return { theirs, ours, histogram };
}

describe('LatencyHistogram', () => {
  // Values on a bound, between bounds, below the first and above the last, for two operations.
  const observations = [
    ['get', 0.000004],
    ['get', 0.00001],
    ['get', 0.00002],
    ['add', 0.0005],
    ['get', 0.01],
    ['add', 3],
    ['add', 0.25],
    ['get', 0.00009],
  ] as const;

  it('prints what prom-client prints for the same observations', async () => {
    const { theirs, ours } = both(observations);
    assert.equal(await ours.metrics(), await theirs.metrics());
  });

  it('gives the same series as JSON (for a cluster aggregator)', async () => {
    const { theirs, ours } = both(observations);
    // prom-client's own series carry an `exemplar` field (null: exemplars are off); ours has none.
    const withoutExemplars = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      metrics.map(({ values, ...metric }) => ({ ...metric, values: values.map((value) => ({ ...value, exemplar: undefined })) }));
    assert.deepEqual(withoutExemplars(await ours.getMetricsAsJSON()), withoutExemplars(await theirs.getMetricsAsJSON()));
  });

  it('prints what prom-client prints with default labels, one of them named as the operation label', async () => {
    for (const defaults of [{ env: 'prod' }, { operation: 'ignored', zone: 'a' }]) {
      const { theirs, ours } = both(observations);
      theirs.setDefaultLabels(defaults);
      ours.setDefaultLabels(defaults);
      assert.equal(await ours.metrics(), await theirs.metrics());
    }
  });

  it('counts no duration that is not a finite number', async () => {
    const { ours, histogram } = both([['get', 0.001]]);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) histogram.observe('get', bad);
    assert.equal(await ours.metrics(), await both([['get', 0.001]]).theirs.metrics());
  });

  it('prints nothing but its help and type before an observation, and forgets on reset', async () => {
    const empty = both([]);
    assert.equal(await empty.ours.metrics(), await empty.theirs.metrics());
    const { ours, histogram } = both(observations);
    ours.resetMetrics();
    assert.equal(await ours.metrics(), await empty.ours.metrics());
    histogram.observe('get', 0.5);
    assert.match(await ours.metrics(), /^op_seconds_count\{operation="get"\} 1$/m);
  });
});
