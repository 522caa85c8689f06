/**
 * A process that falls further behind the others than the change log's retention cannot learn
 * what they changed: its subscribers end with OVERFLOW (they resume and relist), and its caches
 * must forget what it can no longer tell is current.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filter, firstValueFrom, lastValueFrom } from 'rxjs';
import { openPostgresEngine } from '../../src/storage/pg-engine.js';
import { isStoreError } from '../../src/storage/errors.js';
import { openStore } from '../../src/store/open-store.js';
import { freshLocation } from '../helpers/postgres.js';
import { openOn } from '../helpers/stores.js';
import { WrappedEngine } from '../helpers/wrapped-engine.js';
import { pod, podRef } from '../helpers/fixtures.js';

const node = { version: 'v1', kind: 'Node', name: 'n1' };
const bound = (name: string) => ({ subject: podRef(name), predicate: { type: 'PodNodeBinding', value: { nodeName: 'n1' } }, object: node });

describe('a process fallen behind the change log on postgresql', () => {
  it('forgets what its caches held, and ends its subscribers with OVERFLOW', async () => {
    const location = await freshLocation();
    const retention = { maxEvents: 3, compactIntervalMs: 3_600_000 };
    const a = await openStore({ postgres: location, retention });
    const wrapped = new WrappedEngine(await openPostgresEngine({ ...location, pollIntervalMs: 200 }));
    const b = await openOn(wrapped, { retention });
    try {
      await a.add(pod('p'));
      await a.addRelationships(bound('p'));
      await firstValueFrom(b.subscribe({ relationships: true }, { fromRevision: 0 }).pipe(filter((e) => e.kind === 'relationship'))); // b is level with a
      assert.equal((await b.get(podRef('p'))).version, 1);
      assert.equal(b.getCached(podRef('p'))?.version, 1, 'b holds p');
      assert.equal((await b.getRelationships({ object: node })).items.length, 1);
      const hits = async () => Number(/resourcestore_relationship_cache_hits_total (\d+)/.exec(await b.metrics.metrics())![1]);
      const before = await hits();
      assert.equal((await b.getRelationships({ object: node })).items.length, 1);
      assert.equal(await hits(), before + 1, 'b holds the relationships too');

      wrapped.holdFollowing();
      const live = b.subscribe({ relationships: true });
      const ended = lastValueFrom(live).then(
        () => undefined,
        (err: unknown) => err,
      );
      for (let i = 2; i <= 6; i++) await a.update({ ...pod('p', { step: String(i) }) });
      await a.deleteRelationships(bound('p'));
      assert.ok((await a.compact()) > 0, 'the log no longer holds what b missed');
      wrapped.releaseFollowing();

      assert.ok(isStoreError(await ended, 'OVERFLOW'), 'b cannot deliver what it missed');
      // b follows again: once a subscriber of b's has one of a's next writes, b is level with the
      // database (a subscriber opened while b still catches up is ended like the first).
      for (let i = 0; ; i++) {
        const next = firstValueFrom(b.subscribe().pipe(filter((e) => e.kind === 'resource' && e.resource.ref.name === `q${i}`))).then(
          () => undefined,
          (err: unknown) => err,
        );
        await a.add(pod(`q${i}`));
        const outcome = await next;
        if (outcome === undefined) break;
        assert.ok(isStoreError(outcome, 'OVERFLOW'), String(outcome));
      }
      await b.ping(); // a round trip: b's delivery of what its subscriber just had is done
      assert.equal(b.revision, a.revision, 'b is level with the database, so a held answer would be given');
      assert.notEqual(b.getCached(podRef('p'))?.version, 1, 'b does not serve the state it can no longer tell is stale');
      assert.deepEqual((await b.getRelationships({ object: node })).items, [], 'nor the relationships');
      assert.equal((await b.get(podRef('p'))).version, 6);
    } finally {
      wrapped.releaseFollowing();
      await a.close();
      await b.close();
    }
  });
});
