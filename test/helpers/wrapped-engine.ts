/**
 * An engine that delegates to a real one, with hooks for tests: hold range scans (all, or some)
 * until released (to make a replay slow, deterministically) and say when one is held, hold the
 * reads of some keys (to land another write between a scan and the reads of what it found), note where
 * each scan starts, hold the delivery of commits that landed, hold the following of other
 * processes' commits, and fail the next commits (as a full disk would).
 */
import type { CommitFollower, CommitResult, Engine, EngineSnapshot, EngineWrite, ScanOptions } from '../../src/storage/engine.js';
import { StoreError } from '../../src/storage/errors.js';

export class WrappedEngine implements Engine {
  readonly #inner: Engine;
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;
  #holds: (start: string) => boolean = () => true;
  #waiting: Array<() => void> = [];
  /** While delivery is held: the commits landed and not yet delivered, and the revision delivered last. */
  #undelivered: Array<() => void> | undefined;
  #delivered = 0;
  #landing: Array<() => void> = [];
  /** While following is held: what releases it. */
  #following: { readonly held: Promise<void>; readonly release: () => void } | undefined;
  /** While reads are held: which keys, what releases them, and who waits to hear one is held. */
  #heldReads: { readonly holds: (key: string) => boolean; readonly held: Promise<void>; readonly release: () => void; readonly waiting: Array<() => void> } | undefined;
  /** How many of the next commits fail with INTERNAL. */
  failCommits = 0;
  /** Where each range scan started (its `gte`, or `gt`), in order. */
  readonly scanned: string[] = [];

  constructor(inner: Engine) {
    this.#inner = inner;
  }

  /** Holds every range scan from now until `release`, or those whose start `holds` picks. */
  holdScans(holds: (start: string) => boolean = () => true): void {
    this.#holds = holds;
    this.#held = new Promise((resolve) => (this.#release = resolve));
  }

  /** Resolves once a scan is being held. */
  scanHeld(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async #wait(start: string): Promise<void> {
    this.scanned.push(start);
    if (!this.#held || !this.#holds(start)) return;
    for (const resolve of this.#waiting.splice(0)) resolve();
    await this.#held;
  }

  release(): void {
    this.#release?.();
    this.#held = undefined;
  }

  /** Holds every read (`get`, `getMany`) of a key `holds` picks from now until `releaseReads`. */
  holdReads(holds: (key: string) => boolean): void {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    this.#heldReads = { holds, held, release, waiting: [] };
  }

  /** Resolves once a read is being held. */
  readHeld(): Promise<void> {
    const reads = this.#heldReads;
    if (reads === undefined) return Promise.reject(new Error('no reads are held'));
    return new Promise((resolve) => reads.waiting.push(resolve));
  }

  releaseReads(): void {
    this.#heldReads?.release();
    this.#heldReads = undefined;
  }

  async #waitToRead(keys: readonly string[]): Promise<void> {
    const reads = this.#heldReads;
    if (reads === undefined || !keys.some(reads.holds)) return;
    for (const resolve of reads.waiting.splice(0)) resolve();
    await reads.held;
  }

  /**
   * From now until `releaseDelivery`, commits land (a snapshot sees them) but are not delivered:
   * their `onCommit` waits, their writers wait, and `revision` stays where it is. This is the
   * window between a write landing in the engine and its delivery, held open.
   */
  holdDelivery(): void {
    this.#delivered = this.#inner.revision;
    this.#undelivered = [];
  }

  /** Resolves once a commit has landed while delivery is held. */
  landed(): Promise<void> {
    return new Promise((resolve) => this.#landing.push(resolve));
  }

  releaseDelivery(): void {
    const undelivered = this.#undelivered ?? [];
    this.#undelivered = undefined;
    for (const deliver of undelivered) deliver();
  }

  get revision(): number {
    return this.#undelivered ? this.#delivered : this.#inner.revision;
  }
  get commits(): number {
    return this.#inner.commits;
  }
  get shared(): boolean {
    return this.#inner.shared;
  }
  follow(follower: CommitFollower): void {
    this.#inner.follow(async (after, upTo) => {
      await this.#following?.held;
      await follower(after, upTo);
    });
  }

  /** From now until `releaseFollowing`, other processes' commits are not delivered: this process falls behind. */
  holdFollowing(): void {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    this.#following = { held, release };
  }

  releaseFollowing(): void {
    this.#following?.release();
    this.#following = undefined;
  }
  async get(key: string, snapshot?: EngineSnapshot) {
    await this.#waitToRead([key]);
    return this.#inner.get(key, snapshot);
  }
  async getMany(keys: readonly string[], snapshot?: EngineSnapshot) {
    await this.#waitToRead(keys);
    return this.#inner.getMany(keys, snapshot);
  }
  async *scan(options: ScanOptions) {
    await this.#wait(options.gte ?? options.gt ?? '');
    yield* this.#inner.scan(options);
  }
  async *scanKeys(options: ScanOptions) {
    await this.#wait(options.gte ?? options.gt ?? '');
    yield* this.#inner.scanKeys(options);
  }
  snapshot() {
    return this.#inner.snapshot();
  }
  revisionAt(snapshot: EngineSnapshot) {
    return this.#inner.revisionAt(snapshot);
  }
  commit(write: EngineWrite): Promise<CommitResult> {
    if (this.failCommits > 0) {
      this.failCommits--;
      return Promise.reject(new StoreError('INTERNAL', 'write failed: injected by the test'));
    }
    const undelivered = this.#undelivered;
    if (undelivered === undefined) return this.#inner.commit(write);
    let delivered!: () => void;
    const done = new Promise<void>((resolve) => (delivered = resolve));
    const landed = this.#inner.commit({
      ...write,
      onCommit: (result) => {
        undelivered.push(() => {
          write.onCommit?.(result);
          delivered();
        });
        for (const resolve of this.#landing.splice(0)) resolve();
      },
    });
    return landed.then(async (result) => {
      await done;
      return result;
    });
  }
  counter(key: string) {
    return this.#inner.counter(key);
  }
  counters() {
    return this.#inner.counters();
  }
  countersAt(snapshot: EngineSnapshot) {
    return this.#inner.countersAt(snapshot);
  }
  storageBytes() {
    return this.#inner.storageBytes();
  }
  close() {
    return this.#inner.close();
  }
}

/** An engine whose commits fail from the `crashAfter`-th on, as if the process died there. */
export class CrashingEngine extends WrappedEngine {
  crashAfter = Infinity;
  #seen = 0;
  override commit(write: EngineWrite): Promise<CommitResult> {
    if (this.#seen++ >= this.crashAfter) return Promise.reject(new Error('the process died here'));
    return super.commit(write);
  }
}
