/**
 * Kubernetes discovery over HTTP: `/version`, `/api` (APIVersions), `/apis` (APIGroupList),
 * `/apis/{group}` (APIGroup), the resource lists of `/api/{version}` and `/apis/{group}/{version}`
 * (answered by the resource dispatcher in kube-routes.ts through `groupVersionDocument`), and the
 * OpenAPI documents kubectl reads before it writes: `/openapi/v2` (protobuf, as
 * `application/octet-stream`, when asked for protobuf; else JSON), `/swagger-2.0.0.pb-v1` and
 * `/openapi/v3`. Every document is JSON whatever the Accept header asks for (aggregated discovery
 * included: clients fall back to these documents), and each lists the built-in kinds, the CRDs
 * and every type stored, as of the request.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, KUBERNETES_VERSION, versionInfo } from '../kube/discovery.js';
import { OPENAPI_V2_PROTOBUF_CONTENT_TYPE, openApiV2Json, openApiV2Protobuf, openApiV3Discovery } from '../kube/openapi.js';
import { failure } from '../kube/status.js';
import type { ServedKinds } from './kube-kinds.js';

/** The 404 Status kube-apiserver answers for a path it does not serve. */
export const NOT_SERVED = failure('NotFound', 'the server could not find the requested resource');

/** The APIResourceList of a group-version, or undefined when it serves nothing. */
export async function groupVersionDocument(kinds: ServedKinds, group: string, version: string): Promise<object | undefined> {
  return apiResourceList(await kinds.current(), group, version);
}

/** Registers the discovery and OpenAPI routes. */
export function registerKubeDiscoveryRoutes(app: FastifyInstance, kinds: ServedKinds): void {
  app.get('/version', async () => versionInfo());
  app.get('/api', async (request) => apiVersions(await kinds.current(), request.headers.host ?? ''));
  app.get('/apis', async () => apiGroupList(await kinds.current()));
  app.get('/apis/:group', async (request: FastifyRequest<{ Params: { group: string } }>, reply) => {
    return apiGroup(await kinds.current(), request.params.group) ?? reply.status(404).send(NOT_SERVED);
  });
  const protobuf = Buffer.from(openApiV2Protobuf(KUBERNETES_VERSION));
  app.get('/openapi/v2', async (request, reply) => {
    if (/protobuf/i.test(request.headers.accept ?? '')) return reply.type(OPENAPI_V2_PROTOBUF_CONTENT_TYPE).send(protobuf);
    return openApiV2Json(KUBERNETES_VERSION);
  });
  app.get('/swagger-2.0.0.pb-v1', async (_request, reply) => reply.type(OPENAPI_V2_PROTOBUF_CONTENT_TYPE).send(protobuf));
  app.get('/openapi/v3', async () => openApiV3Discovery());
}
