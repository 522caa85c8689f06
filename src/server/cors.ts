/**
 * Cross-origin access for pages on other origins (`serve --cors-origin ORIGIN`): a request whose
 * `Origin` is one of the allowed origins gets `Access-Control-Allow-Origin` naming it (never `*`),
 * on every route, event streams included (the headers are set on the raw response, so a hijacked
 * reply such as an SSE watch carries them too). Its preflight (`OPTIONS` with
 * `Access-Control-Request-Method`) is answered 204 before the token check, since browsers send
 * preflights without credentials. Requests from any other origin get no CORS header, so the
 * browser keeps their pages from reading the answer; with no allowed origin (the default) nothing
 * changes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidArgument } from '../storage/errors.js';

const METHODS = 'GET, POST, PUT, PATCH, DELETE';
/** Headers a page may send: the token, JSON and patch bodies, and where an event stream resumes. */
const HEADERS = 'Authorization, Content-Type, Last-Event-ID';

/**
 * An origin as browsers send it (`scheme://host[:port]`, no path), or INVALID_ARGUMENT.
 *
 * @example normalizeOrigin('https://dash.example.com:8443') // 'https://dash.example.com:8443'
 */
export function normalizeOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument('cors-origin', `must be an origin such as https://example.com, got ${JSON.stringify(value)}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== value.replace(/\/$/, '')) {
    throw invalidArgument('cors-origin', `must be an origin (scheme://host[:port], no path), got ${JSON.stringify(value)}`);
  }
  return url.origin;
}

/**
 * An `onRequest` hook that adds CORS headers for `origins` and answers their preflights, or
 * undefined when there are none.
 */
export function corsHook(origins: readonly string[]): ((request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) | undefined {
  if (origins.length === 0) return undefined;
  const allowed = new Set(origins.map(normalizeOrigin));
  return async (request, reply) => {
    const origin = request.headers.origin;
    reply.raw.setHeader('Vary', 'Origin');
    if (origin === undefined || !allowed.has(origin)) return undefined;
    reply.raw.setHeader('Access-Control-Allow-Origin', origin);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply.raw.setHeader('Access-Control-Allow-Methods', METHODS);
      reply.raw.setHeader('Access-Control-Allow-Headers', HEADERS);
      reply.raw.setHeader('Access-Control-Max-Age', '600');
      return reply.status(204).send();
    }
    return undefined;
  };
}
