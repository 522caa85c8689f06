/**
 * Per-key write queues inside one process. A write takes a ticket on every key it touches, all
 * at once (so tickets form one global order and two writes can never wait on each other), and
 * runs when the writes ahead of it on those keys are done. Writes to one resource are then
 * planned one after another against fresh state, instead of racing and retrying: 1,000 racing
 * updates of one version give one success and 999 immediate CONFLICTs. Writes to different keys
 * never wait for each other and still share LevelDB batches. The engine's preconditions still
 * guard every write, for writers this process does not see.
 */
export class KeyLocks {
  readonly #tails = new Map<string, Promise<void>>();

  /** Waits for the writes queued ahead on `keys`, then returns the function that lets the next ones run. */
  async acquire(keys: readonly string[]): Promise<() => void> {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const ahead: Promise<void>[] = [];
    for (const key of keys) {
      const tail = this.#tails.get(key);
      if (tail) ahead.push(tail);
      this.#tails.set(key, done);
    }
    if (ahead.length > 0) await Promise.all(ahead);
    return () => {
      for (const key of keys) if (this.#tails.get(key) === done) this.#tails.delete(key);
      release();
    };
  }
}
