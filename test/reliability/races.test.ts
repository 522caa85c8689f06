/**
 * Races: many concurrent read-modify-write callers on a few overlapping resources. No update is
 * lost (each resource's counter equals its successful updates, and its version one more), every
 * CONFLICT is justified (the version it expected had been replaced), and the events describe a
 * serial order of the successful calls: per resource, versions and counters step by one, each
 * update's previous state is the state the last event left.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResourceEvent } from '../../src/events/types.js';
import { isStoreError } from '../../src/storage/errors.js';
import type { Resource } from '../../src/model/types.js';
import { factories } from '../helpers/stores.js';

const KEYS = ['a', 'b', 'c'];
const ref = (name: string) => ({ version: 'v1', kind: 'Counter', namespace: 'race', name });

for (const factory of factories) {
  describe(`races on ${factory.name}`, () => {
    it('loses no update, justifies every CONFLICT, and publishes a serial order', async () => {
      const { store } = await factory.open();
      for (const name of KEYS) await store.add({ ref: ref(name), data: { count: 0 } });
      const events: ResourceEvent[] = [];
      const subscription = store.subscribe({ type: { kind: 'Counter' } }).subscribe((e) => events.push(e as ResourceEvent));
      const successes = new Map(KEYS.map((k) => [k, 0]));
      let conflicts = 0;
      const callers = Array.from({ length: 40 }, async (_, caller) => {
        for (let i = 0; i < 15; i++) {
          const name = KEYS[(caller + i) % KEYS.length]!;
          const read: Resource = await store.get(ref(name));
          const count = (read.data as { count: number }).count;
          try {
            await store.update({ ref: ref(name), version: read.version, data: { count: count + 1 } });
            successes.set(name, successes.get(name)! + 1);
          } catch (err) {
            assert.ok(isStoreError(err, 'CONFLICT'), String(err));
            conflicts++;
            const now = await store.get(ref(name));
            assert.ok(now.version > read.version, 'a CONFLICT only when the expected version was replaced');
          }
        }
      });
      await Promise.all(callers);
      subscription.unsubscribe();
      assert.ok(conflicts > 0, 'the callers did race');
      for (const name of KEYS) {
        const final = await store.get(ref(name));
        assert.equal((final.data as { count: number }).count, successes.get(name), `no lost update on ${name}`);
        assert.equal(final.version, successes.get(name)! + 1);
        const mine = events.filter((e) => e.resource.ref.name === name);
        assert.equal(mine.length, successes.get(name));
        mine.forEach((e, i) => {
          assert.equal(e.type, 'update');
          assert.equal(e.resource.version, i + 2);
          assert.equal((e.resource.data as { count: number }).count, i + 1);
          assert.equal((e.previous!.data as { count: number }).count, i, 'each update starts from the state the last one left');
        });
      }
      assert.deepEqual(events.map((e) => e.revision), events.map((_, i) => KEYS.length + 1 + i), 'one revision each, in order');
      await store.close();
    });
  });
}
