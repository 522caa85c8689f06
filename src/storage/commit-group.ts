/**
 * Forming a group commit, the same for every engine: the writes queued while the last group was
 * written are decided in arrival order, each against the store as it will be (what is committed
 * plus the earlier writes of the group), so each keeps its own outcome. A write whose
 * precondition fails is rejected alone; the others take their revisions, in order, and their
 * puts, deletes and counter moves. The engine then writes the group's final values (the counters
 * and the revision among them) in one batch or one transaction.
 */
import { PreconditionFailed, type CommitResult, type EngineWrite, type Precondition } from './engine.js';
import { COUNTER_SECTION, REVISION_KEY } from './key-catalogue.js';
import { decodeKey, encodeKey, prefixRange } from './key-codec.js';
import { decodeNumber, encodeNumber } from './number-codec.js';

/** A queued write and how to refuse it. */
export interface GroupMember {
  readonly write: EngineWrite;
  reject(err: unknown): void;
}

/** The committed state a group is formed against. */
export interface GroupBase {
  /** The store revision before the group. */
  readonly revision: number;
  /** A key's committed value. */
  read(key: string): Uint8Array | undefined;
  /** A counter's committed value. */
  counter(name: string): number;
  /** False when the engine knows the value a check read is still the committed one (default: check every one). */
  mustCheck?(check: Precondition): boolean;
}

/** What a group does. */
export interface FormedGroup<M> {
  readonly accepted: Array<{ readonly member: M; readonly result: CommitResult }>;
  /** Every key the group writes, at its final value (undefined: deleted); the counters and the revision included. */
  readonly writes: Map<string, Uint8Array | undefined>;
  /** The counters the group moved, at their new values (0: gone). */
  readonly counters: Map<string, number>;
  /** The store revision after the group. */
  readonly revision: number;
}

/** The key of a named counter. */
export function counterKey(name: string): string {
  return encodeKey(COUNTER_SECTION, name);
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/** Decides each member of `group` (rejecting those whose checks fail) and what the group writes. */
export function formGroup<M extends GroupMember>(group: readonly M[], base: GroupBase): FormedGroup<M> {
  const writes = new Map<string, Uint8Array | undefined>();
  const counters = new Map<string, number>();
  const current = (key: string): Uint8Array | undefined => (writes.has(key) ? writes.get(key) : base.read(key));
  const accepted: Array<{ member: M; result: CommitResult }> = [];
  let revision = base.revision;
  for (const member of group) {
    const { write } = member;
    const failed = write.checks.findIndex(
      (check) => (writes.has(check.key) || (base.mustCheck?.(check) ?? true)) && !sameBytes(current(check.key), check.value),
    );
    if (failed >= 0) {
      member.reject(new PreconditionFailed(failed));
      continue;
    }
    const first = revision + 1;
    revision += write.changes;
    // Indexed loops: a batch of 1,000 Pods puts some 20,000 entries, and `for…of` here made an iterator result for each.
    const { puts, dels } = write;
    for (let i = 0; i < puts.length; i++) writes.set(puts[i]![0], puts[i]![1]);
    const late = write.atRevision?.(first) ?? [];
    for (let i = 0; i < late.length; i++) writes.set(late[i]![0], late[i]![1]);
    for (let i = 0; i < dels.length; i++) writes.set(dels[i]!, undefined);
    for (const [name, delta] of write.counters) counters.set(name, (counters.get(name) ?? base.counter(name)) + delta);
    accepted.push({ member, result: { firstRevision: write.changes > 0 ? first : revision, lastRevision: revision } });
  }
  counters.forEach((value, name) => writes.set(counterKey(name), value === 0 ? undefined : encodeNumber(value)));
  if (revision !== base.revision) writes.set(REVISION_KEY, encodeNumber(revision));
  return { accepted, writes, counters, revision };
}

/** A counter's value as stored (0 when absent). */
export function storedCounter(bytes: Uint8Array | undefined, name: string): number {
  return decodeNumber(bytes, `counter ${name}`);
}

/** A queued write with its caller's promise. */
export interface Pending extends GroupMember {
  resolve(result: CommitResult): void;
}

/**
 * The queue of an engine's group commits: writes that arrive while a group is written wait and
 * are taken together, at most `maxGroup` at a time, by `commitGroup`. A group that fails as a
 * whole (`commitGroup` throws) fails every write of it not yet answered, with `toError`'s error.
 */
export class CommitQueue {
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;

  constructor(
    private readonly maxGroup: number,
    private readonly commitGroup: (group: Pending[]) => Promise<void>,
    private readonly toError: (cause: unknown) => unknown,
  ) {}

  push(write: EngineWrite): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ write, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  /** Resolves once every queued write is answered. */
  async drained(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue.splice(0, this.maxGroup);
        try {
          await this.commitGroup(group);
        } catch (cause) {
          const err = this.toError(cause);
          for (const pending of group) pending.reject(err);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }
}

/** Every named counter, read from the counter section through `scan` (as of a snapshot, if the scan has one). */
export async function readCounters(scan: (range: { gte: string; lt: string }) => AsyncIterable<ReadonlyArray<readonly [string, Uint8Array]>>): Promise<Map<string, number>> {
  const counters = new Map<string, number>();
  for await (const chunk of scan(prefixRange(encodeKey(COUNTER_SECTION)))) {
    for (const [key, value] of chunk) {
      const name = decodeKey(key).fields[0] ?? '';
      counters.set(name, storedCounter(value, name));
    }
  }
  return counters;
}
