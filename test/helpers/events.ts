/** Test helper: pulls events from a watch. */
import type { StoreEvent } from '../../src/events/types.js';

/** Pulls `n` events from an async iterator (fewer if it ends). */
export async function pull(iterator: AsyncIterator<StoreEvent>, n: number): Promise<StoreEvent[]> {
  const events: StoreEvent[] = [];
  while (events.length < n) {
    const next = await iterator.next();
    if (next.done) break;
    events.push(next.value);
  }
  return events;
}
