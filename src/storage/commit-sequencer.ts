/**
 * Delivery of a shared engine's commits to one process, in revision order, each once: this
 * process's own commits through their `onCommit` hooks, and the revisions other processes
 * committed through the follower, which reads them back from the key space (their change-log
 * entries). Whatever order the news arrives in (a commit of our own returning, a NOTIFY, a poll),
 * a revision is delivered only when every revision before it has been.
 *
 * The committer tells the sequencer two things. Before it sends COMMIT, `holdAbove(revision)`:
 * the revision the database stood at when it took the commit lock, above which nothing may be
 * taken for another process's work until the commit's outcome is known (else a poll that sees
 * our own commit land first would deliver it twice). After COMMIT, `own(after, upTo, hooks)`.
 * A follower that fails (the database went away) is retried by the next `advance`.
 */
import type { CommitFollower } from './engine.js';

/** The most revisions one follower call covers, so a long absence is caught up in bounded steps. */
const FOLLOW_CHUNK = 1000;

interface OwnCommit {
  readonly after: number;
  readonly upTo: number;
  readonly hooks: () => void;
}

export class CommitSequencer {
  #delivered: number;
  #known: number;
  #ceiling: number | undefined;
  readonly #own: OwnCommit[] = [];
  #follower: CommitFollower | undefined;
  /**
   * Awaited before each follower call, so that what other processes changed (counters) is current
   * no later than their events; resolves to what undoes it if the follower fails. Never rejects.
   */
  readonly #beforeFollow: () => Promise<() => void>;
  #running: Promise<void> | undefined;
  #rerun = false;
  #failure: unknown;

  constructor(delivered: number, beforeFollow: () => Promise<() => void>) {
    this.#delivered = delivered;
    this.#known = delivered;
    this.#beforeFollow = beforeFollow;
  }

  /** The last revision delivered. */
  get delivered(): number {
    return this.#delivered;
  }

  /** The last delivery failure since the last success (undefined when delivery is current). */
  get failure(): unknown {
    return this.#failure;
  }

  follow(follower: CommitFollower): void {
    this.#follower = follower;
  }

  /** The database has reached `revision` (read by a poll, or announced). */
  seen(revision: number): void {
    if (revision > this.#known) this.#known = revision;
  }

  /** A commit of ours is about to be sent, taken with the database at `revision`. */
  holdAbove(revision: number): void {
    this.#ceiling = revision;
  }

  /** The commit we held for did not land, or its outcome is unknown: whatever landed is delivered as another process's work. */
  release(): void {
    this.#ceiling = undefined;
  }

  /** Our commit landed, taking the revisions after `after` up to `upTo`; `hooks` delivers it. */
  own(after: number, upTo: number, hooks: () => void): void {
    this.#ceiling = undefined;
    this.seen(upTo);
    this.#own.push({ after, upTo, hooks });
  }

  /** Delivers everything deliverable now; resolves when done (or stopped by a failure, kept in `failure`). */
  advance(): Promise<void> {
    if (this.#running) {
      this.#rerun = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#rerun = false;
          await this.#pass();
        } while (this.#rerun);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async #pass(): Promise<void> {
    for (;;) {
      const own = this.#own[0];
      if (own !== undefined && own.after === this.#delivered) {
        this.#own.shift();
        this.#delivered = own.upTo;
        own.hooks();
        continue;
      }
      let target = this.#known;
      if (this.#ceiling !== undefined) target = Math.min(target, this.#ceiling);
      if (own !== undefined) target = Math.min(target, own.after);
      if (target <= this.#delivered) return;
      const upTo = Math.min(target, this.#delivered + FOLLOW_CHUNK);
      const undo = await this.#beforeFollow();
      try {
        await this.#follower?.(this.#delivered, upTo);
        this.#failure = undefined;
      } catch (err) {
        undo();
        this.#failure = err;
        return;
      }
      this.#delivered = upTo;
    }
  }
}
