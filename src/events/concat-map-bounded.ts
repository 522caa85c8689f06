/**
 * `concatMapBounded`: the bounded queue for Observable subscribers whose work is asynchronous.
 * Like RxJS `concatMap`, it runs `project` for one event at a time, in order; unlike it, it holds
 * at most `bufferSize` waiting events. One more, and the stream ends with OVERFLOW carrying the
 * revision of the last event whose work completed: subscribe again from it and nothing is lost.
 * (`concatMap` itself queues without bound behind a slow consumer.)
 */
import { Observable, from, type ObservableInput, type OperatorFunction, type Subscription } from 'rxjs';
import { StoreError, invalidArgument } from '../store/errors.js';

/**
 * @example
 * store.subscribe({ type: { version: 'v1', kind: 'Pod' } })
 *   .pipe(concatMapBounded((event) => reconcile(event), { bufferSize: 1000 }))
 *   .subscribe({ error: (err) => resumeFrom(err.details.revision) });
 */
export function concatMapBounded<T extends { readonly revision: number }, R>(
  project: (event: T) => ObservableInput<R>,
  options: { readonly bufferSize?: number } = {},
): OperatorFunction<T, R> {
  const capacity = options.bufferSize ?? 1000;
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw invalidArgument('bufferSize', 'must be a positive integer');
  return (source) =>
    new Observable<R>((subscriber) => {
      const waiting: T[] = [];
      let working: Subscription | undefined;
      let active = false;
      let sourceDone = false;
      let lastDone: number | undefined;
      const runNext = (): void => {
        const event = waiting.shift();
        if (event === undefined) {
          if (sourceDone) subscriber.complete();
          return;
        }
        active = true;
        working = from(project(event)).subscribe({
          next: (value) => subscriber.next(value),
          error: (err) => subscriber.error(err),
          complete: () => {
            lastDone = event.revision;
            active = false;
            runNext();
          },
        });
      };
      const upstream = source.subscribe({
        next: (event) => {
          lastDone ??= event.revision - 1;
          if (waiting.length >= capacity) {
            subscriber.error(
              new StoreError('OVERFLOW', `more than ${capacity} events waited for their work; subscribe again from revision ${lastDone}`, {
                revision: lastDone,
              }),
            );
            return;
          }
          waiting.push(event);
          if (!active) runNext();
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (!active) subscriber.complete();
        },
      });
      return () => {
        upstream.unsubscribe();
        working?.unsubscribe();
      };
    });
}
