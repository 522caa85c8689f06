/**
 * The event feed: the one replay-then-live core under both faces of a subscription (`subscribe`'s
 * Observable and `watch`'s async iterable). It registers with the router first, then gives the
 * events after `fromRevision` from the change log, then the live events that arrived meanwhile
 * and all later ones: every matching committed change once, in revision order, no gap, no
 * duplicate.
 *
 * The consumer pulls (`take`), and nothing runs ahead of it. The replay reads the log a short
 * chunk at a time, only when the consumer has taken the chunk before, so a backlog of any size
 * costs one chunk of memory. Live events wait in a buffer of at most `capacity`. While the replay
 * runs, a full buffer is let go and the replay extended over it instead (those events are in the
 * log), so a replay never overflows, however slow its consumer. Once live, a full buffer ends the
 * feed with OVERFLOW carrying the last revision given: nothing is dropped silently, and a stalled
 * consumer holds nothing and never slows writers or other subscribers.
 *
 * A feed ends in one of three ways, each at once, whatever the consumer is waiting on: `cancel`
 * (the consumer is gone: everything is freed); the store closing (the events already committed
 * are still given, then the end; during a replay, CLOSED with the revision to resume from); or a
 * failure (OVERFLOW, COMPACTED when retention removed what the replay still had to read,
 * CORRUPTED). `stopped` settles as soon as the feed stops taking events.
 */
import type { CompiledFilter } from './event-filter.js';
import type { ChangeLog } from './change-log.js';
import type { EventRouter, RoutedSubscriber } from './event-router.js';
import type { EventStats } from './event-stats.js';
import type { StoreEvent } from './types.js';
import { StoreError, invalidArgument } from '../storage/errors.js';

/** What subscriptions work with. */
export interface StreamContext {
  readonly router: EventRouter;
  readonly log: ChangeLog;
  readonly stats: EventStats;
  /** The latest committed (and so published) revision. */
  readonly revision: () => number;
  /**
   * Other processes commit too (a shared engine): a revision a little ahead of `revision` is one
   * this process has not learnt of yet, not a mistake, and a subscription from it waits for it.
   */
  readonly shared: boolean;
  readonly closed: () => boolean;
  readonly resolvePredicate: (name: unknown, field: string) => string;
}

/** A validated subscription. */
export interface FeedOptions {
  readonly filter: CompiledFilter;
  /** The revision the consumer has seen; undefined for live events only. */
  readonly from: number | undefined;
  /** Most live events held for the consumer. */
  readonly capacity: number;
}

/** What `take` answers when the feed has ended cleanly. */
export const END: unique symbol = Symbol('end of the feed');

/** The most change-log entries a replay reads at once (fewer when the buffer is smaller). */
const REPLAY_CHUNK = 256;

