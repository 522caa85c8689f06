/**
 * The relationship cache: the whole answers of recent relationship scans that one resource bounds
 * (its relationships out, of one predicate or all, or in), as the frozen relationships a query
 * returns and the keys they were read under, shared by every caller until that resource's
 * relationships change. A dashboard asking again what is connected to a Deployment, and a
 * traversal walking the same neighbourhood, then read memory instead of scanning three orders
 * of LevelDB through its thread pool.
 *
 * Exact, not eventually consistent: every committed relationship change drops the answers of
 * both its ends (`changed`, called synchronously as the change is delivered, before its writer
 * hears of it), so an answer held is the latest committed state of its scan. A scan that raced a
 * change of its end is not kept: each change counts a tick and marks its ends with it, and a scan
 * is kept only if its end was not marked after the tick the scan started at (`startScans`). The
 * marks are bounded too (least recently marked out first; all let go whenever no scan is in
 * flight); an end whose mark was let go counts as marked at the latest tick let go.
 *
 * On an engine other processes write (PostgreSQL), their changes drop answers as this process
 * learns of them, and a held answer is given only after one read of the database's revision finds
 * it equal to the revision this process has learnt up to (relationship-api.ts): nothing then has
 * changed that this process has not applied.
 */
import { LRUCache } from 'lru-cache';
import type { Relationship } from '../model/relationship-types.js';
import { endCountKey } from './relation-keys.js';

/** Bounds of the relationship cache. */
export interface RelationCacheOptions {
  /** Most scan answers held; 0 turns the cache off. Default 10,000. */
  readonly maxQueries?: number;
  /** Most bytes held, approximately (about 1 KiB a relationship). Default 32 MiB. */
  readonly maxBytes?: number;
}

export const DEFAULT_RELATION_QUERIES = 10_000;
export const DEFAULT_RELATION_BYTES = 32 * 1024 * 1024;

/** What a held relationship costs, in V8 objects (the object, its refs, predicate and times) and its key. */
const BYTES_PER_RELATIONSHIP = 1024;
/** Ends whose last change is remembered exactly while scans are in flight. */
const MARKS = 10_000;

/** The whole answer of one prefix scan, in key order. */
export interface ScanAnswer {
  readonly keys: readonly string[];
  readonly items: readonly Relationship[];
}

interface Held extends ScanAnswer {
  readonly end: string;
}

