/**
 * Subscriptions: `subscribe` as an RxJS Observable, `watch` as an async iterable, both with the
 * same guarantees. A subscription registers with the router first, then replays the change log
 * from `fromRevision` up to the revision at registration, then delivers the live events that
 * arrived meanwhile and all later ones: no gap, no duplicate, in revision order.
 *
 * Buffers are bounded. An Observable's live events are handed to `next` as they commit (its
 * `next` runs synchronously, so it cannot fall behind; slow asynchronous work belongs behind
 * `concatMapBounded`), and are held only while it replays. A `watch` consumer pulls, and events
 * wait in its buffer until it does. Either way, a subscriber whose buffer is full is removed at
 * once and its stream ends with OVERFLOW carrying the last revision it was given, so it never
 * holds memory without bound and never slows writers or other subscribers. Nothing is dropped
 * silently: watch again from that revision and the missed events are replayed.
 */
import { Observable } from 'rxjs';
import { StoreError, invalidArgument } from '../store/errors.js';
import { isRecord } from '../store/validate.js';
import type { ChangeLog } from './change-log.js';
import { compileFilter, type CompiledFilter } from './event-filter.js';
import type { EventRouter, RoutedSubscriber } from './event-router.js';
import type { EventStats } from './event-stats.js';
import type { StoreEvent, WatchFilter, WatchOptions } from './types.js';

/** The default bound of a subscriber's buffer. */
export const DEFAULT_BUFFER_SIZE = 10_000;
const MAX_BUFFER_SIZE = 10_000_000;

/** What subscriptions work with. */
export interface StreamContext {
  readonly router: EventRouter;
  readonly log: ChangeLog;
  readonly stats: EventStats;
  /** The latest committed (and so published) revision. */
  readonly revision: () => number;
  readonly closed: () => boolean;
  readonly resolvePredicate: (name: unknown, field: string) => string;
}

interface Prepared {
  readonly filter: CompiledFilter;
  readonly from: number | undefined;
  readonly capacity: number;
}

function prepare(ctx: StreamContext, filter: WatchFilter | undefined, options: WatchOptions | undefined): Prepared {
  if (options !== undefined && !isRecord(options)) throw invalidArgument('options', 'must be an object');
  const fromRevision = options?.fromRevision as number | undefined;
  const bufferSize = options?.bufferSize as number | undefined;
  if (fromRevision !== undefined && (!Number.isSafeInteger(fromRevision) || fromRevision < 0)) {
    throw invalidArgument('fromRevision', `must be a revision (an integer from 0), got ${JSON.stringify(fromRevision)}`);
  }
  if (bufferSize !== undefined && (!Number.isSafeInteger(bufferSize) || bufferSize < 1 || bufferSize > MAX_BUFFER_SIZE)) {
    throw invalidArgument('bufferSize', `must be an integer from 1 to ${MAX_BUFFER_SIZE}, got ${JSON.stringify(bufferSize)}`);
  }
  return { filter: compileFilter(filter, ctx.resolvePredicate), from: fromRevision, capacity: bufferSize ?? DEFAULT_BUFFER_SIZE };
}

/** Checks a subscription can start now; returns the revision live delivery starts after. */
function start(ctx: StreamContext, from: number | undefined): number {
  if (ctx.closed()) throw new StoreError('CLOSED', 'the store is closed');
  const now = ctx.revision();
  if (from !== undefined) {
    if (from > now) throw invalidArgument('fromRevision', `${from} is ahead of the store, whose revision is ${now}`);
    ctx.log.checkRetained(from);
  }
  return now;
}

function overflow(stats: EventStats, capacity: number, last: number): StoreError {
  stats.overflowed();
  return new StoreError('OVERFLOW', `subscriber fell more than ${capacity} events behind; watch again from revision ${last}`, { revision: last });
}

function closedError(last: number): StoreError {
  return new StoreError('CLOSED', `the store closed during the replay; watch again from revision ${last}`, { revision: last });
}

