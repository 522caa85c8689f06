/**
 * Work that finishes at once when what it needs is at hand, and by a promise only when it waits.
 * A transaction's reads answer at once from its own writes, the read cache or a synchronous engine
 * read, and a write path made of async functions would still make a promise per call and take
 * turns of the microtask queue for each (a Pod's add made twelve). These helpers chain such work:
 * a step runs in the same turn as the one before it unless that one returned a promise. Errors
 * keep their path: a step that throws throws to its caller at once, a promise that rejects
 * rejects the chain.
 */

/** A value, or the promise of one when it is not at hand. */
export type MaybePromise<T> = T | Promise<T>;

/** `next` of `value`: at once when the value is at hand, else once it settles. */
export function andThen<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** Runs `step` on each item in order, each after the one before has finished: at once while every step finishes at once. */
export function eachInTurn<T>(items: readonly T[], step: (item: T, index: number) => MaybePromise<unknown>, from = 0): MaybePromise<void> {
  for (let i = from; i < items.length; i++) {
    const done = step(items[i]!, i);
    if (done instanceof Promise) return done.then(() => eachInTurn(items, step, i + 1));
  }
  return undefined;
}
