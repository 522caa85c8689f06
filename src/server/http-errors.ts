/**
 * How errors become HTTP answers: every StoreError code has one status, and the body is always
 * `{ code, message }`. Fastify's own errors (malformed JSON, a body over the limit, a wrong
 * content type) become 4xx with the store's codes, so a bad request never gets a 5xx.
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
  CLOSED: 503,
  LOCKED: 503,
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
  let storeError: StoreError;
  if (err instanceof StoreError) storeError = err;
  else if (typeof (err as FastifyError).statusCode === 'number' && (err as FastifyError).statusCode! < 500) storeError = fromFastify(err as FastifyError);
  else {
    request.log.error({ err }, 'unexpected error');
    storeError = new StoreError('INTERNAL', `unexpected error: ${(err as Error).message}`);
  }
  void reply.status(STATUS_OF[storeError.code]).send(errorBody(storeError));
}