/** The Observable form (see the module comment). */
export function subscribeEvents(ctx: StreamContext, filter?: WatchFilter, options?: WatchOptions): Observable<StoreEvent> {
  const { filter: compiled, from, capacity } = prepare(ctx, filter, options);
  return new Observable<StoreEvent>((subscriber) => {
    let liveAfter: number;
    try {
      liveAfter = start(ctx, from);
    } catch (err) {
      subscriber.error(err);
      return undefined;
    }
    let last = from ?? liveAfter;
    let held: StoreEvent[] | undefined = from !== undefined && from < liveAfter ? [] : undefined;
    let ended = false;
    const finish = (err?: unknown): void => {
      if (ended) return;
      ended = true;
      ctx.router.remove(routed);
      if (err === undefined) subscriber.complete();
      else subscriber.error(err);
    };
    const deliver = (event: StoreEvent): void => {
      last = event.revision;
      ctx.stats.sent(event);
      subscriber.next(event);
    };
    const routed: RoutedSubscriber = {
      filter: compiled,
      offer(event) {
        if (ended || event.revision <= liveAfter) return;
        if (held === undefined) return deliver(event);
        if (held.length >= capacity) return finish(overflow(ctx.stats, capacity, last));
        held.push(event);
      },
      end() {
        finish(held === undefined ? undefined : closedError(last));
      },
    };
    ctx.router.add(routed);
    if (held !== undefined) {
      void (async () => {
        try {
          for await (const event of ctx.log.replay(from!, liveAfter)) {
            if (ended) return;
            const seen = compiled.match(event);
            if (seen) deliver(seen);
            else last = event.revision;
          }
          for (const event of held!) {
            if (ended) return;
            deliver(event);
          }
          held = undefined;
        } catch (err) {
          finish(ctx.closed() && (!(err instanceof StoreError) || err.code === 'CLOSED') ? closedError(last) : err);
        }
      })();
    }
    return () => {
      ended = true;
      ctx.router.remove(routed);
    };
  });
}

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

/** A watch: an async iterable of events, and a promise that tells when it stopped receiving them. */
export interface WatchIterator extends AsyncIterableIterator<StoreEvent> {
  /**
   * Settles when the subscription stops taking events: with the OVERFLOW error when it fell
   * behind, or undefined when the store closed or the watch was ended. For a consumer blocked
   * elsewhere (a socket that will not drain) to learn it at once. Never rejects.
   */
  readonly stopped: Promise<StoreError | undefined>;
}

/** The async-iterable form (see the module comment). Registers at once, so no event after the call is missed. */
export function watchEvents(ctx: StreamContext, filter?: WatchFilter, options?: WatchOptions): WatchIterator {
  const { filter: compiled, from, capacity } = prepare(ctx, filter, options);
  const liveAfter = start(ctx, from);
  const queue = new EventQueue();
  let last = from ?? liveAfter;
  let failure: StoreError | undefined;
  let ending = false;
  let wake: (() => void) | undefined;
  let stop!: (reason: StoreError | undefined) => void;
  const stopped = new Promise<StoreError | undefined>((resolve) => (stop = resolve));
  const signal = (): void => {
    wake?.();
    wake = undefined;
  };
  const routed: RoutedSubscriber = {
    filter: compiled,
    offer(event) {
      if (failure || event.revision <= liveAfter) return;
      if (queue.length >= capacity) {
        failure = overflow(ctx.stats, capacity, last);
        queue.clear();
        ctx.router.remove(routed);
        stop(failure);
      } else {
        queue.push(event);
      }
      signal();
    },
    end() {
      ending = true;
      ctx.router.remove(routed);
      stop(undefined);
      signal();
    },
  };
  ctx.router.add(routed);

  async function* events(): AsyncGenerator<StoreEvent> {
    try {
      if (from !== undefined && from < liveAfter) {
        try {
          for await (const event of ctx.log.replay(from, liveAfter)) {
            if (failure) break;
            const seen = compiled.match(event);
            if (seen) {
              ctx.stats.sent(seen);
              last = seen.revision;
              yield seen;
            } else {
              last = event.revision;
            }
          }
        } catch (err) {
          throw ctx.closed() && (!(err instanceof StoreError) || err.code === 'CLOSED') ? closedError(last) : err;
        }
      }
      for (;;) {
        if (failure) throw failure;
        const event = queue.shift();
        if (event !== undefined) {
          ctx.stats.sent(event);
          last = event.revision;
          yield event;
        } else if (ending) {
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
        }
      }
    } finally {
      ctx.router.remove(routed);
      stop(failure);
    }
  }

  const generator = events();
  return {
    stopped,
    next: () => generator.next(),
    return: (value?: unknown) => {
      ctx.router.remove(routed);
      queue.clear();
      stop(undefined);
      signal();
      return generator.return(value);
    },
    throw: (err?: unknown) => generator.throw(err),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
