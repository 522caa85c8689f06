/**
 * Runs write transactions: queues each behind earlier writes to the same keys in this process
 * (key-locks.ts), runs its body against a fresh Transaction, commits it as one engine write, and
 * runs it again when a precondition failed (a writer this process does not see changed what it
 * read). The body decides everything from what it reads, so running it again is always safe.
 */
import { PreconditionFailed, type Engine } from '../storage/engine.js';
import { StoreError } from '../storage/errors.js';
import { KeyLocks } from './key-locks.js';
import type { MaybePromise } from './maybe-promise.js';
import { Transaction, type ChangeHandler, type KeyReader } from './transaction.js';

const MAX_ATTEMPTS = 100;

export class TransactionRunner {
  readonly #engine: Engine;
  readonly #read: KeyReader;
  readonly #changes: ChangeHandler;
  readonly #locks = new KeyLocks();

  /**
   * `read` reads committed state (the store passes one that consults its read cache first);
   * `changes` logs the changes of each commit and publishes them.
   */
  constructor(engine: Engine, read: KeyReader, changes: ChangeHandler) {
    this.#engine = engine;
    this.#read = read;
    this.#changes = changes;
  }

  /**
   * How a transaction reads. On a shared engine every read is a round trip to the database, so
   * the keys the write queues behind (the resources it writes, above all) and those it is sure
   * to read are read together first, in one round trip; a value read early is no less safe,
   * since the commit checks it. Each is used once: a second read of a key (`stillAsRead`) asks
   * the database again.
   */
  #reader(lockKeys: readonly string[], reads: () => readonly string[]): MaybePromise<KeyReader> {
    if (!this.#engine.shared) return this.#read;
    const keys = [...new Set([...lockKeys, ...reads()])];
    if (keys.length < 2) return this.#read;
    return this.#preload(keys);
  }

  async #preload(keys: readonly string[]): Promise<KeyReader> {
    const values = await this.#engine.getMany(keys);
    const preloaded = new Map(keys.map((key, i) => [key, values[i]]));
    return (key) => {
      if (!preloaded.has(key)) return this.#read(key);
      const value = preloaded.get(key);
      preloaded.delete(key);
      return value;
    };
  }

  /**
   * Runs `body` in a transaction holding `lockKeys`, commits what it wrote, and returns what it
   * returned. A body that throws writes nothing. `reads`: the keys the body is sure to read, asked
   * for only on a shared engine.
   */
  async run<T>(lockKeys: readonly string[], reads: () => readonly string[], body: (txn: Transaction, now: number) => MaybePromise<T>): Promise<T> {
    const acquired = this.#locks.acquire([...new Set(lockKeys)]);
    const release = acquired instanceof Promise ? await acquired : acquired;
    try {
      for (let attempt = 1; ; attempt++) {
        const reader = this.#reader(lockKeys, reads);
        const txn = new Transaction(reader instanceof Promise ? await reader : reader, (range) => this.#engine.scanKeys({ ...range }), this.#engine.commits);
        const now = Date.now();
        const ran = body(txn, now);
        const result = ran instanceof Promise ? await ran : ran;
        if (txn.empty) return result;
        try {
          await this.#engine.commit(txn.toEngineWrite(this.#changes, now));
          return result;
        } catch (err) {
          if (!(err instanceof PreconditionFailed)) throw err;
          if (attempt === MAX_ATTEMPTS) {
            throw new StoreError('CONFLICT', `the data this write reads changed ${MAX_ATTEMPTS} times in a row while it ran; try again`);
          }
        }
      }
    } finally {
      release();
    }
  }
}
