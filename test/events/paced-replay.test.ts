import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastValueFrom, Subject, takeWhile } from 'rxjs';
import { concatMapBounded } from '../../src/events/concat-map-bounded.js';
import { isStoreError, StoreError } from '../../src/storage/errors.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { factories } from '../helpers/stores.js';
import { pod } from '../helpers/fixtures.js';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Slow asynchronous work: each event waits for a turn of the event loop. */
const slowWork = () => new Promise<void>((resolve) => setImmediate(resolve));
/** On the code before the fix the recipe resubscribes from revision 0 forever; past this many overflows it is stopped so the test fails instead of spinning. */
const GIVE_UP = 100;

/**
 * The README's recipe for slow asynchronous work: subscribe from a revision through
 * concatMapBounded, and on OVERFLOW subscribe again from the revision it carries. Runs from
 * revision 0 (or `from`) until the work of revision `until` is done; returns how many times it
 * overflowed.
 */
async function runRecipe(
  store: ResourceStore,
  processed: number[],
  { from = 0, until, bufferSize = 10, onWork }: { from?: number; until: number; bufferSize?: number; onWork?: (revision: number) => void },
): Promise<number> {
  let revision = from;
  let overflows = 0;
  while (revision < until && overflows <= GIVE_UP) {
    try {
      await lastValueFrom(
        store.subscribe({}, { fromRevision: revision, bufferSize }).pipe(
          concatMapBounded(
            async (event) => {
              await slowWork();
              processed.push(event.revision);
              onWork?.(event.revision);
              return event.revision;
            },
            { bufferSize },
          ),
          takeWhile((done) => done < until, true),
        ),
      );
      revision = until;
    } catch (err) {
      if (!isStoreError(err, 'OVERFLOW')) throw err;
      overflows++;
      revision = err.details.revision!;
    }
  }
  return overflows;
}

for (const factory of factories) {
  describe(`the slow-consumer recipe (concatMapBounded, resume on OVERFLOW) on ${factory.name}`, () => {
    it('does process a backlog twenty times the buffer exactly once, in order, without overflowing', async () => {
      const { store } = await factory.open();
      for (let i = 0; i < 200; i++) await store.add(pod(`p${i}`));
      const processed: number[] = [];
      const overflows = await runRecipe(store, processed, { until: 200 });
      assert.equal(overflows, 0);
      assert.deepEqual(processed, range(1, 200));
      await store.close();
    });

    it('does process live writes made during the replay exactly once, in order, and catches up', async () => {
      const { store } = await factory.open();
      for (let i = 0; i < 200; i++) await store.add(pod(`p${i}`));
      const processed: number[] = [];
      let writing: Promise<void> | undefined;
      const writeMore = async () => {
        for (let i = 200; i < 250; i++) await store.add(pod(`p${i}`));
      };
      const overflows = await runRecipe(store, processed, { until: 250, onWork: (revision) => void (revision === 1 && (writing = writeMore())) });
      await writing;
      // Each overflow needs more than 10 live events after its subscription started: at most 4 of 50.
      assert.ok(overflows <= 4, `${overflows} overflows`);
      assert.deepEqual(processed, range(1, 250));
      await store.close();
    });

    it('does end a live stream whose work falls behind with OVERFLOW at the last revision whose work completed, and a resume loses nothing', async () => {
      const { store } = await factory.open();
      const gates: Array<() => void> = [];
      const processed: number[] = [];
      const ended = new Promise<unknown>((resolve) =>
        store
          .subscribe({}, { bufferSize: 2 })
          .pipe(concatMapBounded((event) => new Promise<number>((done) => gates.push(() => done(event.revision))), { bufferSize: 2 }))
          .subscribe({ next: (revision) => processed.push(revision), error: resolve }),
      );
      for (let i = 0; i < 10; i++) await store.add(pod(`p${i}`)); // work of 1 runs, 2 and 3 wait, 4 and 5 fill the stream's buffer, 6 overflows it
      for (let turn = 0; turn < 100 && processed.length < 3; turn++) {
        gates.shift()?.();
        await slowWork();
      }
      const err = await ended;
      assert.ok(isStoreError(err, 'OVERFLOW'));
      assert.equal(err.details.revision, 3, 'the work of every event taken was done before the error');
      const rest: number[] = [];
      await runRecipe(store, rest, { from: err.details.revision!, until: 10 });
      assert.deepEqual([...processed, ...rest], range(1, 10));
      await store.close();
    });
  });
}

describe('concatMapBounded and an upstream error', () => {
  it('does finish the work of every event it took before passing the error on', async () => {
    const source = new Subject<{ revision: number }>();
    const results: number[] = [];
    const ended = new Promise<unknown>((resolve) =>
      source.pipe(concatMapBounded(async (e) => (await slowWork(), e.revision), { bufferSize: 5 })).subscribe({ next: (v) => results.push(v), error: resolve }),
    );
    for (let revision = 1; revision <= 3; revision++) source.next({ revision });
    source.error(new StoreError('OVERFLOW', 'the source fell behind', { revision: 3 }));
    const err = await ended;
    assert.ok(isStoreError(err, 'OVERFLOW'));
    assert.deepEqual(results, [1, 2, 3], 'the events it had taken were worked before the error');
  });
});
