/**
 * The change log: one entry per committed change, `/log/{revision}`, written in the batch of the
 * change it records, so the log holds exactly the committed changes, in order, with no gaps. It
 * serves replays (`fromRevision`), read a short chunk at a time as each subscriber asks, and is
 * bounded by a retention policy: a background compactor deletes the oldest entries, in small
 * batches that take no revision and share group commits with writers instead of blocking them.
 * `/meta/log-start` holds the first revision still retained.
 */
import { resourcestore } from '../gen/schema.js';
import type { PredicateRegistry } from '../relations/predicates.js';
import { decodeRelationship } from '../relations/relation-codec.js';
import { PreconditionFailed, type Engine } from '../storage/engine.js';
import { StoreError } from '../storage/errors.js';
import { LOG_SECTION, LOG_START_KEY } from '../storage/key-catalogue.js';
import { decodeKey, encodeKey } from '../storage/key-codec.js';
import { decodeNumber, encodeNumber, longToNumber } from '../storage/number-codec.js';
import { decodeRecord, toResource } from '../model/resource-codec.js';
import { encodeMessage } from '../model/message-encoder.js';
import type { ChangeHandler } from '../txn/transaction.js';
import type { Change } from '../model/change.js';
import { toEvent } from './change.js';
import type { EventType, StoreEvent } from './types.js';

const pb = resourcestore.v1;
const COMPACT_BATCH = 1000;

/** How much of the change log is kept. */
export interface RetentionOptions {
  /** Most entries kept. Default 100,000. */
  readonly maxEvents?: number;
  /** Entries older than this many milliseconds are removed. Default 24 hours. */
  readonly maxAgeMs?: number;
  /** How often the compactor runs, in milliseconds. Default 10 seconds. */
  readonly compactIntervalMs?: number;
}

export const DEFAULT_RETENTION = { maxEvents: 100_000, maxAgeMs: 24 * 60 * 60 * 1000, compactIntervalMs: 10_000 } as const;

/** The key of the log entry at `revision`: fixed-width digits, so key order is revision order. */
export function logKey(revision: number): string {
  return encodeKey(LOG_SECTION, String(revision).padStart(16, '0'));
}

function revisionOfLogKey(key: string): number {
  return Number(decodeKey(key).fields[0]);
}

const TYPES = { add: pb.ChangeType.ADD, update: pb.ChangeType.UPDATE, delete: pb.ChangeType.DELETE } as const;
const TYPE_NAMES = new Map<number, EventType>([[pb.ChangeType.ADD, 'add'], [pb.ChangeType.UPDATE, 'update'], [pb.ChangeType.DELETE, 'delete']]);


/** What the log reports to metrics. */
export interface ChangeLogObserver {
  compacted(entries: number): void;
}

export class ChangeLog implements ChangeHandler {
  readonly #engine: Engine;
  readonly #predicates: PredicateRegistry;
  readonly #retention: Required<RetentionOptions>;
  readonly #publish: (events: StoreEvent[]) => void;
  readonly #observer: ChangeLogObserver;
  #first: number;
  #compacting: Promise<number> | undefined;
  readonly #timer: NodeJS.Timeout;

  /** Where the log of a store starts (one key read; never a scan). */
  static async readStart(engine: Engine): Promise<number> {
    const stored = await engine.get(LOG_START_KEY);
    return stored === undefined ? 1 : decodeNumber(stored, 'the log start');
  }

  /** A log starting at `first` (see `readStart`); its compactor runs in the background until `close`. */
  constructor(
    engine: Engine,
    first: number,
    predicates: PredicateRegistry,
    retention: Required<RetentionOptions>,
    publish: (events: StoreEvent[]) => void,
    observer: ChangeLogObserver,
  ) {
    this.#engine = engine;
    this.#first = first;
    this.#predicates = predicates;
    this.#retention = retention;
    this.#publish = publish;
    this.#observer = observer;
    this.#timer = setInterval(() => void this.compact().catch(() => undefined), retention.compactIntervalMs);
    this.#timer.unref();
  }

  /** The oldest revision still in the log (the store revision + 1 when the log is empty). */
  get firstRevision(): number {
    return this.#first;
  }

