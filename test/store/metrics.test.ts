import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { register as globalRegistry, Registry } from 'prom-client';
import { factories } from '../helpers/stores.js';
import { deployment, pod, podRef } from '../helpers/fixtures.js';

for (const factory of factories) {
  describe(`metrics on ${factory.name}`, () => {
    it('publishes counts, storage bytes, latencies and cache counters on the registry given', async () => {
      const registry = new Registry();
      const { store } = await factory.open({ registry });
      await store.add(pod('a'));
      await store.add(pod('b'));
      await store.add(deployment('d'));
      await store.get(podRef('a'));
      await store.list({ namespace: 'web' });
      await store.delete(podRef('b'));
      const text = await registry.metrics();
      for (const name of ['resourcestore_resources', 'resourcestore_resources_total']) {
        assert.match(text, new RegExp(`\\n${name}\\{group="",version="v1",kind="Pod"\\} 1\\n`));
        assert.match(text, new RegExp(`\\n${name}\\{group="apps",version="v1",kind="Deployment"\\} 1\\n`));
      }
      // Only counters end in _total: the first name stays for its readers, untyped, beside the gauge.
      assert.match(text, /^# TYPE resourcestore_resources gauge$/m);
      assert.match(text, /^# TYPE resourcestore_resources_total untyped$/m);
      const bytes = Number(/resourcestore_storage_bytes (\d+)/.exec(text)?.[1]);
      assert.ok(bytes > 0, `storage bytes reported (${bytes})`);
      assert.match(text, /resourcestore_operation_duration_seconds_count\{operation="add"\} 3\n/);
      assert.match(text, /resourcestore_operation_duration_seconds_count\{operation="get"\} 1\n/);
      assert.match(text, /resourcestore_operation_duration_seconds_count\{operation="list"\} 1\n/);
      assert.match(text, /resourcestore_operation_duration_seconds_count\{operation="delete"\} 1\n/);
      assert.match(text, /resourcestore_cache_hits_total 2\n/); // the get, and the delete reading what it deletes
      assert.match(text, /resourcestore_cache_misses_total \d+\n/);
      assert.equal((await globalRegistry.metrics()).includes('resourcestore_'), false, 'nothing on the global registry');
      await store.close();
    });

    it('drops a type from the resource counts when its last resource goes', async () => {
      const { store } = await factory.open();
      await store.add(pod('a'));
      await store.delete(podRef('a'));
      assert.doesNotMatch(await store.metrics.metrics(), /resourcestore_resources(_total)?\{/);
      await store.close();
    });
  });
}
