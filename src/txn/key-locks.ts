/**
 * Per-key write queues inside one process. A write takes a ticket on every key it touches, all
 * at once (so tickets form one global order and two writes can never wait on each other), and
 * runs when the writes ahead of it on those keys are done. Writes to one resource are then
 * planned one after another against fresh state, instead of racing and retrying: 1,000 racing
 * updates of one version give one success and 999 immediate CONFLICTs. Writes to different keys
 * never wait for each other and still share LevelDB batches. The engine's preconditions still
 * guard every write, for writers this process does not see.
 *
 * Most writes find no one ahead of them: their ticket is taken at once, and makes a promise only
 * if a later write comes to wait for it.
 */
import type { MaybePromise } from './maybe-promise.js';

/**
 * One write's ticket, and a promise of its release only for the writes that wait on it. A ticket
 * is asked for that promise only while it is queued: its release takes it out of the queues.
 */
class Ticket {
  #released: Promise<void> | undefined;
  #release: (() => void) | undefined;

  /** Settles once the ticket is released. */
  released(): Promise<void> {
    this.#released ??= new Promise<void>((resolve) => (this.#release = resolve));
    return this.#released;
  }

  release(): void {
    this.#release?.();
  }
}

export class KeyLocks {
  readonly #tails = new Map<string, Ticket>();

  /**
   * Takes a ticket on `keys` and returns the function that lets the next writes run: at once when
   * no write is queued ahead on any of them, else once those ahead are done.
   */
  acquire(keys: readonly string[]): MaybePromise<() => void> {
    const ticket = new Ticket();
    let ahead: Promise<void>[] | undefined;
    for (const key of keys) {
      const tail = this.#tails.get(key);
      if (tail) (ahead ??= []).push(tail.released());
      this.#tails.set(key, ticket);
    }
    const release = (): void => {
      for (const key of keys) if (this.#tails.get(key) === ticket) this.#tails.delete(key);
      ticket.release();
    };
    return ahead === undefined ? release : Promise.all(ahead).then(() => release);
  }
}
