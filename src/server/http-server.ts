/**
 * The HTTP server over a store (fastify, JSON in and out). Its resource API is the Kubernetes API
 * (discovery and OpenAPI in kube-discovery-routes.ts, resources and watches in kube-routes.ts,
 * errors as `Status` objects); the store's own extensions keep their paths: `/resources`,
 * `/resource` and the SSE `/watch` (resource-routes.ts), relationship, graph and batch routes,
 * `/snapshot`, `/verify` and `/stats` (maintenance-routes.ts), `/metrics` (the store's registry
 * with the process's default metrics, less three sums promtool rejects), `/healthz` and
 * `/readyz`, with `{ code, message }` errors. Before any route: the Host check (only the server's
 * own names, see allowed-hosts.ts), CORS headers and preflights for the origins allowed
 * (cors.ts), the query string (each parameter once), and an optional bearer token on every route
 * but the health checks and the dashboard's static files (`/`, `/dashboard/*`: the page asks for
 * the token and sends it on its API calls; see dashboard/dashboard-routes.ts). Shutdown stops accepting, ends event
 * streams (SSE and Kubernetes watches) at once and cleanly, lets requests in flight finish, and
 * closes the store.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { isDashboardPath, registerDashboardRoutes } from '../dashboard/dashboard-routes.js';
import { StoreError } from '../storage/errors.js';
import type { ResourceStore } from '../store/resource-store.js';
import { hostChecker } from './allowed-hosts.js';
import { corsHook } from './cors.js';
import { handleError, isKubePath, sendError } from './http-errors.js';
import { registerKubeDiscoveryRoutes, NOT_SERVED } from './kube-discovery-routes.js';
import { ServedKinds } from './kube-kinds.js';
import { registerKubeRoutes } from './kube-routes.js';
import { ManifestTexts } from '../kube/manifest-texts.js';
import { checkQuery } from './query-params.js';
import { registerMaintenanceRoutes } from './maintenance-routes.js';
import { registerRelationshipRoutes } from './relationship-routes.js';
import { registerResourceRoutes } from './resource-routes.js';

/** Options of the server. */
export interface ServerOptions {
  readonly store: ResourceStore;
  /** When set, every route but `/healthz` and `/readyz` needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Largest request body in bytes. Default 4 MiB (room for a resource at the 1.5 MiB data limit). */
  readonly bodyLimit?: number;
  /** Events held per watch client whose socket is full. Default 10,000. */
  readonly watchBufferSize?: number;
  /** Bytes of events held per watch client whose socket is full. Default 16 MiB. */
  readonly watchBufferBytes?: number;
  /**
   * Characters of Kubernetes manifest text kept for recent resource states (kube/manifest-texts.ts),
   * so that reads, lists and watchers of one state share the text made of it. Default 32 Mi; 0
   * keeps none.
   */
  readonly manifestTextBytes?: number;
  /**
   * Host names the server answers to, besides `localhost` and IP addresses (any port); `*` for any
   * name (behind a proxy that checks it). A request with another Host gets 403 FORBIDDEN, so a page
   * cannot reach the server by DNS rebinding. Default none.
   */
  readonly allowedHosts?: readonly string[];
  /**
   * Origins (`https://dash.example.com`) whose pages may call the API and open watches: their
   * requests get CORS headers and their preflights a 204. Default none (same-origin pages only).
   */
  readonly corsOrigins?: readonly string[];
  /** Log requests (pino, to stdout). Default false. */
  readonly logger?: boolean;
  /**
   * Serve HTTPS with this PEM certificate (chain) and key instead of plain HTTP. kubectl and
   * client-go send a bearer token only over TLS. Default: plain HTTP.
   */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

/** A built server and how to stop it. */
export interface StoreServer {
  readonly app: FastifyInstance;
  /** Stops accepting, ends event streams, waits for requests in flight, then closes the store. */
  shutdown(): Promise<void>;
}

const OPEN_ROUTES = new Set(['/healthz', '/readyz']);

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Builds the server (not yet listening). */
export function buildServer(options: ServerOptions): StoreServer {
  const { store } = options;
  // One instance type whichever transport: the routes use only what HTTP and HTTPS share.
  const app = Fastify({
    ...(options.tls === undefined ? {} : { https: { cert: options.tls.cert, key: options.tls.key } }),
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    return503OnClosing: true,
    // Errors fastify meets before routing (a URL it cannot decode) get the same {code, message} answers.
    frameworkErrors: (error, request, reply) => handleError(error, request, reply),
  });
  const processMetrics = new Registry();
  collectDefaultMetrics({ register: processMetrics });
  // Gauges whose names break the rule that only counters end in `_total` (promtool); each is the
  // sum of a series prom-client also exposes by type (`nodejs_active_handles{type}`, ...).
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) processMetrics.removeSingleMetric(name);
  // The store counts the subscribers it drops; the server's own outboxes drop SSE clients too.
  const sseOverflowed = new Counter({
    name: 'resourcestore_http_watch_overflowed_total',
    help: 'Server-Sent Event clients ended with OVERFLOW because the events waiting for their socket outgrew the bound in events or bytes.',
    registers: [processMetrics],
  });
  const metrics = Registry.merge([store.metrics, processMetrics]);
  const streams = new Set<() => void>();
  let ready = true;

