/**
 * Watches as Server-Sent Events. Each event is `id: {revision}` and `data: {event as JSON}`; a
 * reconnect with `Last-Event-ID` (as browsers' EventSource sends it) or `?fromRevision=` resumes
 * with no gap and no duplicate. A revision already compacted answers 410 before the stream
 * starts. The stream is paced by the socket: when the client does not read, events wait in the
 * subscription's bounded buffer, and if that overflows the stream ends with an `error` event
 * (`{ code: 'OVERFLOW', revision }`: where to resume) instead of losing anything silently, and
 * without slowing writers or other clients. A `: ping` comment every 15 s keeps proxies open.
 */
import { once } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WatchFilter } from '../events/types.js';
import { StoreError, invalidArgument } from '../store/errors.js';
import type { ResourceStore } from '../store/resource-store.js';
import { errorBody, STATUS_OF } from './http-errors.js';
import { eventJson } from './json.js';

/** Options of the event streams. */
export interface SseOptions {
  /** Events held per client while its socket is full (the most a client's `?bufferSize=` may ask for). */
  readonly bufferSize: number;
  /** Milliseconds between keep-alive comments. */
  readonly heartbeatMs: number;
  /** Streams open now, so shutdown can end them. */
  readonly open: Set<() => void>;
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
  const query = request.query as Record<string, string | undefined>;
  // A client may ask for a smaller buffer, never a larger one than the server allows.
  const bufferSize = query.bufferSize === undefined ? sse.bufferSize : Math.min(Number(query.bufferSize), sse.bufferSize);
  // Validation and COMPACTED fail here, before the stream starts, as an ordinary JSON answer.
  const events = store.watch(filter, { ...(fromRevision === undefined ? {} : { fromRevision }), bufferSize });
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  res.write('retry: 1000\n\n');
  const heartbeat = setInterval(() => res.write(': ping\n\n'), sse.heartbeatMs);
  heartbeat.unref();
  let clientGone = false;
  const end = (): void => void events.return?.();
  sse.open.add(end);
  request.raw.on('close', () => {
    clientGone = true;
    end();
  });
  const fail = (err: StoreError): void => {
    res.write(`event: error\ndata: ${JSON.stringify({ ...errorBody(err), status: STATUS_OF[err.code] })}\n\n`);
  };
  try {
    for (;;) {
      const next = await events.next();
      if (next.done || clientGone) break;
      if (!res.write(`id: ${next.value.revision}\ndata: ${JSON.stringify(eventJson(next.value))}\n\n`)) {
        const outcome = await Promise.race([once(res, 'drain').then(() => undefined), events.stopped]);
        if (outcome instanceof StoreError) {
          fail(outcome);
          break;
        }
      }
    }
  } catch (err) {
    if (err instanceof StoreError) fail(err);
    else fail(new StoreError('INTERNAL', `the stream failed: ${(err as Error).message}`));
  } finally {
    clearInterval(heartbeat);
    sse.open.delete(end);
    end();
    res.end();
  }
}
