/**
 * events: fan-out of E events to 1, 10 and 100 subscribers of distinct types through the store's
 * router and subscriptions (filter match, delivery, counting), against a bare `Map<type, Subject>`
 * router; the add capacity on disk (64 in flight, one subscriber); and write-to-delivery latency,
 * p50 and p99, of `add` calls at a steady half that capacity (a load the store sustains with half
 * its capacity to spare), from the call to the subscriber's `next`, against raw classic-level
 * writing the same keys at the same load (what the engine's own tail is on the machine).
 */
import { ClassicLevel } from 'classic-level';
import { Subject } from 'rxjs';
import { EventRouter } from '../../src/events/event-router.js';
import { EventStats } from '../../src/events/event-stats.js';
import { subscribeEvents, type StreamContext } from '../../src/events/event-streams.js';
import type { ChangeLog } from '../../src/events/change-log.js';
import type { StoreEvent } from '../../src/events/types.js';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { rate, type BenchCase } from '../harness.js';
import { resource, scratch } from '../data.js';
import { storedEntries } from './ingest.js';

function events(count: number, kinds: number): StoreEvent[] {
  const base = resource(0);
  return Array.from({ length: count }, (_, i) => ({
    kind: 'resource',
    type: 'update',
    revision: i + 1,
    resource: { ...base, ref: { ...(base.ref as object), kind: `Kind${i % kinds}` }, uid: 'u', createdAt: '', updatedAt: '', version: 2, labels: {}, annotations: {}, data: {} } as never,
  }));
}

function fanOut(count: number, subscribers: number): BenchCase {
  let stream: StoreEvent[] = [];
  return {
    setup: async () => void (stream = events(count, subscribers)),
    teardown: async () => void (stream = []),
    workload: 'events',
    name: `fan-out of ${count.toLocaleString('en-US')} events to ${subscribers} subscriber${subscribers > 1 ? 's' : ''} of distinct types`,
    unit: 'events/s',
    project: async () => {
      const router = new EventRouter();
      let revision = 0;
      const ctx: StreamContext = {
        router,
        log: {} as ChangeLog,
        stats: new EventStats(),
        revision: () => revision,
        shared: false,
        closed: () => false,
        resolvePredicate: (name) => String(name),
      };
      let delivered = 0;
      const subs = Array.from({ length: subscribers }, (_, k) => subscribeEvents(ctx, { type: { version: 'v1', kind: `Kind${k}` } }).subscribe(() => delivered++));
      const r = await rate(count, async () => {
        for (let i = 0; i < count; i += 1000) {
          const chunk = stream.slice(i, i + 1000);
          revision = chunk.at(-1)!.revision;
          router.publish(chunk);
        }
      });
      for (const s of subs) s.unsubscribe();
      if (delivered !== count) throw new Error(`delivered ${delivered} of ${count}`);
      return r;
    },
    anchor: async () => {
      const subjects = new Map<string, Subject<StoreEvent>>();
      let delivered = 0;
      for (let k = 0; k < subscribers; k++) {
        const subject = new Subject<StoreEvent>();
        subject.subscribe(() => delivered++);
        subjects.set(`Kind${k}`, subject);
      }
      const r = await rate(count, async () => {
        for (let i = 0; i < count; i += 1000) {
          for (const event of stream.slice(i, i + 1000)) subjects.get((event as { resource: { ref: { kind: string } } }).resource.ref.kind)?.next(event);
        }
      });
      if (delivered !== count) throw new Error(`delivered ${delivered} of ${count}`);
      return r;
    },
    anchorName: 'bare Map<type, Subject> router',
    target: { ratio: 0.5, text: '≥ 0.5×' },
  };
}

/**
 * Calls `issue(i)` for i = 0, 1, … at `perSecond` for `seconds`, as the clock comes due, and
 * resolves once the last is issued. It spins the event loop (`setImmediate`), so a call is never
 * later than one turn of the loop; the store's side and the raw anchor share it.
 */
function paced(perSecond: number, seconds: number, issue: (i: number) => void): Promise<void> {
  const total = Math.round(perSecond * seconds);
  const begin = performance.now();
  let sent = 0;
  return new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - begin) / 1000) * perSecond));
      while (sent < due) issue(sent++);
      if (sent < total) setImmediate(tick);
      else resolve();
    };
    tick();
  });
}

/** Write-to-delivery latencies (ms, sorted) of `seconds` of adds at `perSecond` into `store`, one subscriber; throws unless every add is delivered. */
export async function deliveryLatencies(store: ResourceStore, perSecond: number, seconds: number): Promise<number[]> {
  const issued = new Map<string, number>();
  const latencies: number[] = [];
  const sub = store.subscribe({ type: { version: 'v1', kind: 'Pod' } }).subscribe((event) => {
    if (event.kind !== 'resource') return;
    const start = issued.get(event.resource.ref.name);
    if (start !== undefined) latencies.push(performance.now() - start);
  });
  const total = Math.round(perSecond * seconds);
  const writes: Promise<unknown>[] = [];
  try {
    await paced(perSecond, seconds, (i) => {
      const input = resource(i);
      issued.set(input.ref.name, performance.now());
      writes.push(store.add(input));
    });
    await Promise.all(writes);
  } finally {
    sub.unsubscribe();
  }
  if (latencies.length !== total) throw new Error(`delivered ${latencies.length} of ${total} adds`);
  return latencies.sort((a, b) => a - b);
}

