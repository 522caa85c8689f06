/**
 * How errors become HTTP answers: every StoreError code has one status, and the body is always
 * `{ code, message }`. Fastify's own errors (malformed JSON, a body over the limit, a wrong
 * content type) become 4xx with the store's codes, so a bad request never gets a 5xx. An answer
 * given before the request's body has arrived (a body over the limit, a wrong content type) keeps
 * the connection open while the rest of the body is read and discarded, so that every client,
 * including one that reads its answer only after sending everything, reads it: closing at once
 * would reset the connection under a client still sending.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { StoreError, type ErrorCode } from '../store/errors.js';

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
  INCOMPLETE: 503,
  CORRUPTED: 500,
  COMPACTED: 410,
  OVERFLOW: 429,
  INTERNAL: 500,
};

/** The JSON body of an error answer. */
export function errorBody(err: StoreError): { code: ErrorCode; message: string; revision?: number } {
  return { code: err.code, message: err.message, ...(err.details.revision === undefined ? {} : { revision: err.details.revision }) };
}

/** The StoreError a Fastify error stands for. */
function fromFastify(err: FastifyError): StoreError {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new StoreError('TOO_LARGE', `request body: ${err.message}`);
  return new StoreError('INVALID_ARGUMENT', `request: ${err.message}`);
}

/** The error handler of the server. */
export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof StoreError) {
    void reply.status(STATUS_OF[err.code]).send(errorBody(err));
    return;
  }
  const status = (err as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Fastify asks to close, as the client may still be sending; Node reads and discards the rest of
    // the body after the answer instead, and the client finishes sending and reads the answer.
    if (!request.raw.complete) reply.removeHeader('connection');
    // Fastify's own 4xx (bad JSON 400, body too large 413, unsupported media type 415) keep their status.
    void reply.status(status).send(errorBody(fromFastify(err as FastifyError)));
    return;
  }
  request.log.error({ err }, 'unexpected error');
  void reply.status(500).send(errorBody(new StoreError('INTERNAL', `unexpected error: ${(err as Error).message}`)));
}
