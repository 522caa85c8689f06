/**
 * How errors become HTTP answers: every StoreError code has one status. The body depends on the
 * path: on the Kubernetes paths (`/api`, `/apis`, `/version`, `/openapi`, see `isKubePath`) it is
 * a Kubernetes `Status` (src/kube/status.ts), which kubectl and client libraries read; everywhere
 * else it is the store's `{ code, message }`. Fastify's own errors (malformed JSON, a body over the
 * limit, a wrong content type) become 4xx with the store's codes, so a bad request never gets a
 * 5xx. An answer given before the request's body has arrived (a body over the limit, a wrong
 * content type) keeps the connection open while the rest of the body is read and discarded, so
 * that every client, including one that reads its answer only after sending everything, reads it:
 * closing at once would reset the connection under a client still sending.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PATCH_TYPES } from '../kube/patch.js';
import { failure, REASON_CODES, statusOf, type StatusReason, type StatusTarget } from '../kube/status.js';
import { StoreError, type ErrorCode } from '../storage/errors.js';

/** The status of each code. */
export const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  INVALID_ARGUMENT: 400,
  TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CLOSED: 503,
  LOCKED: 503,
  UNAVAILABLE: 503,
  INCOMPLETE: 503,
  CORRUPTED: 500,
  COMPACTED: 410,
  OVERFLOW: 429,
  INTERNAL: 500,
};

/** The body types the Kubernetes paths take: JSON, and the JSON patch types for PATCH. */
export const KUBE_BODY_TYPES: readonly string[] = ['application/json', ...PATCH_TYPES];

/** The JSON body of an error answer on the store's own paths. */
export function errorBody(err: StoreError): { code: ErrorCode; message: string; revision?: number } {
  return { code: err.code, message: err.message, ...(err.details.revision === undefined ? {} : { revision: err.details.revision }) };
}

/** Whether a request path (query string allowed) is one of the Kubernetes API's, whose errors are `Status` objects. */
export function isKubePath(url: string): boolean {
  const path = url.split('?')[0]!;
  return /^\/(api|apis|version|openapi)(\/|$)/.test(path) || path === '/swagger-2.0.0.pb-v1';
}

/**
 * Answers `err`: a Kubernetes Status about `target` on the Kubernetes paths, `{ code, message }`
 * elsewhere. The HTTP status is the same either way.
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: StoreError, target: StatusTarget = {}): FastifyReply {
  if (isKubePath(request.url)) {
    const status = statusOf(err, target);
    return reply.status(status.code).send(status);
  }
  return reply.status(STATUS_OF[err.code]).send(errorBody(err));
}

/** The StoreError a Fastify error stands for. */
function fromFastify(err: FastifyError): StoreError {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new StoreError('TOO_LARGE', `request body: ${err.message}`);
  return new StoreError('INVALID_ARGUMENT', `request: ${err.message}`);
}

/** The error handler of the server. */
export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof StoreError) {
    void sendError(request, reply, err);
    return;
  }
  const status = (err as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Fastify asks to close, as the client may still be sending; Node reads and discards the rest of
    // the body after the answer instead, and the client finishes sending and reads the answer.
    if (!request.raw.complete) reply.removeHeader('connection');
    // Fastify's own 4xx (bad JSON 400, body too large 413, unsupported media type 415) keep their status.
    const store = fromFastify(err as FastifyError);
    if (isKubePath(request.url)) {
      const reason = (Object.keys(REASON_CODES) as StatusReason[]).find((r) => REASON_CODES[r] === status) ?? 'BadRequest';
      // kube-apiserver's words for a body it cannot decode (kubectl 1.32 `create configmap` sends protobuf).
      const message = reason === 'UnsupportedMediaType' ? `the body of the request was in an unknown format - accepted media types include: ${KUBE_BODY_TYPES.join(', ')}` : store.message;
      void reply.status(status).send(failure(reason, message));
    } else {
      void reply.status(status).send(errorBody(store));
    }
    return;
  }
  request.log.error({ err }, 'unexpected error');
  void sendError(request, reply, new StoreError('INTERNAL', `unexpected error: ${(err as Error).message}`));
}
