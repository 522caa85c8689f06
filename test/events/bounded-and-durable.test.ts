import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { firstValueFrom, lastValueFrom, Subject, take, toArray } from 'rxjs';
import { concatMapBounded } from '../../src/events/concat-map-bounded.js';
import { StoreError } from '../../src/storage/errors.js';
import { openStore } from '../../src/store/open-store.js';
import { tempDir } from '../helpers/stores.js';
import { pod } from '../helpers/fixtures.js';

describe('concatMapBounded', () => {
  it('runs asynchronous work one event at a time, in order', async () => {
    const source = new Subject<{ revision: number }>();
    const done = lastValueFrom(source.pipe(concatMapBounded(async (e) => e.revision * 10, { bufferSize: 5 }), toArray()));
    for (let revision = 1; revision <= 5; revision++) source.next({ revision });
    source.complete();
    assert.deepEqual(await done, [10, 20, 30, 40, 50]);
  });

  it('ends with OVERFLOW and the last revision whose work completed when too many events wait', async () => {
    const source = new Subject<{ revision: number }>();
    const gates: Array<() => void> = [];
    const results: number[] = [];
    const ended = new Promise<unknown>((resolve) =>
      source
        .pipe(concatMapBounded((e) => new Promise<number>((r) => gates.push(() => r(e.revision))), { bufferSize: 2 }))
        .subscribe({ next: (v) => results.push(v), error: resolve }),
    );
    source.next({ revision: 7 });
    source.next({ revision: 8 });
    gates.shift()!(); // finish the work of revision 7
    await Promise.resolve();
    await Promise.resolve();
    source.next({ revision: 9 });
    source.next({ revision: 10 });
    source.next({ revision: 11 }); // 9, 10 wait while 8 works: one more overflows
    const err = (await ended) as StoreError;
    assert.equal(err.code, 'OVERFLOW');
    assert.equal(err.details.revision, 7);
    assert.deepEqual(results, [7]);
  });
});

describe('the change log across reopen', () => {
  it('replays changes made before a restart, and resumes without gap after it', async () => {
    const path = join(tempDir(), 'db');
    const first = await openStore({ path });
    for (let i = 0; i < 10; i++) await first.add(pod(`p${i}`));
    await first.close();
    const second = await openStore({ path });
    const events = firstValueFrom(second.subscribe({}, { fromRevision: 4 }).pipe(take(8), toArray()));
    await second.add(pod('after-1'));
    await second.add(pod('after-2'));
    assert.deepEqual((await events).map((e) => e.revision), [5, 6, 7, 8, 9, 10, 11, 12]);
    await second.close();
  });
});
