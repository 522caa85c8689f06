/**
 * PostgreSQL failures as StoreErrors. The one distinction callers act on: the database cannot be
 * reached now (server down, restarting, unreachable, a connection cut, no answer within the
 * timeout), which is UNAVAILABLE and worth retrying, against everything else (INTERNAL).
 */
import { StoreError } from './errors.js';

/**
 * SQLSTATE classes and codes that mean "not now": connection exceptions, shutdowns, too many
 * connections, and the server's own timeouts (a statement cancelled, a lock not had in time, a
 * session idle in its transaction too long).
 */
const UNAVAILABLE_STATE = /^(08...|57P0[1-3]|53300|57014|55P03|25P03)$/;
/** Node's socket errors for a server that is not there. */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** What node-postgres says when a connection ends, cannot be made in time, or a query gets no answer. */
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable|connection error/i;

/** True when `cause` says the database cannot be reached now. */
export function isUnavailable(cause: unknown): boolean {
  if (cause instanceof StoreError) return cause.code === 'UNAVAILABLE';
  const { code, message } = (cause ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_STATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
  if (cause instanceof AggregateError) return cause.errors.some(isUnavailable);
  return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}

/** `cause` as a StoreError, saying what the engine was doing. */
export function postgresError(cause: unknown, what: string): StoreError {
  if (cause instanceof StoreError) return cause;
  const message = (cause as Error)?.message ?? String(cause);
  if (isUnavailable(cause)) return new StoreError('UNAVAILABLE', `${what}: the PostgreSQL database cannot be reached: ${message}`, { cause });
  return new StoreError('INTERNAL', `${what}: PostgreSQL: ${message}`, { cause });
}
