/**
 * Relationship and graph routes: `GET /relationships?subject=&predicate=&object=&limit=&continue=`,
 * `POST /relationships` (`{ relationships: [...] }`, all or none), `DELETE /relationships?subject=
 * &predicate=&object=[&ignoreMissing=true]` (one triple), `GET /graph?from=&direction=&predicates=
 * &maxDepth=&limit=` (nodes and edges for a dashboard), and `POST /batch` (`{ operations }`).
 * Refs in query strings are `group/version/kind/namespace/name` (see paths.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RelationshipInput } from '../model/relationship-types.js';
import { invalidArgument } from '../storage/errors.js';
import { optionalInt } from './query-params.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { RefInput, Resource } from '../model/types.js';
import type { BatchOperation } from '../store/types.js';
import { isRecord } from '../model/validate.js';
import { resourceJson } from './json.js';
import { parseRefParam } from './paths.js';

type Query = Record<string, string | undefined>;


export function registerRelationshipRoutes(app: FastifyInstance, store: ResourceStore): void {
  app.get('/relationships', async (request: FastifyRequest<{ Querystring: Query }>) => {
    const q = request.query;
    const limit = optionalInt(q.limit, 'limit');
    return store.getRelationships({
      ...(q.subject === undefined ? {} : { subject: parseRefParam(q.subject, 'subject', true) }),
      ...(q.predicate === undefined ? {} : { predicate: q.predicate }),
      ...(q.object === undefined ? {} : { object: parseRefParam(q.object, 'object', true) }),
      ...(limit === undefined ? {} : { limit }),
      ...(q.continue === undefined ? {} : { continue: q.continue }),
    });
  });

  app.post('/relationships', async (request: FastifyRequest<{ Body: unknown }>, reply) => {
    const body = request.body;
    if (!isRecord(body) || !Array.isArray(body.relationships)) throw invalidArgument('body', 'must be { "relationships": [ { subject, predicate, object } ] }');
    const items = await store.addRelationships(...(body.relationships as RelationshipInput[]));
    return reply.status(201).send({ items, revision: store.revision });
  });

  app.delete('/relationships', async (request: FastifyRequest<{ Querystring: Query }>) => {
    const q = request.query;
    if (q.predicate === undefined) throw invalidArgument('predicate', 'is required to delete a relationship');
    const relationship = {
      subject: parseRefParam(q.subject, 'subject', false) as RefInput,
      predicate: { type: q.predicate },
      object: parseRefParam(q.object, 'object', false) as RefInput,
    };
    const [deleted] = await store.deleteRelationships(relationship, { ignoreMissing: q.ignoreMissing === 'true' });
    return { items: deleted === undefined ? [] : [deleted], revision: store.revision };
  });

  app.get('/graph', async (request: FastifyRequest<{ Querystring: Query }>) => {
    const q = request.query;
    if (q.from === undefined) throw invalidArgument('from', 'is required: the ref to start from');
    const maxDepth = optionalInt(q.maxDepth, 'maxDepth');
    const limit = optionalInt(q.limit, 'limit');
    const graph = await store.traverse({
      from: parseRefParam(q.from, 'from', false) as RefInput,
      ...(q.direction === undefined ? {} : { direction: q.direction as 'out' }),
      ...(q.predicates === undefined ? {} : { predicates: q.predicates.split(',').filter((p) => p !== '') }),
      ...(maxDepth === undefined ? {} : { maxDepth }),
      ...(limit === undefined ? {} : { limit }),
    });
    return { ...graph, nodes: graph.nodes.map((node) => (node.resource ? { ...node, resource: resourceJson(node.resource) } : node)) };
  });

  app.post('/batch', async (request: FastifyRequest<{ Body: unknown }>) => {
    const body = request.body;
    if (!isRecord(body) || !Array.isArray(body.operations)) throw invalidArgument('body', 'must be { "operations": [ ... ] }');
    const results = await store.batch(body.operations as BatchOperation[]);
    return { results: results.map((r) => (r !== undefined && 'ref' in r ? resourceJson(r as Resource) : (r ?? null))), revision: store.revision };
  });
}
