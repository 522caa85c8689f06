/**
 * A Kubernetes watch over HTTP: the events of a watch iterator (src/kube/kube-watch.ts) written as
 * newline-delimited JSON (`{"type":"ADDED","object":{...}}`), `application/json`, chunked, with
 * the status line and headers sent at once so a client sees its watch open before the first
 * event. The iterator is pulled only as fast as the socket takes the lines: while the socket's
 * buffer is full nothing more is asked of it, and what to do about a watcher that stays behind
 * is the iterator's to say (an ERROR event, then the end). The stream ends when the iterator
 * ends; when the client goes away or the server shuts down the iterator is returned at once,
 * whatever the stream waits on, and on shutdown the response is ended cleanly. An iterator that
 * fails ends the stream with an ERROR event carrying the failure's Status.
 */
import type { FastifyReply } from 'fastify';
import type { KubeWatchEvent } from '../kube/kube-watch.js';
import { watchLine } from '../kube/manifest.js';
import { statusOf } from '../kube/status.js';
import { StoreError } from '../storage/errors.js';

/**
 * Answers a request with the watch `events`, until they end, the client goes, or `open`'s
 * function for it is called (server shutdown).
 *
 * @param open the streams open now, each with the function that ends it cleanly.
 */
export async function streamKubeWatch(reply: FastifyReply, events: AsyncIterator<KubeWatchEvent>, open: Set<() => void>): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  let finished = false;
  let wake: (() => void) | undefined;
  const stop = (): void => {
    if (finished) return;
    finished = true;
    open.delete(end);
    void events.return?.()?.catch(() => undefined);
    wake?.();
  };
  const end = (): void => {
    stop();
    if (!res.writableEnded) res.end();
  };
  open.add(end);
  res.on('close', stop);
  res.on('drain', () => wake?.());
  try {
    for (;;) {
      const next = await events.next();
      if (finished) return;
      if (next.done) break;
      if (!res.write(watchLine(next.value.type, next.value.object, next.value.json))) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        if (finished) return;
      }
    }
  } catch (err) {
    if (finished) return;
    const error = err instanceof StoreError ? err : new StoreError('INTERNAL', `the watch failed: ${(err as Error).message}`);
    res.write(watchLine('ERROR', statusOf(error)));
  }
  end();
}
