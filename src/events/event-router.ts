/**
 * The event router: hands each committed event, in revision order, to the subscribers whose
 * filters match it. Subscribers are indexed by resource kind and by predicate type (with one
 * wildcard set each), so routing an event costs the number of subscribers that could want it,
 * not the number of all subscribers. The router never waits for a subscriber: each decides in
 * `offer` whether to deliver now, queue, or overflow.
 */
import type { CompiledFilter } from './event-filter.js';
import type { StoreEvent } from './types.js';

/** A registered subscriber. */
export interface RoutedSubscriber {
  readonly filter: CompiledFilter;
  /** Takes an event the filter matched (already as this subscriber sees it). Never blocks. */
  offer(event: StoreEvent): void;
  /** The store is closing: end after what is already committed has been delivered. */
  end(): void;
  /**
   * Events after what this subscriber was given can no longer be delivered live (another
   * process's commits were compacted before this one read them): fail with OVERFLOW and the
   * revision to resume from, so the consumer resumes (or relists) instead of missing them.
   */
  lose(): void;
}

function addTo(index: Map<string, Set<RoutedSubscriber>>, key: string, subscriber: RoutedSubscriber): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(subscriber);
}

function removeFrom(index: Map<string, Set<RoutedSubscriber>>, key: string, subscriber: RoutedSubscriber): void {
  const set = index.get(key);
  if (set?.delete(subscriber) && set.size === 0) index.delete(key);
}

function offerAll(subscribers: Set<RoutedSubscriber> | undefined, event: StoreEvent): void {
  if (subscribers === undefined) return;
  for (const subscriber of subscribers) {
    const seen = subscriber.filter.match(event);
    if (seen !== undefined) subscriber.offer(seen);
  }
}

export class EventRouter {
  readonly #byKind = new Map<string, Set<RoutedSubscriber>>();
  readonly #anyKind = new Set<RoutedSubscriber>();
  readonly #byPredicate = new Map<string, Set<RoutedSubscriber>>();
  readonly #anyPredicate = new Set<RoutedSubscriber>();
  readonly #all = new Set<RoutedSubscriber>();

  /** How many subscribers are registered. */
  get size(): number {
    return this.#all.size;
  }

  add(subscriber: RoutedSubscriber): void {
    const { kind, predicate } = subscriber.filter;
    if (kind === undefined) this.#anyKind.add(subscriber);
    else if (kind !== null) addTo(this.#byKind, kind, subscriber);
    if (predicate === undefined) this.#anyPredicate.add(subscriber);
    else if (predicate !== null) addTo(this.#byPredicate, predicate, subscriber);
    this.#all.add(subscriber);
  }

  remove(subscriber: RoutedSubscriber): void {
    if (!this.#all.delete(subscriber)) return;
    const { kind, predicate } = subscriber.filter;
    if (kind === undefined) this.#anyKind.delete(subscriber);
    else if (kind !== null) removeFrom(this.#byKind, kind, subscriber);
    if (predicate === undefined) this.#anyPredicate.delete(subscriber);
    else if (predicate !== null) removeFrom(this.#byPredicate, predicate, subscriber);
  }

  /** Routes committed events, in revision order. */
  publish(events: readonly StoreEvent[]): void {
    for (const event of events) {
      if (event.kind === 'resource') {
        offerAll(this.#byKind.get(event.resource.ref.kind), event);
        offerAll(this.#anyKind, event);
      } else {
        offerAll(this.#byPredicate.get(event.relationship.predicate.type), event);
        offerAll(this.#anyPredicate, event);
      }
    }
  }

  /** Fails every subscription with OVERFLOW (see `RoutedSubscriber.lose`). */
  loseAll(): void {
    for (const subscriber of [...this.#all]) subscriber.lose();
  }

  /** Ends every subscription (each delivers what it already holds first). */
  close(): void {
    for (const subscriber of [...this.#all]) subscriber.end();
  }
}
