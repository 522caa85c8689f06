/**
 * Pacing: how a bounded consumer downstream of `subscribe` tells the stream when it takes more.
 * RxJS has no backpressure, so a stream that can wait (the store's event stream: what it has not
 * handed on stays in the change log or in its own bounded buffer) offers a paced form of itself
 * under the `PACE` key, and a consumer that can say when it wants events (`concatMapBounded`)
 * subscribes to that form. A paced stream hands on an event only while `wants()` is true; when it
 * is false, the stream waits until the consumer calls the function it gave `whenWanted`.
 */
import type { Observable } from 'rxjs';

/** A consumer's demand, as a paced stream sees it. */
export interface Pacer {
  /** Whether the consumer takes another event now. */
  wants(): boolean;
  /** Registers the one function to call when `wants()` turns true again (replacing any earlier one). */
  whenWanted(resume: () => void): void;
}

/** The key under which a stream offers its paced form. */
export const PACE: unique symbol = Symbol('resource-store pace');

/** A stream that can be paced. */
export interface Paceable<T> {
  [PACE](pacer: Pacer): Observable<T>;
}

/** `source` paced by `pacer` when it can be, else `source` itself. */
export function paced<T>(source: Observable<T>, pacer: Pacer): Observable<T> {
  const paceable = source as Observable<T> & Partial<Paceable<T>>;
  return typeof paceable[PACE] === 'function' ? paceable[PACE](pacer) : source;
}
