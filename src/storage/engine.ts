/**
 * The storage engine boundary: the one narrow interface everything above storage is written
 * against. Two engines implement it: LevelDB (one process owns the data) and PostgreSQL (many
 * processes on many machines share it); etcd, whose Txn compares and revisions fit it exactly,
 * would be a third.
 *
 * An engine offers ordered string keys with byte values, point reads, range scans, snapshots, and
 * one kind of write: *preconditions + puts + deletes (+ counter deltas)*, committed atomically at
 * the next store-wide revisions. The engine assigns the revisions (contiguous, in commit order,
 * across every process that shares the data) and checks a write's preconditions inside the commit,
 * so nothing above it relies on a read made earlier still holding. Every process learns of every
 * commit, in revision order, exactly once: its own through each write's `onCommit`, the others'
 * through the follower it registers with `follow`.
 */

/** A key that must hold exactly `value` (or be absent, when `value` is undefined) for a write to commit. */
export interface Precondition {
  readonly key: string;
  readonly value: Uint8Array | undefined;
  /**
   * The engine's `commits` when the value was read, if the reader knows it. An engine that is not
   * `shared` may skip re-reading a key that no commit since then has written; a shared one checks
   * every precondition in the database.
   */
  readonly readAt?: number;
}

/** One atomic write. */
export interface EngineWrite {
  /** Every one must hold at commit time, or the write fails with PreconditionFailed and nothing of it lands. */
  readonly checks: readonly Precondition[];
  readonly puts: ReadonlyArray<readonly [key: string, value: Uint8Array]>;
  readonly dels: readonly string[];
  /** Named counters to move by a delta (e.g. resources per type), applied in commit order. */
  readonly counters: ReadonlyArray<readonly [key: string, delta: number]>;
  /** How many store revisions the write takes: one per change it makes (0 for none). */
  readonly changes: number;
  /** Puts whose content depends on the revisions the write takes (the change log), given the first. */
  readonly atRevision?: (firstRevision: number) => ReadonlyArray<readonly [key: string, value: Uint8Array]>;
  /**
   * Called synchronously once the write has landed, in revision order with every other commit's
   * hook and follower call, before the committing caller resumes: where caches and event routers
   * learn of it. (On a shared engine whose database went away between the commit and the delivery
   * of other processes' earlier commits, the caller resumes first and the hook runs, still in
   * revision order, once the database is back.)
   */
  readonly onCommit?: (result: CommitResult) => void;
}

/** What a committed write was given. */
export interface CommitResult {
  /** The first revision the write took; with `changes` 0, the store's revision at commit. */
  readonly firstRevision: number;
  /** The last revision the write took (= firstRevision + changes - 1, or the store's revision). */
  readonly lastRevision: number;
}

/** The reason a write did not commit: `checks[index]` did not hold. */
export class PreconditionFailed extends Error {
  constructor(readonly index: number) {
    super(`precondition ${index} did not hold`);
  }
}

/** A consistent read view: reads through it see the store as of one instant. */
export interface EngineSnapshot {
  close(): Promise<void>;
}

/** Options of a range scan. */
export interface ScanOptions {
  readonly gte?: string;
  readonly gt?: string;
  readonly lt: string;
  readonly limit?: number;
  readonly snapshot?: EngineSnapshot;
  /** Read-ahead in bytes; larger for long scans, small for short pages. */
  readonly readAheadBytes?: number;
}

/**
 * Learns of commits made by other processes: the revisions after `after` up to and including
 * `upTo` were committed elsewhere (their change-log entries are in the key space). A follower that
 * rejects must have done nothing: the engine calls it again with the same range later.
 */
export type CommitFollower = (after: number, upTo: number) => Promise<void>;

/** The engine interface (see the module comment). */
export interface Engine {
  /** The last revision delivered to this process (its own commits and, on a shared engine, the others' it has learnt of). */
  readonly revision: number;
  /** True when other processes may commit to the same data: process-local knowledge of committed state may be stale. */
  readonly shared: boolean;
  /** How many batches have been committed since the engine opened: a read made at `commits` = n sees every one of them. */
  readonly commits: number;
  /** The value of `key` (latest, or as of `snapshot`). The bytes may be shared with other readers of the key: never change them. */
  get(key: string, snapshot?: EngineSnapshot): Promise<Uint8Array | undefined>;
  /** `get` of the latest value, answered before it returns, on engines that read synchronously (LevelDB); absent elsewhere. */
  getNow?(key: string): Uint8Array | undefined;
  getMany(keys: readonly string[], snapshot?: EngineSnapshot): Promise<Array<Uint8Array | undefined>>;
  /** Entries of a range in key order, in chunks. */
  scan(options: ScanOptions): AsyncIterable<ReadonlyArray<readonly [string, Uint8Array]>>;
  /** Keys of a range in key order, in chunks. */
  scanKeys(options: ScanOptions): AsyncIterable<readonly string[]>;
  snapshot(): EngineSnapshot;
  /** The revision a snapshot saw: every commit up to it and none after. */
  revisionAt(snapshot: EngineSnapshot): Promise<number>;
  /**
   * Registers the follower of other processes' commits (at most one; a later call replaces it).
   * The engine calls it in revision order, never concurrently, interleaved with its own writes'
   * `onCommit` hooks so that each revision is delivered once. Engines no other process writes
   * never call it.
   */
  follow(follower: CommitFollower): void;
  /** Commits a write; rejects with PreconditionFailed when a check does not hold. */
  commit(write: EngineWrite): Promise<CommitResult>;
  /**
   * The current value of a counter, as of the last delivered commit (on a shared engine, possibly
   * of a later one: other processes' counters are read from the database as their commits are
   * delivered; `countersAt` is exact).
   */
  counter(key: string): number;
  /** Every counter, as `counter` gives each. */
  counters(): ReadonlyMap<string, number>;
  /** Every counter, as of a snapshot. */
  countersAt(snapshot: EngineSnapshot): Promise<ReadonlyMap<string, number>>;
  /** Bytes the data takes: on disk, the files' sizes; in memory, keys and values. */
  storageBytes(): Promise<number>;
  /** Waits for queued writes, then closes. */
  close(): Promise<void>;
}
