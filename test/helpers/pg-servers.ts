/**
 * Test helpers for many processes on one store: `resource-store serve` processes sharing a store
 * in a schema of the test database, the Server-Sent Events watchers that record what each one
 * delivers, and writers that keep a bounded number of requests in flight. What a watcher records
 * is the evidence a multi-process test judges: the revisions in the order they came, with the
 * ref and type of each, so a gap, a duplicate or a disagreement between processes shows as data.
 */
import type { ChildProcess } from 'node:child_process';
import { startServe } from './cli.js';
import { freshLocation } from './postgres.js';
import { openSse, type SseStream } from './sse.js';

/** One `serve` process. */
export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM, then its exit. */
  stop(): Promise<void>;
  /** SIGKILL, then its exit. */
  kill(): Promise<void>;
}

/** The `--data` URL of a fresh, empty store: the test database, a schema no one has used. */
export async function freshStoreUrl(): Promise<string> {
  const { connectionString, schema } = await freshLocation();
  const url = new URL(connectionString);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/** Starts `serve` on `storeUrl`. */
export async function startServer(storeUrl: string): Promise<ServerProcess> {
  const { child, url, exited } = await startServe(['--data', storeUrl]);
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url, child, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

/** What a watcher saw of one event. */
export interface SeenEvent {
  readonly revision: number;
  readonly type: string;
  /** The resource's namespace/name (or the relationship's subject), enough to tell events apart. */
  readonly what: string;
}

/** An SSE `/watch` that records every event as it arrives, until closed. */
export class Watcher {
  readonly events: SeenEvent[] = [];
  /** Frames that were not events (an `event: error`), as received. */
  readonly errors: string[] = [];
  readonly #stream: SseStream;
  readonly #url: string;
  #ended = false;
  #waiters: Array<() => void> = [];

  private constructor(stream: SseStream, url: string) {
    this.#stream = stream;
    this.#url = url;
    void this.#read();
  }

  /** Opens `/watch?{query}` on `serverUrl` (every event, relationships too, unless `query` narrows it). */
  static async open(serverUrl: string, query: string, headers: Record<string, string> = {}): Promise<Watcher> {
    const url = `${serverUrl}/watch?relationships=true${query === '' ? '' : `&${query}`}`;
    const stream = await openSse(url, headers);
    if (stream.status !== 200) throw new Error(`GET ${url} answered ${stream.status}`);
    return new Watcher(stream, url);
  }

  /** The last revision seen (0 before any). */
  get last(): number {
    return this.events.at(-1)?.revision ?? 0;
  }

  async #read(): Promise<void> {
    for (;;) {
      const frame = await this.#stream.next();
      if (frame === undefined) break;
      if (frame.event !== undefined) this.errors.push(frame.data);
      else {
        const event = JSON.parse(frame.data) as { revision: number; type: string; resource?: { ref: { namespace: string; name: string } }; relationship?: { subject: { name: string } } };
        const what = event.resource ? `${event.resource.ref.namespace}/${event.resource.ref.name}` : `rel ${event.relationship?.subject.name}`;
        this.events.push({ revision: event.revision, type: event.type, what });
        if (String(event.revision) !== frame.id) this.errors.push(`frame id ${frame.id} carries revision ${event.revision}`);
      }
      this.#wake();
    }
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Resolves once an event at `revision` or later has arrived. Rejects, saying what arrived, if
   * the stream ends first or `signal` aborts (a test's timeout), so a hang reports its evidence.
   */
  async reach(revision: number, signal: AbortSignal): Promise<void> {
    while (this.last < revision) {
      if (this.#ended || signal.aborted) {
        const why = this.#ended ? 'ended' : 'was still waiting when the test gave up';
        throw new Error(`the watch ${this.#url} ${why} at revision ${this.last}, short of ${revision} (${this.events.length} events; errors: ${this.errors.join(' | ') || 'none'})`);
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.#waiters.push(done);
        signal.addEventListener('abort', done);
      });
    }
  }

  close(): void {
    this.#stream.close();
  }
}

/** Runs `task(0..count-1)` with at most `width` in flight; stops taking new ones once `stop()` is true. */
export async function inFlight(count: number, width: number, task: (i: number) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count && !stop()) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, lane));
}

/** How `revisions` departs from exactly 1..`last` in order: revisions missing, repeated, out of order, or outside the range. */
export function sequenceFaults(revisions: readonly number[], last: number): { missing: number[]; repeated: number[]; outOfOrder: number[]; outside: number[] } {
  const seen = new Set<number>();
  const repeated: number[] = [];
  const outOfOrder: number[] = [];
  const outside: number[] = [];
  let previous = 0;
  for (const revision of revisions) {
    if (seen.has(revision)) repeated.push(revision);
    seen.add(revision);
    if (revision <= previous) outOfOrder.push(revision);
    previous = revision;
    if (revision < 1 || revision > last) outside.push(revision);
  }
  const missing: number[] = [];
  for (let revision = 1; revision <= last; revision++) if (!seen.has(revision)) missing.push(revision);
  return { missing, repeated, outOfOrder, outside };
}
