/**
 * The store's own resource routes, in the store's shape (`{ ref, uid, data, labels, annotations,
 * version, revision, ... }`), beside the Kubernetes paths that are the resource API: a list
 * across types at `/resources` (`namespace`, `labelSelector`, `limit`, `continue`; the body
 * carries `revision`), one resource at `/resource?ref={group}/{version}/{kind}/{namespace}/{name}`
 * (refs as in paths.ts; what `import --server` reads), and watches across types at `/watch` as
 * Server-Sent Events, for browsers. Writes go through the Kubernetes paths or `POST /batch`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ResourceStore } from '../store/resource-store.js';
import type { RefInput } from '../model/types.js';
import { pageText, resourceText, sendJson } from './json.js';
import { parseRefParam } from './paths.js';
import { optionalInt } from './query-params.js';
import { streamEvents, type SseOptions } from './watch-stream.js';

type Query = Record<string, string | undefined>;

export function registerResourceRoutes(app: FastifyInstance, store: ResourceStore, sse: SseOptions): void {
  app.get('/resources', async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    const query = request.query;
    const page = await store.list({
      ...(query.namespace === undefined ? {} : { namespace: query.namespace }),
      ...(query.labelSelector === undefined ? {} : { labelSelector: query.labelSelector }),
      ...(query.limit === undefined ? {} : { limit: optionalInt(query.limit, 'limit')! }),
      ...(query.continue === undefined ? {} : { continue: query.continue }),
    });
    return sendJson(reply, pageText(page));
  });
  app.get('/resource', async (request: FastifyRequest<{ Querystring: Query }>, reply) =>
    sendJson(reply, resourceText(await store.get(parseRefParam(request.query.ref, 'ref', false) as RefInput))),
  );
  app.get('/watch', async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    const query = request.query;
    const relationships = query.relationships === 'true' || query.predicate !== undefined ? (query.predicate === undefined ? true : { predicate: query.predicate }) : undefined;
    return streamEvents(request, reply, store, {
      type: { group: query.group ?? '*', ...(query.version === undefined ? {} : { version: query.version }), ...(query.kind === undefined ? {} : { kind: query.kind }) },
      ...(query.namespace === undefined ? {} : { namespace: query.namespace }),
      ...(query.labelSelector === undefined ? {} : { labelSelector: query.labelSelector }),
      ...(query.resources === 'false' ? { resources: false } : {}),
      ...(relationships === undefined ? {} : { relationships }),
    }, sse);
  });
}
