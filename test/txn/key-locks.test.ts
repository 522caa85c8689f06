/**
 * The per-key write queues: a write with no one queued ahead on its keys takes its ticket at
 * once (no promise); one that shares a key with an earlier write waits for it, and for every
 * earlier write it shares a key with; writes on other keys never wait.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyLocks } from '../../src/txn/key-locks.js';

/** Resolves once every promise job queued so far has run (a turn of the event loop). */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('KeyLocks', () => {
  it('takes a ticket at once when no write is queued ahead on its keys', () => {
    const locks = new KeyLocks();
    const first = locks.acquire(['a', 'b']);
    assert.equal(typeof first, 'function');
    assert.equal(typeof locks.acquire(['c']), 'function', 'other keys do not wait');
    (first as () => void)();
    assert.equal(typeof locks.acquire(['a']), 'function', 'a released key is free');
  });

  it('runs writes that share a key one after another, in the order they asked', async () => {
    const locks = new KeyLocks();
    const order: string[] = [];
    const waitFor = (acquired: ReturnType<KeyLocks['acquire']>, name: string): Promise<() => void> => {
      assert.ok(acquired instanceof Promise, `${name} waits`);
      return acquired.then((release) => {
        order.push(name);
        return release;
      });
    };
    const first = locks.acquire(['a', 'b']) as () => void;
    const second = waitFor(locks.acquire(['b']), 'second');
    const third = waitFor(locks.acquire(['a', 'c']), 'third');
    await settled();
    assert.equal(order.length, 0, 'both wait for the first');
    order.push('first');
    first();
    const releaseSecond = await second;
    const releaseThird = await third;
    assert.deepEqual(order, ['first', 'second', 'third']);
    const fourth = waitFor(locks.acquire(['b', 'c']), 'fourth'); // behind the second (b) and the third (c)
    releaseSecond();
    await settled();
    assert.equal(order.includes('fourth'), false, 'still waits for the third');
    releaseThird();
    (await fourth)();
    assert.deepEqual(order, ['first', 'second', 'third', 'fourth']);
    assert.equal(typeof locks.acquire(['a', 'b', 'c']), 'function', 'every key is free again');
  });
});
