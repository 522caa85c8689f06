/**
 * Resource routes, Kubernetes style (see paths.ts): create (POST to a collection), get, update
 * (PUT), apply (PATCH: create or replace, writing nothing when unchanged), delete, list with
 * `labelSelector`, `limit`, `continue` (the body carries `revision`), a list across types at
 * `/resources`, and watches (`?watch=true` on a collection, or `/watch`) as Server-Sent Events.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidArgument } from '../store/errors.js';
import { optionalInt } from './query-params.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { ResourceRef } from '../store/types.js';
import { bodyToInput, resourceJson } from './json.js';
import { streamEvents, type SseOptions } from './watch-stream.js';

interface TypeParams {
  group?: string;
  version: string;
  kind: string;
  namespace?: string;
}
type ItemParams = TypeParams & { name: string };
type Query = Record<string, string | undefined>;

function refOf(params: ItemParams): ResourceRef {
  return { group: params.group ?? '', version: params.version, kind: params.kind, namespace: params.namespace ?? '', name: params.name };
}


function isWatch(query: Query): boolean {
  return query.watch === 'true' || query.watch === '1';
}

export function registerResourceRoutes(app: FastifyInstance, store: ResourceStore, sse: SseOptions): void {
  const collection = async (request: FastifyRequest<{ Params: TypeParams; Querystring: Query }>, reply: import('fastify').FastifyReply) => {
    const { group = '', version, kind, namespace } = request.params;
    const query = request.query;
    if (isWatch(query)) {
      return streamEvents(request, reply, store, { type: { group, version, kind }, ...(namespace === undefined ? {} : { namespace }), ...(query.labelSelector === undefined ? {} : { labelSelector: query.labelSelector }) }, sse);
    }
    const page = await store.list({
      type: { group, version, kind },
      ...(namespace === undefined ? {} : { namespace }),
      ...(query.labelSelector === undefined ? {} : { labelSelector: query.labelSelector }),
      ...(query.limit === undefined ? {} : { limit: optionalInt(query.limit, 'limit')! }),
      ...(query.continue === undefined ? {} : { continue: query.continue }),
    });
    return { ...page, items: page.items.map(resourceJson) };
  };
  const create = async (request: FastifyRequest<{ Params: TypeParams; Body: unknown }>, reply: import('fastify').FastifyReply) => {
    const body = request.body as { name?: unknown; metadata?: { name?: unknown } } | undefined;
    const name = body?.metadata?.name ?? body?.name;
    if (typeof name !== 'string') throw invalidArgument('name', 'the body must name the resource (name, or metadata.name)');
    const ref = refOf({ ...request.params, name });
    const input = bodyToInput(ref, stripName(body), undefined);
    const added = await store.add(input);
    return reply.status(201).send(resourceJson(added));
  };
  const item = {
    get: async (request: FastifyRequest<{ Params: ItemParams }>) => resourceJson(await store.get(refOf(request.params))),
    put: async (request: FastifyRequest<{ Params: ItemParams; Querystring: Query; Body: unknown }>) =>
      resourceJson(await store.update(bodyToInput(refOf(request.params), request.body, request.query.version))),
    patch: async (request: FastifyRequest<{ Params: ItemParams; Querystring: Query; Body: unknown }>) =>
      resourceJson(await store.apply(bodyToInput(refOf(request.params), request.body, request.query.version))),
    delete: async (request: FastifyRequest<{ Params: ItemParams; Querystring: Query }>) => {
      const version = optionalInt(request.query.version, 'version');
      const uid = request.query.uid;
      return resourceJson(await store.delete(refOf(request.params), { ...(version === undefined ? {} : { version }), ...(uid === undefined ? {} : { uid }) }));
    },
  };
  for (const root of ['/api/:version', '/apis/:group/:version']) {
    for (const scope of ['', '/namespaces/:namespace']) {
      app.get(`${root}${scope}/:kind`, collection);
      app.post(`${root}${scope}/:kind`, create);
      app.get(`${root}${scope}/:kind/:name`, item.get);
      app.put(`${root}${scope}/:kind/:name`, item.put);
      app.patch(`${root}${scope}/:kind/:name`, item.patch);
      app.delete(`${root}${scope}/:kind/:name`, item.delete);
    }
  }
  app.get('/resources', async (request: FastifyRequest<{ Querystring: Query }>) => {
    const query = request.query;
    const page = await store.list({
      ...(query.namespace === undefined ? {} : { namespace: query.namespace }),
      ...(query.labelSelector === undefined ? {} : { labelSelector: query.labelSelector }),
      ...(query.limit === undefined ? {} : { limit: optionalInt(query.limit, 'limit')! }),
      ...(query.continue === undefined ? {} : { continue: query.continue }),
    });
    return { ...page, items: page.items.map(resourceJson) };
  });
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

function stripName(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('name' in body) || 'metadata' in body) return body;
  const { name: _name, ...rest } = body as Record<string, unknown>;
  return rest;
}
