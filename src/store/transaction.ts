/**
 * A write transaction in the style of etcd's STM: reads are recorded, writes are buffered, and
 * the commit is one engine write whose preconditions are exactly the values read. If any of them
 * changed before the commit, the engine refuses the whole write and the caller runs the
 * transaction again against the new state. Reads see the transaction's own earlier writes, so the
 * operations of a batch apply in order, as if one after another, and land together.
 *
 * Prefix scans (`keysWithPrefix`) are not recorded: a range cannot be a precondition. Whoever
 * scans guards the range with a key it reads, one that every writer into that range also writes
 * (the relationship count of a resource guards the relationships that name it).
 */
import type { Change } from '../events/change.js';
import type { EngineWrite } from './engine.js';
import { prefixRange } from './key-codec.js';

/** Reads one key of the committed state. */
export type KeyReader = (key: string) => Promise<Uint8Array | undefined>;
/** Lists the committed keys of a range, in chunks. */
export type KeyScanner = (range: { gte: string; lt: string }) => AsyncIterable<readonly string[]>;

/** What becomes of a transaction's changes: change-log entries in its batch, and events after it. */
export interface ChangeHandler {
  /** The change-log entries of `changes`, numbered from revision `first`, at time `now`. */
  logEntries(changes: readonly Change[], first: number, now: number): Array<[string, Uint8Array]>;
  /** Called synchronously once they are committed, in commit order. */
  committed(changes: readonly Change[], first: number): void;
}

export class Transaction {
  readonly #read: KeyReader;
  readonly #scan: KeyScanner;
  readonly #reads = new Map<string, Uint8Array | undefined>();
  readonly #readAt: number | undefined;
  readonly #writes = new Map<string, Uint8Array | undefined>();
  readonly #counters = new Map<string, number>();
  readonly #afterCommit: Array<() => void> = [];
  readonly #changes: Change[] = [];

  /** `readAt` is the engine's `commits` as the transaction starts (its reads are no older). */
  constructor(read: KeyReader, scan: KeyScanner, readAt?: number) {
    this.#read = read;
    this.#scan = scan;
    this.#readAt = readAt;
  }

  /** The value of `key` as this transaction sees it; a first read of committed state becomes a precondition. */
  async get(key: string): Promise<Uint8Array | undefined> {
    if (this.#writes.has(key)) return this.#writes.get(key);
    if (this.#reads.has(key)) return this.#reads.get(key);
    const value = await this.#read(key);
    this.#reads.set(key, value);
    return value;
  }

  put(key: string, value: Uint8Array): void {
    this.#writes.set(key, value);
  }

  del(key: string): void {
    this.#writes.set(key, undefined);
  }

  /** Moves a named engine counter by `delta` when the transaction commits. */
  count(name: string, delta: number): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + delta);
  }

  /** Records one change: the transaction takes one more store revision, and logs and publishes it. */
  change(change: Change): void {
    this.#changes.push(change);
  }

  /** Runs `hook` synchronously once the transaction has committed, in commit order. */
  afterCommit(hook: () => void): void {
    this.#afterCommit.push(hook);
  }

  /** Every key with this prefix as the transaction sees it: committed keys, plus its puts, less its deletes. */
  async keysWithPrefix(prefix: string): Promise<string[]> {
    const range = prefixRange(prefix);
    const keys = new Set<string>();
    for await (const chunk of this.#scan(range)) for (const key of chunk) keys.add(key);
    for (const [key, value] of this.#writes) {
      if (key.startsWith(prefix)) {
        if (value === undefined) keys.delete(key);
        else keys.add(key);
      }
    }
    return [...keys];
  }

  /** True when the transaction would write nothing. */
  get empty(): boolean {
    return this.#writes.size === 0 && this.#changes.length === 0;
  }

  /** The engine write: the values read as preconditions, the buffered writes, counters, and changes with their log entries. */
  toEngineWrite(handler: ChangeHandler, now: number): EngineWrite {
    const puts: Array<[string, Uint8Array]> = [];
    const dels: string[] = [];
    for (const [key, value] of this.#writes) {
      if (value === undefined) dels.push(key);
      else puts.push([key, value]);
    }
    const hooks = this.#afterCommit;
    const changes = this.#changes;
    return {
      checks: [...this.#reads].map(([key, value]) => ({ key, value, ...(this.#readAt === undefined ? {} : { readAt: this.#readAt }) })),
      puts,
      dels,
      counters: [...this.#counters].filter(([, delta]) => delta !== 0),
      changes: changes.length,
      ...(changes.length > 0 ? { atRevision: (first: number) => handler.logEntries(changes, first, now) } : {}),
      onCommit: (result) => {
        for (const hook of hooks) hook();
        if (changes.length > 0) handler.committed(changes, result.firstRevision);
      },
    };
  }
}
