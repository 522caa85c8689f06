/**
 * The resource API of the server: the Kubernetes paths (kube-paths.ts) below `/api` and `/apis`.
 * A path's plural is resolved by the served kinds (kube-kinds.ts); a resource the server does not
 * serve, or a namespaced path for a cluster-scoped kind (and the other way round), is a 404
 * NotFound. Reads answer manifests: GET an object, list a collection (`{kind: PodList, apiVersion,
 * metadata: {resourceVersion, continue?}, items}`, with `limit`, `continue`, `labelSelector`,
 * `fieldSelector`), or watch it (`?watch=true`, kube-watch-stream.ts); writes are in
 * kube-writes.ts. Bodies are JSON; PATCH takes the three JSON patch types. Every error is a
 * Kubernetes `Status` naming the object.
 *
 * A list reads the store's pages as they are; a field selector filters them, reading on until
 * the page is full. Equality on `metadata.name` (with the namespace known) reads the one object.
 * Every page of a list reports the revision its first page was read at, and its `continue` token
 * carries it: a watch from it misses nothing the pages did not show. `resourceVersion` and
 * `resourceVersionMatch` are checked and then served from the latest state (what Kubernetes
 * serves for "" and "0", and allows for `NotOlderThan`); an `Exact` one other than the latest, or
 * one the store has not reached, is Expired (410): the store keeps no past states.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseLabelSelector, matchesSelector } from '../indices/label-selector.js';
import { parseFieldSelector } from '../kube/field-selector.js';
import type { ResourceType } from '../kube/kind-resolver.js';
import { kubeWatch } from '../kube/kube-watch.js';
import { listText, toManifest, type ManifestTarget } from '../kube/manifest.js';
import type { ManifestTexts } from '../kube/manifest-texts.js';
import { PATCH_TYPES } from '../kube/patch.js';
import { failure, type StatusTarget } from '../kube/status.js';
import { MAX_LIST_LIMIT, type ResourceStore } from '../store/resource-store.js';
import { invalidArgument, isStoreError, StoreError } from '../storage/errors.js';
import type { Resource } from '../model/types.js';
import { isRecord } from '../model/validate.js';
import { sendError } from './http-errors.js';
import { sendJson } from './json.js';
import { groupVersionDocument, NOT_SERVED } from './kube-discovery-routes.js';
import type { ServedKinds } from './kube-kinds.js';
import { parseKubePath } from './kube-paths.js';
import { streamKubeWatch } from './kube-watch-stream.js';
import { createObject, deleteObject, patchObject, refuseDryRun, replaceObject, StatusFailure } from './kube-writes.js';
import { optionalInt } from './query-params.js';

type Query = Record<string, string | undefined>;

/** What the Kubernetes routes need. */
export interface KubeContext {
  readonly store: ResourceStore;
  readonly kinds: ServedKinds;
  /** Watch streams open now, each with the function that ends it cleanly, so shutdown can end them. */
  readonly streams: Set<() => void>;
  /** The manifest texts of recent states, shared by reads, lists and watches. */
  readonly texts: ManifestTexts;
}

const METHOD_NOT_ALLOWED = failure('MethodNotAllowed', 'the server does not allow this method on the requested resource');

/** Registers the resource routes of the Kubernetes paths (in their own context: its body parsers are theirs). */
export function registerKubeRoutes(app: FastifyInstance, context: KubeContext): void {
  void app.register(async (kube) => {
    const json = kube.getDefaultJsonParser('error', 'error');
    kube.removeContentTypeParser('application/json');
    // An empty body (a DELETE without DeleteOptions, from some clients with a JSON content type) is no body.
    kube.addContentTypeParser(['application/json', ...PATCH_TYPES], { parseAs: 'string' }, (request, body, done) =>
      body === '' ? done(null, undefined) : json(request, body as string, done),
    );
    for (const url of ['/api/*', '/apis/*']) {
      kube.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url, handler: (request, reply) => dispatch(context, request, reply) });
    }
  });
}

