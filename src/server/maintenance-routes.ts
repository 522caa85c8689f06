/**
 * The store's maintenance routes, for the CLI and operators: `GET /snapshot` (a consistent export,
 * streamed as the socket takes it, and given up when the client goes away), `GET /verify` (the
 * integrity report of `verify`, as of one snapshot) and `GET /stats` (the counts of `stats`).
 */
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { StoreError } from '../storage/errors.js';
import type { ResourceStore } from '../store/resource-store.js';

/** Resolves when `res` can take more; rejects with CLOSED when the client has gone away. */
function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.reject(new StoreError('CLOSED', 'the client went away'));
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      reject(new StoreError('CLOSED', 'the client went away'));
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

export function registerMaintenanceRoutes(app: FastifyInstance, store: ResourceStore): void {
  app.get('/snapshot', async (_request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    try {
      await store.exportSnapshot((text) => (res.write(text) ? undefined : drained(res)));
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'CLOSED')) throw err;
    } finally {
      res.end();
    }
  });
  app.get('/verify', async () => store.verify());
  app.get('/stats', async () => store.stats());
}