  app.setErrorHandler(handleError);
  app.removeContentTypeParser('text/plain'); // bodies are JSON; anything else is 415
  app.setNotFoundHandler((request, reply) => {
    if (isKubePath(request.url)) void reply.status(404).send(NOT_SERVED);
    else void reply.status(404).send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}` });
  });
  const allowedHost = hostChecker(options.allowedHosts);
  app.addHook('onRequest', async (request, reply) => {
    if (!allowedHost(request.headers.host)) {
      return sendError(request, reply, new StoreError('FORBIDDEN', `this server does not answer to the host ${JSON.stringify((request.headers.host ?? '').slice(0, 100))}`));
    }
  });
  const cors = corsHook(options.corsOrigins ?? []);
  if (cors !== undefined) app.addHook('onRequest', cors);
  app.addHook('onRequest', async (request) => checkQuery(request.query));
  app.addHook('onRequest', async (request, reply) => {
    // A `.` or `..` segment, however encoded, would name another path than the one sent.
    const path = (request.raw.url ?? '').split('?')[0]!;
    let bad = false;
    try {
      bad = path.split('/').some((segment) => segment !== '' && /^\.\.?$/.test(decodeURIComponent(segment)));
    } catch {
      bad = true;
    }
    if (bad) return sendError(request, reply, new StoreError('INVALID_ARGUMENT', 'path: a segment is ".", "..", or not valid percent-encoding'));
  });
  if (options.token !== undefined) {
    const token = options.token;
    app.addHook('onRequest', async (request, reply) => {
      const path = request.url.split('?')[0]!;
      if (OPEN_ROUTES.has(path) || isDashboardPath(path)) return;
      const header = request.headers.authorization ?? '';
      if (!header.startsWith('Bearer ') || !sameToken(header.slice('Bearer '.length), token)) {
        return sendError(request, reply, new StoreError('UNAUTHENTICATED', 'this server needs Authorization: Bearer <token>'));
      }
    });
  }
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (!ready) return reply.status(503).send({ code: 'CLOSED', message: 'shutting down' });
    await store.ping(); // a store on PostgreSQL is not ready while its database cannot be reached (503 UNAVAILABLE)
    return { status: 'ready', revision: store.revision };
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));
  registerMaintenanceRoutes(app, store);
  registerResourceRoutes(app, store, {
    bufferSize: options.watchBufferSize ?? 10_000,
    bufferBytes: options.watchBufferBytes ?? 16 * 1024 * 1024,
    heartbeatMs: 15_000,
    open: streams,
    overflowed: () => sseOverflowed.inc(),
  });
  const kinds = new ServedKinds(store);
  registerKubeDiscoveryRoutes(app, kinds);
  registerKubeRoutes(app, { store, kinds, streams, texts: new ManifestTexts(options.manifestTextBytes) });
  registerRelationshipRoutes(app, store);
  registerDashboardRoutes(app);

  let stopping: Promise<void> | undefined;
  return {
    app,
    shutdown() {
      stopping ??= (async () => {
        ready = false;
        const closing = app.close();
        for (const end of [...streams]) end();
        kinds.close();
        // A client that stopped reading cannot take the end of its stream; do not wait for it forever.
        const cut = setTimeout(() => app.server.closeAllConnections(), 5000).unref();
        await closing;
        clearTimeout(cut);
        await store.close();
      })();
      return stopping;
    },
  };
}