async function dispatch(context: KubeContext, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const path = parseKubePath(request.url);
  if (path === undefined) return reply.status(404).send(NOT_SERVED);
  const read = request.method === 'GET' || request.method === 'HEAD';
  if (path.kind === 'group-version') {
    if (!read) return reply.status(405).send(METHOD_NOT_ALLOWED);
    return (await groupVersionDocument(context.kinds, path.group, path.version)) ?? reply.status(404).send(NOT_SERVED);
  }
  const type = await context.kinds.resource(path.group, path.version, path.plural);
  if (type === undefined || (path.namespace !== undefined && !type.namespaced) || (path.kind === 'object' && path.namespace === undefined && type.namespaced)) {
    return reply.status(404).send(NOT_SERVED);
  }
  // The namespace to read or write: "" for a cluster-scoped kind, undefined for every namespace.
  const scope = type.namespaced ? path.namespace : '';
  const query = request.query as Query;
  const body = request.body;
  const bodyName = isRecord(body) && isRecord(body.metadata) && typeof body.metadata.name === 'string' ? body.metadata.name : undefined;
  const about: StatusTarget = { group: type.group, resource: type.plural, ...(path.name ?? bodyName ? { name: path.name ?? bodyName } : {}) };
  try {
    if (path.kind === 'collection') {
      if (read) return query.watch === 'true' || query.watch === '1' ? await watch(context, reply, type, scope, query) : sendJson(reply, await list(context, type, scope, query));
      if (request.method !== 'POST' || scope === undefined) return reply.status(405).send(METHOD_NOT_ALLOWED);
      refuseDryRun(query);
      requireJson(request);
      return sendJson(reply.status(201), await createObject(context.store, context.texts, manifestTarget(type, scope), body));
    }
    const target = { ...manifestTarget(type, scope!), name: path.name! };
    switch (request.method) {
      case 'GET':
      case 'HEAD': {
        const resource = await context.store.get({ ...target, namespace: scope! });
        return sendJson(reply, context.texts.of(resource, resource.revision));
      }
      case 'PUT':
        refuseDryRun(query);
        requireJson(request);
        return sendJson(reply, await replaceObject(context.store, context.texts, target, body));
      case 'PATCH':
        refuseDryRun(query);
        return sendJson(reply, await patchObject(context.store, context.texts, target, request.headers['content-type'], body));
      case 'DELETE':
        refuseDryRun(query);
        return sendJson(reply, await deleteObject(context.store, context.texts, target, body));
      default:
        return reply.status(405).send(METHOD_NOT_ALLOWED);
    }
  } catch (err) {
    if (err instanceof StatusFailure) return reply.status(err.status.code).send(err.status);
    if (err instanceof StoreError) return sendError(request, reply, err, about);
    throw err;
  }
}

function manifestTarget(type: ResourceType, namespace: string): ManifestTarget {
  return { group: type.group, version: type.version, kind: type.kind, namespace };
}

/** A create or replace body must be JSON (the patch types are for PATCH). */
function requireJson(request: FastifyRequest): void {
  const type = (request.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new StatusFailure(failure('UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json'));
  }
}

/** `limit`: absent or 0 for everything, else at most the store's largest page. */
function limitOf(query: Query): number | undefined {
  const limit = optionalInt(query.limit, 'limit');
  if (limit === undefined || limit === 0) return undefined;
  if (limit < 0) throw invalidArgument('limit', 'must not be negative');
  return Math.min(limit, MAX_LIST_LIMIT);
}

/** Checks `resourceVersion` and `resourceVersionMatch` of a list, which is served from the latest state. */
function checkListVersion(query: Query, latest: number): void {
  const { resourceVersion: version = '', resourceVersionMatch: match = '' } = query;
  if (version !== '' && !/^\d{1,15}$/.test(version)) throw invalidArgument('resourceVersion', `is not a resource version: ${JSON.stringify(version.slice(0, 40))}`);
  if (match !== '' && match !== 'NotOlderThan' && match !== 'Exact') throw invalidArgument('resourceVersionMatch', 'must be NotOlderThan or Exact');
  if (match !== '' && version === '') throw invalidArgument('resourceVersionMatch', 'is forbidden unless resourceVersion is provided');
  // A revision the store has not reached is not this store's history: the client lists again.
  if (Number(version) > latest) throw new StatusFailure(failure('Expired', `too large resource version: ${version}, current: ${latest}`));
  if (match === 'Exact' && Number(version) !== latest) {
    throw new StatusFailure(failure('Expired', `too old resource version: ${version} (${latest}); this server lists only the latest state`));
  }
}

/** A list `continue` token: the store's token and the revision of the list's first page. */
function continueOf(revision: number, token: string): string {
  return `${revision}.${token}`;
}

function parseContinue(token: string): { revision: number; token: string } {
  const dot = token.indexOf('.');
  const revision = Number(token.slice(0, dot));
  if (dot <= 0 || !/^\d{1,15}$/.test(token.slice(0, dot))) throw invalidArgument('continue', 'is not a continue token of this server');
  return { revision, token: token.slice(dot + 1) };
}