export class RelationCache {
  readonly #answers: LRUCache<string, Held>;
  /** The prefixes held for each end, so that a change drops exactly its ends' answers. */
  readonly #byEnd = new Map<string, Set<string>>();
  /** The tick of each end's last change. */
  readonly #marks = new LRUCache<string, number>({
    max: MARKS,
    dispose: (tick, _end, reason) => {
      if (reason === 'evict' && tick > this.#forgotten) this.#forgotten = tick;
    },
  });
  /** The latest tick of a mark let go: an end without a mark may have changed as late as this. */
  #forgotten = 0;
  #tick = 0;
  /** Scans started and not yet ended: while there are none, changes need no marks. */
  #scanning = 0;
  /**
   * The revision up to which committed changes have been applied (`delivered`): what a held
   * answer is the state at. It can trail the engine's revision while the commits of one group are
   * delivered one by one, and a subscriber that asks during one of them gets that commit's state.
   */
  #upTo: number;
  /** Scans answered from memory, and scans read (`answered`). */
  #hits = 0;
  #misses = 0;

  /** A cache of at most `maxQueries` answers (at least one) and about `maxBytes`, of a store at `revision`. */
  constructor(maxQueries: number, maxBytes: number, revision: number) {
    this.#upTo = revision;
    this.#answers = new LRUCache<string, Held>({
      max: maxQueries,
      maxSize: maxBytes,
      // One answer takes at most a sixteenth of the bound, and an answer of one relationship always fits a bound that holds it.
      maxEntrySize: Math.min(maxBytes, Math.max(2 * BYTES_PER_RELATIONSHIP, maxBytes / 16)),
      sizeCalculation: (held) => BYTES_PER_RELATIONSHIP * (held.items.length + 1),
      dispose: (held, prefix) => {
        const prefixes = this.#byEnd.get(held.end);
        prefixes?.delete(prefix);
        if (prefixes?.size === 0) this.#byEnd.delete(held.end);
      },
    });
  }

  /** The revision a held answer is the state at (see `#upTo`). */
  get upTo(): number {
    return this.#upTo;
  }

  get hits(): number {
    return this.#hits;
  }

  get misses(): number {
    return this.#misses;
  }

  /** How many answers are held. */
  get size(): number {
    return this.#answers.size;
  }

  /** Whether `answer` is still the one held for `prefix` (nothing dropped it since it was read). */
  holds(prefix: string, answer: ScanAnswer): boolean {
    return this.#answers.peek(prefix) === answer;
  }

  /** The held answer of the scan of `prefix`, if any. */
  get(prefix: string): ScanAnswer | undefined {
    return this.#answers.get(prefix);
  }

  /** Counts a scan answered from memory (`fromMemory`), or read. */
  answered(fromMemory: boolean): void {
    if (fromMemory) this.#hits++;
    else this.#misses++;
  }

  /**
   * Scans begin: the tick to keep their answers with. Until the matching `endScans`, changes mark
   * their ends, so that an answer read since is kept only if its end did not change.
   */
  startScans(): number {
    this.#scanning++;
    return this.#tick;
  }

  endScans(): void {
    // With no scan in flight no mark can matter: a scan begun later starts at a later tick.
    if (--this.#scanning === 0) this.#marks.clear();
  }

  /** Whether a relationship of `end` changed after `tick` (between `startScans` and `endScans`). */
  changedSince(end: string, tick: number): boolean {
    return (this.#marks.get(end) ?? this.#forgotten) > tick;
  }

  /**
   * The whole answer of the scan of `prefix`, whose relationships all name `end`, read in scans
   * that started at `tick`: held, unless a relationship of `end` changed since. The caller offers
   * only answers read from a snapshot whose commits have all been delivered (a commit that landed
   * but was not yet delivered would have marked nothing yet).
   */
  keep(prefix: string, end: string, tick: number, answer: ScanAnswer): void {
    if (this.changedSince(end, tick)) return;
    this.#answers.set(prefix, { ...answer, end });
    if (!this.#answers.has(prefix)) return; // too big to hold
    let prefixes = this.#byEnd.get(end);
    if (prefixes === undefined) this.#byEnd.set(end, (prefixes = new Set()));
    prefixes.add(prefix);
  }

  /** Whether a change matters now: answers are held, or scans are in flight. While not, `changed` need not be told. */
  get watching(): boolean {
    return this.#answers.size > 0 || this.#scanning > 0;
  }

  /** The changes up to `revision` have been applied (those of relationships through `changed`, first). */
  delivered(revision: number): void {
    if (revision > this.#upTo) this.#upTo = revision;
  }

  /** Relationships were committed: the answers naming their ends go, and scans in flight that read them are not kept. */
  changed(relationships: readonly Relationship[]): void {
    if (relationships.length === 0) return;
    this.#tick++;
    for (const { subject, object } of relationships) {
      this.#touch(endCountKey(subject));
      this.#touch(endCountKey(object));
    }
  }

  /**
   * Changes this process cannot name were committed (it fell behind the change log's retention):
   * every answer goes, and no scan in flight is kept.
   */
  forgetAll(): void {
    this.#forgotten = ++this.#tick;
    this.#marks.clear();
    this.#answers.clear();
  }

  #touch(end: string): void {
    if (this.#scanning > 0) this.#marks.set(end, this.#tick);
    const prefixes = this.#byEnd.get(end);
    if (prefixes === undefined) return;
    for (const prefix of [...prefixes]) this.#answers.delete(prefix);
  }
}
