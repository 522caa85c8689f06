/**
 * `concatMapBounded`: the bounded queue for Observable subscribers whose work is asynchronous.
 * Like RxJS `concatMap`, it runs `project` for one event at a time, in order; unlike it, it holds
 * at most `bufferSize` waiting events. On the store's own streams (`subscribe` piped straight into
 * it) it paces the stream (`pacing.ts`): it takes events only while it has room, so the stream
 * waits instead, a replay of any size never overflows it, and a live stream that falls behind
 * ends with the stream's OVERFLOW. On any other source, one event more than it has room for ends
 * it with OVERFLOW. Either way, an OVERFLOW carries the revision of the last event whose work
 * completed: subscribe again from it and nothing is lost. An error from the source is passed on
 * after the work of every event already taken, so its revision is that of completed work too.
 * (`concatMap` itself queues without bound behind a slow consumer.)
 */
import { Observable, from, type ObservableInput, type OperatorFunction, type Subscription } from 'rxjs';
import { StoreError, invalidArgument } from '../storage/errors.js';
import { paced, type Pacer } from './pacing.js';

/**
 * @example
 * store.subscribe({ type: { version: 'v1', kind: 'Pod' } }, { fromRevision })
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
      let sourceError: { readonly err: unknown } | undefined;
      let lastDone: number | undefined;
      let resume: (() => void) | undefined;
      const pacer: Pacer = {
        wants: () => waiting.length < capacity,
        whenWanted: (next) => (resume = next),
      };
      const runNext = (): void => {
        const event = waiting.shift();
        if (event === undefined) {
          if (sourceError !== undefined) subscriber.error(sourceError.err);
          else if (sourceDone) subscriber.complete();
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
        const wanted = resume;
        resume = undefined;
        wanted?.();
      };
      const upstream = paced(source, pacer).subscribe({
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
        error: (err) => {
          sourceError = { err };
          if (!active) subscriber.error(err);
        },
        complete: () => {
          sourceDone = true;
          if (!active) subscriber.complete();
        },
      });
      return () => {
        resume = undefined;
        upstream.unsubscribe();
        working?.unsubscribe();
      };
    });
}
