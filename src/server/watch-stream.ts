/**
 * Watches as Server-Sent Events. Each event is `id: {revision}` and `data: {event as JSON}`; a
 * reconnect with `Last-Event-ID` (as browsers' EventSource sends it) or `?fromRevision=` resumes
 * with no gap and no duplicate. A revision already compacted answers 410 before the stream
 * starts. A `: ping` comment every 15 s keeps proxies open.
 *
 * The stream is paced by the socket. A replay (the events up to the store's revision when the
 * watch started) is read only as fast as the socket takes it, so it holds nothing. Live events are
 * taken as they come; those the socket cannot take yet wait in the client's outbox, bounded both
 * in events and in bytes. Past either bound the stream ends with an `error` event
 * (`{ code: 'OVERFLOW', revision }`: the last event written, where to resume) instead of losing
 * anything silently, and without slowing writers or other clients.
 *
 * A stream ends at once, whatever it is waiting on: when the client goes (its heartbeat stops, its
 * watch is returned, nothing of it stays), when the server shuts down (what the outbox holds is
 * written, then the response ends cleanly), or on an error (an `error` event, then the end).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WatchIterator } from '../events/event-streams.js';
import type { StoreEvent, WatchFilter } from '../events/types.js';
import { StoreError, invalidArgument } from '../storage/errors.js';
import type { ResourceStore } from '../store/resource-store.js';
import { errorBody, STATUS_OF } from './http-errors.js';
import { eventText } from './json.js';
import { optionalInt } from './query-params.js';

/** Options of the event streams. */
export interface SseOptions {
  /** Events held per client while its socket is full (the most a client's `?bufferSize=` may ask for). */
  readonly bufferSize: number;
  /** Bytes of events held per client while its socket is full. */
  readonly bufferBytes: number;
  /** Milliseconds between keep-alive comments. */
  readonly heartbeatMs: number;
  /** Streams open now, each with the function that ends it cleanly, so shutdown can end them. */
  readonly open: Set<() => void>;
  /** Told each time a client's outbox outgrows its bound (for the server's metric). */
  readonly overflowed: () => void;
}

function resumeRevision(request: FastifyRequest): number | undefined {
  const query = request.query as Record<string, string | undefined>;
  const raw = query.fromRevision ?? (request.headers['last-event-id'] as string | undefined);
  if (raw === undefined || raw === '') return undefined;
  const revision = Number(raw);
  if (!Number.isSafeInteger(revision) || revision < 0) throw invalidArgument('fromRevision', `must be a revision, got ${JSON.stringify(raw)}`);
  return revision;
}

/** Answers `request` with an event stream of `filter`. */
export async function streamEvents(request: FastifyRequest, reply: FastifyReply, store: ResourceStore, filter: WatchFilter, sse: SseOptions): Promise<void> {
  const fromRevision = resumeRevision(request);
  const asked = optionalInt((request.query as Record<string, string | undefined>).bufferSize, 'bufferSize');
  // A client may ask for a smaller buffer, never a larger one than the server allows.
  const bufferSize = asked === undefined ? sse.bufferSize : Math.min(asked, sse.bufferSize);
  // The watch registers at this revision: events up to it are its replay, later ones are live.
  const liveAfter = store.revision;
  // Validation and COMPACTED fail here, before the stream starts, as an ordinary JSON answer.
  const events = store.watch(filter, { ...(fromRevision === undefined ? {} : { fromRevision }), bufferSize });
  reply.hijack();
  const stream = new EventStream(reply.raw, events, { ...sse, bufferSize }, fromRevision ?? liveAfter);
  await stream.pump(liveAfter);
}

type Outcome = { readonly kind: 'gone' } | { readonly kind: 'end' } | { readonly kind: 'error'; readonly error: StoreError };

/** One client's stream: its socket, its watch, its heartbeat and its bounded outbox. */
class EventStream {
  readonly #res: FastifyReply['raw'];
  readonly #events: WatchIterator;
  readonly #options: SseOptions;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #endCleanly = (): void => this.#finish({ kind: 'end' });
  /** Frames the socket could not take yet, with their revisions, oldest first. */
  #outbox: Array<{ readonly frame: Buffer; readonly revision: number }> = [];
  #outboxBytes = 0;
  /** The socket's buffer is full: frames wait in the outbox until it drains. */
  #full = false;
  /** The revision of the last event written to the socket: where the client resumes. */
  #written: number;
  #finished = false;
  #wake: (() => void) | undefined;

