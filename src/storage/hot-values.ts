/**
 * The small values the engine was last asked for, and the keys it found absent: what a write
 * reads again and again and LevelDB would look up each time. A Pod's write reads the guard of each
 * of its label pairs (absent, in most stores: no selector starts with that pair) and its Node's
 * relationship count (shared by every Pod on the Node); each `getSync` of them costs 1.5–4 µs, a
 * lookup here about a twentieth of that.
 *
 * It stays exact because the engine that holds it is the only writer of its data (a LevelDB
 * directory has one owner): every committed batch goes through `written`, which replaces what is
 * held for each key the batch wrote, and a batch that may or may not have landed empties it. A
 * value read while a batch is being written may be from before it or after it (LevelDB applies a
 * batch at once); either way the batch's `written` follows. Snapshot reads bypass it.
 *
 * Values over `MAX_VALUE_BYTES` (resources, relationships) are not held: the store's read caches
 * keep those, decoded. A value held is handed to every reader of its key: no reader changes bytes
 * it read.
 */

/** The largest value held: relationship counts (28 bytes), range guards (20), counters and the revision. */
const MAX_VALUE_BYTES = 64;
/** Held keys at most; past it, everything is let go and the keys in use come back at their next read. */
const MAX_KEYS = 8192;

export class HotValues {
  /** A key's value, or null for a key found absent. */
  readonly #held = new Map<string, Uint8Array | null>();

  /** The value held for `key`: bytes, null when it is known absent, undefined when not held. */
  get(key: string): Uint8Array | null | undefined {
    return this.#held.get(key);
  }

  /** Holds what a read of `key` found, if it is small or absent. */
  read(key: string, value: Uint8Array | undefined): void {
    if (value !== undefined && value.byteLength > MAX_VALUE_BYTES) return;
    if (this.#held.size >= MAX_KEYS) this.#held.clear();
    this.#held.set(key, value ?? null);
  }

  /** A batch landed: each key it wrote that is held takes its new value (or is let go, when large). */
  written(writes: ReadonlyMap<string, Uint8Array | undefined>): void {
    const held = this.#held;
    if (held.size === 0) return;
    writes.forEach((value, key) => {
      if (!held.has(key)) return;
      if (value === undefined) held.set(key, null);
      else if (value.byteLength <= MAX_VALUE_BYTES) held.set(key, value.slice()); // bytes of its own: a writer's may be a view of a larger buffer (a pool slab), which holding them would keep
      else held.delete(key);
    });
  }

  /** Lets everything go: a batch whose outcome is unknown. */
  clear(): void {
    this.#held.clear();
  }
}
