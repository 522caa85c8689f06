/**
 * The write path's chaining of work that finishes at once or by a promise: a chain of steps that
 * all finish at once finishes at once (no promise), in order; one step that waits makes the rest
 * run after it, still in order; a step that throws stops the chain, at once or by a rejection.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { andThen, eachInTurn, type MaybePromise } from '../../src/txn/maybe-promise.js';

describe('andThen', () => {
  it('applies the next step at once to a value at hand', () => {
    assert.equal(andThen(2, (n) => n * 3), 6);
  });

  it('applies it once a promised value settles, and passes on a rejection', async () => {
    const later = andThen(Promise.resolve(2), (n) => n * 3);
    assert.ok(later instanceof Promise);
    assert.equal(await later, 6);
    let ran = false;
    await assert.rejects(
      andThen(Promise.reject(new Error('read failed')), () => {
        ran = true;
      }) as Promise<void>,
      /read failed/,
    );
    assert.equal(ran, false, 'the next step does not run after a rejection');
  });
});

describe('eachInTurn', () => {
  it('runs every step at once, in order, when none waits', () => {
    const seen: string[] = [];
    const done = eachInTurn(['a', 'b', 'c'], (item, index) => void seen.push(`${index}:${item}`));
    assert.equal(done, undefined, 'no promise');
    assert.deepEqual(seen, ['0:a', '1:b', '2:c']);
  });

  it('runs the steps after one that waits once it has finished, in order', async () => {
    const seen: string[] = [];
    let finish!: () => void;
    const step = (item: string): MaybePromise<void> => {
      seen.push(`start ${item}`);
      if (item !== 'b') {
        seen.push(`end ${item}`);
        return;
      }
      return new Promise<void>((resolve) => (finish = resolve)).then(() => void seen.push('end b'));
    };
    const done = eachInTurn(['a', 'b', 'c'], step);
    assert.ok(done instanceof Promise, 'a promise once a step waits');
    assert.deepEqual(seen, ['start a', 'end a', 'start b'], 'c waits for b');
    finish();
    await done;
    assert.deepEqual(seen, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('stops at a step that throws, at once or by a rejection', async () => {
    const seen: number[] = [];
    assert.throws(
      () =>
        eachInTurn([1, 2, 3], (n) => {
          if (n === 2) throw new Error('bad 2');
          seen.push(n);
        }),
      /bad 2/,
    );
    assert.deepEqual(seen, [1]);
    seen.length = 0;
    const done = eachInTurn([1, 2, 3], (n) => (n === 2 ? Promise.reject(new Error('bad 2')) : void seen.push(n)));
    await assert.rejects(done as Promise<void>, /bad 2/);
    assert.deepEqual(seen, [1], 'no step runs after the rejection');
  });
});