/** A list, as the JSON text of its response: items without a field selector are their manifest texts (`manifestText`, made once per state). */
async function list({ store, texts }: KubeContext, type: ResourceType, scope: string | undefined, query: Query): Promise<string> {
  const fields = query.fieldSelector === undefined || query.fieldSelector === '' ? undefined : parseFieldSelector(query.fieldSelector, type.group, type.kind);
  const labelSelector = query.labelSelector === undefined || query.labelSelector === '' ? undefined : query.labelSelector;
  const limit = limitOf(query);
  const from = query.continue === undefined || query.continue === '' ? undefined : parseContinue(query.continue);
  checkListVersion(query, store.revision);
  const { name, namespace: fieldNamespace, empty } = fields?.narrowing ?? {};
  const kind = { group: type.group, version: type.version, kind: type.kind };
  const namespace = scope ?? fieldNamespace;
  const answer = (items: string[], revision: number, next?: string) => listText(type.group, type.version, type.kind, items, { revision, ...(next === undefined ? {} : { continue: next }) });
  /** The item of a resource, or undefined when the field selector does not match it. */
  const item = (resource: Resource): string | undefined => {
    if (fields === undefined) return texts.of(resource, resource.revision);
    const manifest = toManifest(resource, resource.revision);
    return fields.matches(manifest) ? JSON.stringify(manifest) : undefined;
  };
  if (empty || (fieldNamespace !== undefined && namespace !== fieldNamespace)) return answer([], store.revision);
  if (name !== undefined && namespace !== undefined && from === undefined) {
    // One object: read it. The list is as of a revision no older than the read and no newer than its state.
    const before = store.revision;
    const resource = await store.get({ ...kind, namespace, name }).catch((err: unknown) => (isStoreError(err, 'NOT_FOUND') ? undefined : Promise.reject(err)));
    const labels = labelSelector === undefined ? undefined : parseLabelSelector(labelSelector);
    const found = resource && (labels === undefined || matchesSelector(labels, resource.labels)) ? item(resource) : undefined;
    return answer(found === undefined ? [] : [found], Math.max(before, resource?.revision ?? 0));
  }
  const items: string[] = [];
  let token = from?.token;
  let revision = from?.revision;
  do {
    const page = await store.list({
      type: kind,
      ...(namespace === undefined ? {} : { namespace }),
      ...(labelSelector === undefined ? {} : { labelSelector }),
      ...(limit === undefined ? {} : { limit: limit - items.length }),
      ...(token === undefined ? {} : { continue: token }),
    });
    revision ??= page.revision;
    for (const resource of page.items) {
      const text = item(resource);
      if (text !== undefined) items.push(text);
    }
    token = page.continue;
  } while (fields !== undefined && limit !== undefined && items.length < limit && token !== undefined);
  return answer(items, revision, token === undefined ? undefined : continueOf(revision, token));
}

function flag(query: Query, name: string): boolean | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalidArgument(name, `must be true or false, got ${JSON.stringify(value.slice(0, 40))}`);
}

/** A watch of the collection (kube-watch.ts), streamed (kube-watch-stream.ts); bad parameters are a 400 before the stream starts. */
async function watch(context: KubeContext, reply: FastifyReply, type: ResourceType, scope: string | undefined, query: Query): Promise<void> {
  const timeoutSeconds = optionalInt(query.timeoutSeconds, 'timeoutSeconds');
  const sendInitialEvents = flag(query, 'sendInitialEvents');
  const allowWatchBookmarks = flag(query, 'allowWatchBookmarks');
  const events = kubeWatch(context.store, {
    group: type.group,
    version: type.version,
    kind: type.kind,
    ...(scope === undefined ? {} : { namespace: scope }),
    ...(query.labelSelector === undefined ? {} : { labelSelector: query.labelSelector }),
    ...(query.fieldSelector === undefined ? {} : { fieldSelector: query.fieldSelector }),
    ...(query.resourceVersion === undefined ? {} : { resourceVersion: query.resourceVersion }),
    ...(query.resourceVersionMatch === undefined ? {} : { resourceVersionMatch: query.resourceVersionMatch }),
    ...(sendInitialEvents === undefined ? {} : { sendInitialEvents }),
    ...(allowWatchBookmarks === undefined ? {} : { allowWatchBookmarks }),
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
  }, context.texts);
  await streamKubeWatch(reply, events, context.streams);
}