  constructor(res: FastifyReply['raw'], events: WatchIterator, options: SseOptions, from: number) {
    this.#res = res;
    this.#events = events;
    this.#options = options;
    this.#written = from;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no', connection: 'close' });
    res.write('retry: 1000\n\n');
    this.#heartbeat = setInterval(() => res.write(': ping\n\n'), options.heartbeatMs);
    this.#heartbeat.unref();
    options.open.add(this.#endCleanly);
    res.on('close', () => this.#finish({ kind: 'gone' }));
    res.on('drain', () => this.#flush());
    // A watch that fails (OVERFLOW, COMPACTED) ends the stream now, even while it waits on the socket.
    void events.stopped.then((error) => error && this.#finish({ kind: 'error', error: this.#resumable(error) }));
  }

  /** Takes events until the stream finishes: the replay as the socket takes it, live events as they come. */
  async pump(liveAfter: number): Promise<void> {
    let replaying = this.#written < liveAfter;
    try {
      for (;;) {
        if (replaying && this.#full) await new Promise<void>((resolve) => (this.#wake = resolve));
        if (this.#finished) return;
        const next = await this.#events.next();
        if (this.#finished) return;
        if (next.done) return this.#finish({ kind: 'end' });
        if (next.value.revision > liveAfter) replaying = false;
        this.#send(next.value);
      }
    } catch (err) {
      const error = err instanceof StoreError ? err : new StoreError('INTERNAL', `the stream failed: ${(err as Error).message}`);
      this.#finish({ kind: 'error', error: this.#resumable(error) });
    }
  }

  #send(event: StoreEvent): void {
    const frame = `id: ${event.revision}\ndata: ${eventText(event)}\n\n`;
    if (!this.#full) {
      this.#write(frame, event.revision);
      return;
    }
    const queued = Buffer.from(frame);
    this.#outbox.push({ frame: queued, revision: event.revision });
    this.#outboxBytes += queued.length;
    const { bufferSize, bufferBytes } = this.#options;
    if (this.#outbox.length > bufferSize || this.#outboxBytes > bufferBytes) {
      const error = new StoreError(
        'OVERFLOW',
        `the client fell more than ${bufferSize} events or ${bufferBytes} bytes behind; watch again from revision ${this.#written}`,
        { revision: this.#written },
      );
      this.#options.overflowed();
      this.#finish({ kind: 'error', error });
    }
  }

  #write(frame: string | Buffer, revision: number): void {
    this.#written = revision;
    if (!this.#res.write(frame)) this.#full = true;
  }

  /** The socket drained: writes what waits, until it is full again. */
  #flush(): void {
    this.#full = false;
    while (!this.#full && this.#outbox.length > 0) {
      const { frame, revision } = this.#outbox.shift()!;
      this.#outboxBytes -= frame.length;
      this.#write(frame, revision);
    }
    this.#wake?.();
    this.#wake = undefined;
  }

  /** An error naming where this client resumes: after the last event written, when some were not. */
  #resumable(error: StoreError): StoreError {
    if (error.details.revision === undefined || this.#outbox.length === 0) return error;
    return new StoreError(error.code, `${error.message} (the client resumes from revision ${this.#written})`, { ...error.details, revision: this.#written });
  }

  /** Ends the stream, once: frees the watch and the heartbeat at once, whatever the pump waits on. */
  #finish(outcome: Outcome): void {
    if (this.#finished) return;
    this.#finished = true;
    clearInterval(this.#heartbeat);
    this.#options.open.delete(this.#endCleanly);
    void this.#events.return?.();
    this.#wake?.();
    if (outcome.kind === 'gone') {
      this.#outbox = [];
      return;
    }
    if (outcome.kind === 'end') {
      for (const { frame } of this.#outbox) this.#res.write(frame);
    } else {
      const { error } = outcome;
      this.#res.write(`event: error\ndata: ${JSON.stringify({ ...errorBody(error), status: STATUS_OF[error.code] })}\n\n`);
    }
    this.#outbox = [];
    this.#res.end();
  }
}
