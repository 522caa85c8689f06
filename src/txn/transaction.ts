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
import sortedBtree from 'sorted-btree';
import type { Change } from '../model/change.js';
import type { EngineWrite, Precondition } from '../storage/engine.js';
import { StoreError } from '../storage/errors.js';
import { formatKey, prefixRange } from '../storage/key-codec.js';
import type { MaybePromise } from './maybe-promise.js';

const { default: BTree, simpleComparator } = sortedBtree;

/** Reads one key of the committed state: at once, or by a promise. */
export type KeyReader = (key: string) => MaybePromise<Uint8Array | undefined>;
/** Lists the committed keys of a range, in chunks. */
export type KeyScanner = (range: { gte: string; lt: string }) => AsyncIterable<readonly string[]>;

/**
 * A change whose stored state depends on the revision it takes (a resource records the revision
 * of its last change): given that revision as the write commits, the change, and the value of the
 * key it writes, if any.
 */
export type RevisionedChange = (revision: number) => { readonly change: Change; readonly value?: Uint8Array };

/** In the buffered writes: the key's value is made as the write commits, by its last revisioned change. */
const AT_COMMIT: unique symbol = Symbol('made at commit');
/** In the buffered writes: the key holds a number the transaction moves (`move`), encoded as the write commits. */
const NUMBER: unique symbol = Symbol('a moved number');