/**
 * The anchor of the latency rows: the same load written to raw classic-level on disk, each add's
 * share of the keys and values the store writes for as many adds (`storedEntries`, split evenly),
 * committed as the store commits, one batch write at a time with what queued meanwhile taken
 * together. Latencies (ms, sorted) from the call to the completion of the write that held it.
 */
export async function rawWriteLatencies(perSecond: number, seconds: number): Promise<number[]> {
  const total = Math.round(perSecond * seconds);
  const entries = await storedEntries(total);
  const perAdd = Math.ceil(entries.length / total);
  const dir = scratch();
  const db = new ClassicLevel<string, Uint8Array>(dir.path, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const latencies: number[] = [];
  const queued: Array<{ add: number; issued: number }> = [];
  let writing: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    while (queued.length > 0) {
      const group = queued.splice(0);
      const batch = db.batch();
      for (const { add } of group) for (let k = add * perAdd; k < Math.min(entries.length, (add + 1) * perAdd); k++) batch.put(entries[k]![0], entries[k]![1]);
      await batch.write();
      const now = performance.now();
      for (const { issued } of group) latencies.push(now - issued);
    }
    writing = undefined;
  };
  try {
    await paced(perSecond, seconds, (add) => {
      queued.push({ add, issued: performance.now() });
      writing ??= drain();
    });
    while (writing) await writing;
  } finally {
    await db.close();
    dir.remove();
  }
  if (latencies.length !== total) throw new Error(`wrote ${latencies.length} of ${total} adds`);
  return latencies.sort((a, b) => a - b);
}

/** Adds per second into `store` with `inFlight` calls in flight and one subscriber counting their events; throws unless every add is delivered. */
export async function addCapacity(store: ResourceStore, writes: number, inFlight = 64): Promise<number> {
  let delivered = 0;
  const sub = store.subscribe({ type: { version: 'v1', kind: 'Pod' } }).subscribe(() => delivered++);
  try {
    const figure = await rate(writes, async () => {
      let next = 0;
      await Promise.all(Array.from({ length: inFlight }, async () => {
        while (next < writes) await store.add(resource(next++));
      }));
    });
    if (delivered !== writes) throw new Error(`delivered ${delivered} of ${writes} adds`);
    return figure;
  } finally {
    sub.unsubscribe();
  }
}

/** The add capacity measured by the rounds of a capacity case, and the load the latency cases after it offer: half its median. */
export class HalfCapacity {
  readonly #rounds: number[] = [];

  /** Notes one round's capacity, and returns it. */
  note(figure: number): number {
    this.#rounds.push(figure);
    return figure;
  }

  /** Writes per second at half the median capacity (at least 10). */
  get load(): number {
    if (this.#rounds.length === 0) throw new Error('the capacity case runs before the latency cases');
    const median = [...this.#rounds].sort((a, b) => a - b)[this.#rounds.length >> 1]!;
    return Math.max(10, Math.round(median / 2 / 10) * 10);
  }
}

/** The p50 and p99 of sorted latencies. */
export function percentiles(sorted: readonly number[]): { p50: number; p99: number } {
  return { p50: sorted[Math.floor(sorted.length * 0.5)]!, p99: sorted[Math.floor(sorted.length * 0.99)]! };
}

/** A fresh store on disk for `work`, closed and removed after it. */
async function onDisk<T>(work: (store: ResourceStore) => Promise<T>): Promise<T> {
  const dir = scratch();
  const store = await openStore({ path: dir.path });
  try {
    return await work(store);
  } finally {
    await store.close();
    dir.remove();
  }
}

export function eventCases(count: number, capacityWrites: number, latencySeconds: number): BenchCase[] {
  const half = new HalfCapacity();
  return [
    fanOut(count, 1),
    fanOut(count, 10),
    fanOut(count, 100),
    {
      workload: 'events',
      name: `add capacity on disk, 64 in flight, one subscriber (${capacityWrites.toLocaleString('en-US')} adds; the latency rows run at half)`,
      unit: 'writes/s',
      project: () => onDisk(async (store) => half.note(await addCapacity(store, capacityWrites))),
    },
    ...(['p50', 'p99'] as const).map((p): BenchCase => ({
      workload: 'events',
      name: `write-to-delivery ${p} at half the add capacity (on disk, ${latencySeconds} s a round)`,
      unit: 'ms',
      setup: async () => void process.stderr.write(`  latency load: ${half.load} writes/s\n`),
      project: () => onDisk(async (store) => percentiles(await deliveryLatencies(store, half.load, latencySeconds))[p]),
      anchor: async () => percentiles(await rawWriteLatencies(half.load, latencySeconds))[p],
      anchorName: "raw classic-level at the same load: each add's share of the keys and values the store writes, group-committed as the store commits, from the call to the write's completion",
      target: p === 'p99' ? { absolute: 5, lowerIsBetter: true, text: 'p99 < 5 ms' } : { absolute: 5, lowerIsBetter: true, text: '(p99 is the target)' },
    })),
  ];
}