  /** How many entries the log holds. */
  get size(): number {
    return Math.max(0, this.#engine.revision - this.#first + 1);
  }

  logEntries(changes: readonly Change[], first: number, now: number): Array<[string, Uint8Array]> {
    return changes.map((change, i) => [
      logKey(first + i),
      encodeMessage(pb.ChangeEvent, {
        kind: change.kind === 'resource' ? pb.ChangeKind.RESOURCE : pb.ChangeKind.RELATIONSHIP,
        type: TYPES[change.type],
        object: change.bytes,
        ...(change.previousBytes ? { previous: change.previousBytes } : {}),
        timeMs: now,
      }),
    ]);
  }

  committed(changes: readonly Change[], first: number): void {
    this.#publish(changes.map((change, i) => toEvent(change, first + i)));
  }

  #decode(key: string, bytes: Uint8Array): StoreEvent {
    const revision = revisionOfLogKey(key);
    try {
      const m = pb.ChangeEvent.decode(bytes);
      const type = TYPE_NAMES.get(m.type);
      if (type === undefined) throw new Error(`unknown change type ${m.type}`);
      if (m.kind === pb.ChangeKind.RESOURCE) {
        return Object.freeze({
          kind: 'resource',
          type,
          revision,
          resource: toResource(decodeRecord(m.object, key)),
          ...(m.previous.byteLength > 0 ? { previous: toResource(decodeRecord(m.previous, key)) } : {}),
        });
      }
      return Object.freeze({
        kind: 'relationship',
        type,
        revision,
        relationship: decodeRelationship(m.object, key, this.#predicates),
        ...(m.previous.byteLength > 0 ? { previous: decodeRelationship(m.previous, key, this.#predicates) } : {}),
      });
    } catch (cause) {
      if (cause instanceof StoreError) throw cause;
      throw new StoreError('CORRUPTED', `change-log entry ${revision} cannot be decoded: ${(cause as Error).message}`, { cause });
    }
  }

  #compactedError(after: number): StoreError {
    return new StoreError(
      'COMPACTED',
      `revision ${after} is compacted: the change log starts after revision ${this.#first - 1}; list again and watch from the list's revision`,
      { revision: this.#first - 1 },
    );
  }

  /** Throws COMPACTED unless every change after `after` is still in the log. */
  checkRetained(after: number): void {
    if (after + 1 < this.#first) throw this.#compactedError(after);
  }

  /**
   * The events after revision `after` up to and including `until`, in order; COMPACTED if any is
   * gone. One short scan: a replay reads the log a chunk at a time, as its consumer asks, and
   * holds no iterator (and so pins no engine state) between chunks.
   */
  async read(after: number, until: number): Promise<StoreEvent[]> {
    this.checkRetained(after);
    const events: StoreEvent[] = [];
    let expected = after + 1;
    if (expected > until) return events;
    for await (const chunk of this.#engine.scan({ gte: logKey(expected), lt: logKey(until + 1) })) {
      for (const [key, bytes] of chunk) {
        if (revisionOfLogKey(key) !== expected) throw this.#compactedError(after);
        expected++;
        events.push(this.#decode(key, bytes));
      }
    }
    if (expected !== until + 1) throw this.#compactedError(after);
    return events;
  }

  /** Removes what the retention policy no longer keeps; resolves to the number of entries removed. */
  async compact(): Promise<number> {
    // One at a time; a call made while one runs waits for it, then compacts to the retention as of now.
    while (this.#compacting) await this.#compacting.catch(() => undefined);
    this.#compacting = this.#compact().finally(() => (this.#compacting = undefined));
    return this.#compacting;
  }

  async #compact(): Promise<number> {
    // Another process sharing the engine may have compacted: start where the log starts now.
    if (this.#engine.shared) this.#first = Math.max(this.#first, await ChangeLog.readStart(this.#engine));
    const current = this.#engine.revision;
    let keepFrom = Math.max(this.#first, current - this.#retention.maxEvents + 1);
    const cutoff = Date.now() - this.#retention.maxAgeMs;
    scan: for await (const chunk of this.#engine.scan({ gte: logKey(keepFrom), lt: logKey(current + 1) })) {
      for (const [key, bytes] of chunk) {
        if (longToNumber(pb.ChangeEvent.decode(bytes).timeMs) >= cutoff) break scan;
        keepFrom = revisionOfLogKey(key) + 1;
      }
    }
    let removed = 0;
    while (this.#first < keepFrom) {
      const from = this.#first;
      const to = Math.min(keepFrom, from + COMPACT_BATCH);
      const dels: string[] = [];
      for (let revision = from; revision < to; revision++) dels.push(logKey(revision));
      try {
        await this.#engine.commit({
          checks: [{ key: LOG_START_KEY, value: from === 1 ? undefined : encodeNumber(from) }],
          puts: [[LOG_START_KEY, encodeNumber(to)]],
          dels,
          counters: [],
          changes: 0,
          onCommit: () => (this.#first = to),
        });
      } catch (err) {
        if (!(err instanceof PreconditionFailed)) throw err;
        // Another process compacted meanwhile: go on from where it left the log.
        this.#first = Math.max(this.#first, await ChangeLog.readStart(this.#engine));
        continue;
      }
      removed += to - from;
    }
    if (removed > 0) this.#observer.compacted(removed);
    return removed;
  }

  /** Stops the compactor and waits for a compaction under way. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#compacting?.catch(() => undefined);
  }
}