/** A FIFO of events with O(1) push and shift. */
class EventQueue {
  #items: StoreEvent[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(event: StoreEvent): void {
    this.#items.push(event);
  }

  shift(): StoreEvent | undefined {
    if (this.#head === this.#items.length) return undefined;
    const event = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return event;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

function closedError(last: number): StoreError {
  return new StoreError('CLOSED', `the store closed during the replay; watch again from revision ${last}`, { revision: last });
}

export class EventFeed {
  readonly #ctx: StreamContext;
  readonly #filter: CompiledFilter;
  readonly #capacity: number;
  readonly #chunkSize: number;
  readonly #routed: RoutedSubscriber;
  readonly #live = new EventQueue();
  /** The chunk of the replay read last (already filtered), and how much of it was taken. */
  #replayed: StoreEvent[] = [];
  #replayedTaken = 0;
  /** The first revision the replay has not read yet. */
  #readFrom: number;
  /** The last revision the replay covers: live events up to it are read from the log, never buffered. */
  #replayUntil: number;
  #reading = false;
  /** The last revision given to the consumer or passed over as not matching: where to resume. */
  #last: number;
  #failure: StoreError | undefined;
  #cancelled = false;
  /** The store is closing: give what is buffered, then END. */
  #ending = false;
  #ready: (() => void) | undefined;
  #stop!: (reason: StoreError | undefined) => void;
  /** Settles when the feed stops taking events: with the error it ends with, or undefined. Never rejects. */
  readonly stopped = new Promise<StoreError | undefined>((resolve) => (this.#stop = resolve));

  /** Checks the subscription can start now (CLOSED, INVALID_ARGUMENT, COMPACTED) and registers it. */
  constructor(ctx: StreamContext, options: FeedOptions) {
    if (ctx.closed()) throw new StoreError('CLOSED', 'the store is closed');
    const now = ctx.revision();
    const { from } = options;
    if (from !== undefined) {
      if (from > now && !ctx.shared) throw invalidArgument('fromRevision', `${from} is ahead of the store, whose revision is ${now}`);
      ctx.log.checkRetained(from);
    }
    this.#ctx = ctx;
    this.#filter = options.filter;
    this.#capacity = options.capacity;
    this.#chunkSize = Math.min(options.capacity, REPLAY_CHUNK);
    this.#last = from ?? now;
    this.#readFrom = this.#last + 1;
    this.#replayUntil = Math.max(now, this.#last);
    this.#routed = { filter: options.filter, offer: (event) => this.#offer(event), end: () => this.#end(), lose: () => this.#lose() };
    ctx.router.add(this.#routed);
  }

  get #replaying(): boolean {
    return this.#replayedTaken < this.#replayed.length || this.#readFrom <= this.#replayUntil;
  }

  get #active(): boolean {
    return !this.#cancelled && !this.#ending && this.#failure === undefined;
  }

  /**
   * The next event, if one is ready; END once the feed has ended; undefined when none is ready
   * yet (call `onReady` to learn when one is). Throws the error the feed failed with, until it is
   * cancelled.
   */
  take(): StoreEvent | typeof END | undefined {
    if (this.#cancelled) return END;
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#replaying) {
      const event = this.#replayed[this.#replayedTaken];
      if (event !== undefined) {
        this.#replayedTaken++;
        return this.#give(event);
      }
      this.#replayed = [];
      this.#replayedTaken = 0;
      this.#last = Math.max(this.#last, this.#readFrom - 1);
      if (this.#readFrom <= this.#replayUntil) {
        this.#read();
        return undefined;
      }
    }
    const event = this.#live.shift();
    if (event !== undefined) return this.#give(event);
    return this.#ending ? END : undefined;
  }

  /** Calls `ready` once, when `take` next has something to answer (an event, END, or an error). */
  onReady(ready: () => void): void {
    this.#ready = ready;
  }

  /** The consumer is gone: unregisters and frees everything at once. Idempotent. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#ready = undefined;
    this.#release(undefined);
  }

  #give(event: StoreEvent): StoreEvent {
    this.#last = event.revision;
    this.#ctx.stats.sent(event);
    return event;
  }

  #signal(): void {
    const ready = this.#ready;
    this.#ready = undefined;
    ready?.();
  }

  /** Unregisters, drops what is buffered, and settles `stopped`. */
  #release(reason: StoreError | undefined): void {
    this.#ctx.router.remove(this.#routed);
    this.#live.clear();
    this.#replayed = [];
    this.#replayedTaken = 0;
    this.#stop(reason);
  }

  #fail(err: unknown): void {
    if (!this.#active) return;
    this.#failure = err instanceof StoreError ? err : new StoreError('INTERNAL', `the event stream failed: ${(err as Error).message}`, { cause: err });
    this.#release(this.#failure);
    this.#signal();
  }

  #offer(event: StoreEvent): void {
    if (!this.#active || event.revision <= this.#replayUntil) return;
    if (this.#live.length < this.#capacity) {
      this.#live.push(event);
      if (!this.#replaying) this.#signal();
    } else if (this.#replaying) {
      // The log holds these events: read them there rather than hold them.
      this.#live.clear();
      this.#replayUntil = event.revision;
    } else {
      this.#ctx.stats.overflowed();
      this.#fail(
        new StoreError('OVERFLOW', `subscriber fell more than ${this.#capacity} events behind; watch again from revision ${this.#last}`, {
          revision: this.#last,
        }),
      );
    }
  }

  #lose(): void {
    this.#fail(
      new StoreError('OVERFLOW', `events after revision ${this.#last} were compacted before this process could deliver them; watch again from revision ${this.#last}`, {
        revision: this.#last,
      }),
    );
  }

  #end(): void {
    if (!this.#active) return;
    if (this.#replaying) return this.#fail(closedError(this.#last));
    this.#ending = true;
    this.#ctx.router.remove(this.#routed);
    this.#stop(undefined);
    this.#signal();
  }

  /** Reads the next chunk of the replay; `take` gives it once it is here. */
  #read(): void {
    if (this.#reading) return;
    this.#reading = true;
    const after = this.#readFrom - 1;
    const until = Math.min(this.#replayUntil, after + this.#chunkSize);
    this.#ctx.log.read(after, until).then(
      (events) => {
        this.#reading = false;
        if (!this.#active) return;
        this.#replayed = [];
        for (const event of events) {
          const seen = this.#filter.match(event);
          if (seen !== undefined) this.#replayed.push(seen);
        }
        this.#replayedTaken = 0;
        this.#readFrom = until + 1;
        this.#signal();
      },
      (err: unknown) => {
        this.#reading = false;
        const closing = this.#ctx.closed() && (!(err instanceof StoreError) || err.code === 'CLOSED');
        this.#fail(closing ? closedError(this.#last) : err);
      },
    );
  }
}