/** How a number is stored at a key that `move` moves. */
export interface NumberCodec {
  /** The number `bytes` store (0 when absent); CORRUPTED when they store none. */
  decode(bytes: Uint8Array | undefined, key: string): number;
  encode(n: number): Uint8Array;
}

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
  readonly #writes = new Map<string, Uint8Array | undefined | typeof AT_COMMIT | typeof NUMBER>();
  /** The numbers of the keys `move` moved, current where `#writes` holds NUMBER for the key. */
  readonly #numbers = new Map<string, { value: number; readonly codec: NumberCodec }>();
  /**
   * The keys of `#writes` in order (code units, as `<`), so that a prefix scan costs what it finds
   * and a write costs O(log n) whatever the batch holds: a batch of 1,000 resources writes some
   * 20,000 keys and scans a few prefixes per resource. Keys written since the last scan wait in
   * `#unsortedKeys` and are sorted in at the next one, so a transaction that never scans (a batch
   * of relationships) never sorts.
   */
  readonly #writtenKeys = new BTree<string, true>(undefined, simpleComparator);
  #unsortedKeys: string[] = [];
  readonly #counters = new Map<string, number>();
  readonly #afterCommit: Array<() => void> = [];
  readonly #changes: Array<Change | { readonly key: string | undefined; readonly late: RevisionedChange }> = [];

  /** `readAt` is the engine's `commits` as the transaction starts (its reads are no older). */
  constructor(read: KeyReader, scan: KeyScanner, readAt?: number) {
    this.#read = read;
    this.#scan = scan;
    this.#readAt = readAt;
  }

  /**
   * The value of `key` as this transaction sees it; a first read of committed state becomes a
   * precondition. Answered at once, with no promise made, when the value is at hand: written or
   * read by this transaction, or read from an engine that reads synchronously (LevelDB) or from
   * the read cache; a promise only while the engine is asked. A Pod's write makes some twenty
   * reads, most of values already at hand, and a promise per read (with a turn of the microtask
   * queue per `await` of one) costs more than such a read; a caller on a hot path awaits only a
   * promise.
   */
  read(key: string): MaybePromise<Uint8Array | undefined> {
    if (this.#writes.has(key)) {
      const value = this.#writes.get(key);
      if (value === AT_COMMIT) throw new StoreError('INTERNAL', `${formatKey(key)} was written at a revision not yet known: the writer must read its own state`);
      return value === NUMBER ? this.#numberBytes(key) : value;
    }
    if (this.#reads.has(key)) return this.#reads.get(key);
    const value = this.#read(key);
    if (value instanceof Promise) return value.then((read) => this.#noteRead(key, read));
    return this.#noteRead(key, value);
  }

  #noteRead(key: string, value: Uint8Array | undefined): Uint8Array | undefined {
    this.#reads.set(key, value);
    return value;
  }

  /**
   * Makes the committed value of `key` a precondition, even when this transaction has written the
   * key itself: a range guard (see the module comment) must hold against other writers whatever
   * this transaction wrote to it. Returns whether the guarded range may hold entries: the guard is
   * stored, or this transaction wrote it (a guard is present whenever its range holds an entry).
   * At once when the guard's value is at hand, as `read`.
   */
  guard(key: string): MaybePromise<boolean> {
    if (this.#reads.has(key)) return this.#guarded(key);
    const value = this.#read(key);
    if (value instanceof Promise) return value.then((read) => this.#noteGuard(key, read));
    return this.#noteGuard(key, value);
  }

  #noteGuard(key: string, value: Uint8Array | undefined): boolean {
    this.#reads.set(key, value);
    return this.#guarded(key);
  }

  #guarded(key: string): boolean {
    return this.#reads.get(key) !== undefined || this.#writes.has(key);
  }

  /**
   * Whether the committed value of `key` is still the one this transaction first read (asked of
   * the engine again): when it is not, the commit will fail, since the read is a precondition.
   */
  async stillAsRead(key: string): Promise<boolean> {
    if (!this.#reads.has(key)) throw new StoreError('INTERNAL', `${formatKey(key)} was not read by this transaction`);
    const was = this.#reads.get(key);
    const now = await this.#read(key);
    return now === undefined || was === undefined ? now === was : Buffer.compare(now, was) === 0;
  }

  /** Whether this transaction has written `key` (put, deleted, moved or made at commit). */
  wrote(key: string): boolean {
    return this.#writes.has(key);
  }

  put(key: string, value: Uint8Array): void {
    this.#buffer(key, value);
  }

  del(key: string): void {
    this.#buffer(key, undefined);
  }

  /**
   * Moves the number stored at `key` (as `codec` stores it) by `delta`. The first move reads the
   * key as `read` does, and returns a promise only while that read is in flight; later moves move
   * the number the transaction holds at once (a batch of relationships moves the count of a Node
   * once per Pod it binds). Returns undefined once moved. The number is encoded once, as the write
   * commits (0: the key is deleted).
   */
  move(key: string, delta: number, codec: NumberCodec): Promise<void> | undefined {
    const held = this.#writes.get(key) === NUMBER ? this.#numbers.get(key) : undefined;
    if (held !== undefined) {
      held.value += delta;
      return undefined;
    }
    const bytes = this.read(key);
    if (bytes instanceof Promise) return bytes.then((read) => this.#hold(key, codec.decode(read, key) + delta, codec));
    this.#hold(key, codec.decode(bytes, key) + delta, codec);
    return undefined;
  }

  #hold(key: string, value: number, codec: NumberCodec): void {
    this.#numbers.set(key, { value, codec });
    this.#buffer(key, NUMBER);
  }

  /** The bytes of a moved number as they would commit now. */
  #numberBytes(key: string): Uint8Array | undefined {
    const { value, codec } = this.#numbers.get(key)!;
    return value === 0 ? undefined : codec.encode(value);
  }

  #buffer(key: string, value: Uint8Array | undefined | typeof AT_COMMIT | typeof NUMBER): void {
    if (!this.#writes.has(key)) this.#unsortedKeys.push(key);
    this.#writes.set(key, value);
  }

  /** Moves a named engine counter by `delta` when the transaction commits. */
  count(name: string, delta: number): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + delta);
  }

  /** Records one change: the transaction takes one more store revision, and logs and publishes it. */
  change(change: Change): void {
    this.#changes.push(change);
  }

  /**
   * Records one change whose stored state depends on the revision it takes: `late` runs once, as
   * the write commits, in the order of the changes. With `key`, the value it makes is written to
   * `key` (unless a later write of the transaction replaces or deletes it); until then the key
   * cannot be read through the transaction, so its writer keeps the state it wrote.
   */
  changeAt(late: RevisionedChange, key?: string): void {
    this.#changes.push({ key, late });
    if (key !== undefined) this.#buffer(key, AT_COMMIT);
  }

  /** Runs `hook` synchronously once the transaction has committed, in commit order. */
  afterCommit(hook: () => void): void {
    this.#afterCommit.push(hook);
  }

  /**
   * Every key with this prefix as the transaction sees it: committed keys, plus its puts, less its
   * deletes. `guard`: the key that guards the range (see the module comment), read first by this
   * transaction. When its committed value is absent, the committed range is empty (a writer into
   * it writes the guard, and the read is a precondition), so the engine is not asked: a batch
   * that fills a namespace lists what it wrote itself without a scan.
   */
  async keysWithPrefix(prefix: string, guard?: string): Promise<string[]> {
    const range = prefixRange(prefix);
    const keys = new Set<string>();
    const committedEmpty = guard !== undefined && this.#reads.has(guard) && this.#reads.get(guard) === undefined;
    if (!committedEmpty) for await (const chunk of this.#scan(range)) for (const key of chunk) keys.add(key);
    for (const key of this.#unsortedKeys) this.#writtenKeys.set(key, true);
    this.#unsortedKeys = [];
    this.#writtenKeys.forRange(range.gte, range.lt, false, (key) => {
      const value = this.#writes.get(key);
      if (value === undefined || (value === NUMBER && this.#numbers.get(key)!.value === 0)) keys.delete(key);
      else keys.add(key);
    });
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
    const madeAtCommit = new Set<string>();
    // `forEach`, not `for…of` over entries: no pair made per key (a batch writes thousands).
    this.#writes.forEach((value, key) => {
      if (value === NUMBER) {
        const bytes = this.#numberBytes(key);
        if (bytes === undefined) dels.push(key);
        else puts.push([key, bytes]);
      } else if (value === undefined) dels.push(key);
      else if (value === AT_COMMIT) madeAtCommit.add(key);
      else puts.push([key, value]);
    });
    const readAt = this.#readAt;
    const checks: Precondition[] = [];
    this.#reads.forEach((value, key) => checks.push(readAt === undefined ? { key, value } : { key, value, readAt }));
    const hooks = this.#afterCommit;
    const pending = this.#changes;
    let changes: readonly Change[] = [];
    /** The changes at their revisions, the values made for their keys, and the log entries. */
    const atRevision = (first: number): Array<[string, Uint8Array]> => {
      const made = new Map<string, Uint8Array>();
      changes = pending.map((entry, i) => {
        if (!('late' in entry)) return entry;
        const { change, value } = entry.late(first + i);
        if (entry.key !== undefined && value !== undefined) made.set(entry.key, value);
        return change;
      });
      const late: Array<[string, Uint8Array]> = [];
      for (const key of madeAtCommit) late.push([key, made.get(key)!]);
      return [...late, ...handler.logEntries(changes, first, now)];
    };
    return {
      checks,
      puts,
      dels,
      counters: [...this.#counters].filter(([, delta]) => delta !== 0),
      changes: pending.length,
      ...(pending.length > 0 ? { atRevision } : {}),
      onCommit: (result) => {
        for (const hook of hooks) hook();
        if (changes.length > 0) handler.committed(changes, result.firstRevision);
      },
    };
  }
}
