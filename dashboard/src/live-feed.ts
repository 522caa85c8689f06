/**
 * The page's live feed: one watch of every resource and relationship (`/watch?relationships=true`)
 * read with fetch (sse-reader.ts), resumed after any break (a server restart, a network loss, an
 * OVERFLOW) with `Last-Event-ID` set to the last revision applied, so no change is missed or
 * applied twice. It starts from the revision the page's first reads were consistent with. A 401
 * asks for the token and connects again; a 410 (the revision was compacted away) makes the page
 * read everything again and resume from the revision of that read.
 */
import { askToken, authHeaders } from './api.js';
import type { StoreEvent } from './refs.js';
import { readEventStream, SseParser } from './sse-reader.js';

/** The state of the feed, as the page shows it. */
export type FeedState = 'connecting' | 'live' | 'reconnecting';

/** What the feed tells the page. */
export interface FeedHandlers {
  /** Each event, in revision order, once. */
  onEvent(event: StoreEvent): void;
  onState(state: FeedState, detail: string): void;
  /** The revision to resume from is gone: read everything again; resolves with the revision read. */
  resync(): Promise<number>;
}

const WATCH_PATH = '/watch?relationships=true';

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Runs the feed until `signal` aborts, from `fromRevision` on. */
export async function runLiveFeed(fromRevision: number, handlers: FeedHandlers, signal: AbortSignal): Promise<void> {
  let last = fromRevision;
  let resyncNeeded = false;
  const parser = new SseParser((message) => {
    const body = JSON.parse(message.data) as StoreEvent | { code: string; revision?: number; message?: string };
    if (message.event === 'error') {
      const error = body as { code: string; revision?: number; message?: string };
      if (error.code === 'COMPACTED') resyncNeeded = true;
      else if (typeof error.revision === 'number') last = error.revision;
      handlers.onState('reconnecting', `${error.code}: ${error.message ?? ''}`);
      return;
    }
    const event = body as StoreEvent;
    last = event.revision;
    handlers.onEvent(event);
  });
  handlers.onState('connecting', `from revision ${last}`);
  while (!signal.aborted) {
    if (resyncNeeded) {
      resyncNeeded = false;
      last = await handlers.resync();
    }
    try {
      await readEventStream(WATCH_PATH, { ...authHeaders(), 'last-event-id': String(last) }, parser, signal, () => handlers.onState('live', `after revision ${last}`));
      handlers.onState('reconnecting', 'the server ended the stream');
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof Response) {
        if (err.status === 401) {
          await askToken();
          continue;
        }
        if (err.status === 410) {
          resyncNeeded = true;
          continue;
        }
        handlers.onState('reconnecting', `the watch answered HTTP ${err.status}`);
      } else {
        handlers.onState('reconnecting', 'the server cannot be reached');
      }
    }
    await wait(parser.retry ?? 1000, signal);
  }
}
