/**
 * Subscriptions: `subscribe` as an RxJS Observable, `watch` as an async iterable, two thin faces
 * on one core, the event feed (`event-feed.ts`), so both keep the same guarantees: replay from
 * `fromRevision`, then live events, with no gap and no duplicate, in revision order; buffers
 * bounded; a subscriber that falls behind once live ends with OVERFLOW and the revision to resume
 * from; nothing dropped silently.
 *
 * The faces differ only in who pulls. A `watch` consumer pulls at its own pace. An Observable
 * pulls for its subscriber as fast as the feed gives: the replay as each chunk arrives, live
 * events synchronously as they commit (so a synchronous `next` cannot fall behind). Slow
 * asynchronous work belongs behind `concatMapBounded`, which paces the Observable (`pacing.ts`):
 * events are then pulled only while its queue has room, so a replay of any size, and live events
 * while the work is busy, wait in the log and the feed's bounded buffer instead of overflowing it.
 */
import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import { invalidArgument, type StoreError } from '../storage/errors.js';
import { isRecord } from '../model/validate.js';
import { compileFilter } from './event-filter.js';
import { END, EventFeed, type FeedOptions, type StreamContext } from './event-feed.js';
import { PACE, type Paceable, type Pacer } from './pacing.js';
import type { StoreEvent, WatchFilter, WatchOptions } from './types.js';

export type { StreamContext } from './event-feed.js';

/** The default bound of a subscriber's buffer. */
export const DEFAULT_BUFFER_SIZE = 10_000;
const MAX_BUFFER_SIZE = 10_000_000;

function prepare(ctx: StreamContext, filter: WatchFilter | undefined, options: WatchOptions | undefined): FeedOptions {
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

/** Runs one subscription for an Observable subscriber, pulling only while `pacer` (if any) wants more. */
function runFeed(ctx: StreamContext, options: FeedOptions, subscriber: Subscriber<StoreEvent>, pacer: Pacer | undefined): TeardownLogic {
  let feed: EventFeed;
  try {
    feed = new EventFeed(ctx, options);
  } catch (err) {
    subscriber.error(err);
    return undefined;
  }
  const pull = (): void => {
    while (!subscriber.closed) {
      if (pacer !== undefined && !pacer.wants()) return pacer.whenWanted(pull);
      let item: StoreEvent | typeof END | undefined;
      try {
        item = feed.take();
      } catch (err) {
        feed.cancel();
        return subscriber.error(err);
      }
      if (item === undefined) return feed.onReady(pull);
      if (item === END) return subscriber.complete();
      subscriber.next(item);
    }
  };
  pull();
  return () => feed.cancel();
}

/** The Observable of `subscribe`; its paced form is what `concatMapBounded` subscribes to. */
class EventObservable extends Observable<StoreEvent> implements Paceable<StoreEvent> {
  readonly #ctx: StreamContext;
  readonly #options: FeedOptions;

  constructor(ctx: StreamContext, options: FeedOptions) {
    super((subscriber) => runFeed(ctx, options, subscriber, undefined));
    this.#ctx = ctx;
    this.#options = options;
  }

  [PACE](pacer: Pacer): Observable<StoreEvent> {
    return new Observable<StoreEvent>((subscriber) => runFeed(this.#ctx, this.#options, subscriber, pacer));
  }
}

/** The Observable form (see the module comment). Bad filters and options throw at once; the rest fails the subscription. */
export function subscribeEvents(ctx: StreamContext, filter?: WatchFilter, options?: WatchOptions): Observable<StoreEvent> {
  return new EventObservable(ctx, prepare(ctx, filter, options));
}

/** A watch: an async iterable of events, and a promise that tells when it stopped receiving them. */
export interface WatchIterator extends AsyncIterableIterator<StoreEvent> {
  /**
   * Settles when the subscription stops taking events: with the error its iteration ends with
   * (OVERFLOW when it fell behind, CLOSED when the store closed during its replay, ...), or
   * undefined when it ended cleanly (the store closed, or `return()` was called). For a consumer
   * blocked elsewhere (a socket that will not drain) to learn it at once. Never rejects.
   */
  readonly stopped: Promise<StoreError | undefined>;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** The async-iterable face: each `next()` pulls one event from the feed, waiting for it if need be. */
class FeedIterator implements WatchIterator {
  readonly #feed: EventFeed;
  readonly #waiting: Array<{ resolve: (result: IteratorResult<StoreEvent>) => void; reject: (err: unknown) => void }> = [];
  readonly stopped: Promise<StoreError | undefined>;

  constructor(feed: EventFeed) {
    this.#feed = feed;
    this.stopped = feed.stopped;
  }

  next(): Promise<IteratorResult<StoreEvent>> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (this.#waiting.length === 1) this.#serve();
    });
  }

  /** Ends the watch: a `next()` already waiting settles with done at once, and the subscription is freed. */
  return(value?: unknown): Promise<IteratorResult<StoreEvent>> {
    this.#finish();
    return Promise.resolve({ done: true, value });
  }

  throw(err?: unknown): Promise<IteratorResult<StoreEvent>> {
    this.#finish();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Answers waiting `next()` calls, in order, for as long as the feed has answers. */
  readonly #serve = (): void => {
    for (let waiter = this.#waiting[0]; waiter !== undefined; waiter = this.#waiting[0]) {
      let item: StoreEvent | typeof END | undefined;
      try {
        item = this.#feed.take();
      } catch (err) {
        this.#feed.cancel();
        this.#waiting.shift();
        waiter.reject(err);
        continue;
      }
      if (item === undefined) return this.#feed.onReady(this.#serve);
      this.#waiting.shift();
      waiter.resolve(item === END ? DONE : { done: false, value: item });
    }
  };

  #finish(): void {
    this.#feed.cancel();
    for (const waiter of this.#waiting.splice(0)) waiter.resolve(DONE);
  }
}

/** The async-iterable form (see the module comment). Registers at once, so no event after the call is missed. */
export function watchEvents(ctx: StreamContext, filter?: WatchFilter, options?: WatchOptions): WatchIterator {
  return new FeedIterator(new EventFeed(ctx, prepare(ctx, filter, options)));
}
