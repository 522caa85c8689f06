/**
 * Counts of what the event streams did, kept as plain numbers on the delivery path (a labelled
 * prom-client increment per delivered event would cost more than the delivery) and read by the
 * metrics when they are scraped.
 */
import type { StoreEvent } from './types.js';

export class EventStats {
  /** Events delivered, by `${kind}/${type}`. */
  readonly #sent = new Map<string, number>();
  #overflows = 0;

  sent(event: StoreEvent): void {
    const key = `${event.kind}/${event.type}`;
    this.#sent.set(key, (this.#sent.get(key) ?? 0) + 1);
  }

  overflowed(): void {
    this.#overflows++;
  }

  /** Delivered events by kind and type. */
  sentCounts(): Array<{ kind: string; type: string; count: number }> {
    return [...this.#sent].map(([key, count]) => {
      const [kind = '', type = ''] = key.split('/');
      return { kind, type, count };
    });
  }

  get overflows(): number {
    return this.#overflows;
  }
}
