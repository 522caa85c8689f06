/**
 * The store's one error class and its catalogue of stable codes.
 *
 * Every failure the store reports is a `StoreError` whose `code` is one of `ERROR_CODES`; codes
 * never change meaning, messages may. Each message names what failed (the ref, the field, the
 * path). `docs/errors.md` documents the same catalogue and a test fails when the two differ.
 */

/** Every error code, with the one-line meaning that `docs/errors.md` expands on. */
export const ERROR_CODES = {
  NOT_FOUND: 'The resource or relationship named does not exist.',
  ALREADY_EXISTS: 'An add named a resource that already exists.',
  CONFLICT: 'The stored version (or uid) differs from the one the caller expected.',
  INVALID_ARGUMENT: 'The input is malformed: a missing or bad field, selector, token or option.',
  TOO_LARGE: 'A value is over its size limit (resource data, annotations).',
  UNAUTHENTICATED: 'The server requires a bearer token and the request had none, or a wrong one.',
  FORBIDDEN: 'The server refuses the request: it names a Host the server does not answer to.',
  CLOSED: 'The store is closed, or closing; nothing more can be done with it.',
  LOCKED: 'The data directory is held by another process or another open store.',
  UNAVAILABLE: 'The database the store runs on cannot be reached now (PostgreSQL down or unreachable); try again.',
  INCOMPLETE: 'A restore or repair of the data directory was interrupted; it must be run again to the end.',
  CORRUPTED: 'A stored value or index entry could not be decoded or does not match its key.',
  COMPACTED: 'The revision asked for is older than the change log still holds.',
  OVERFLOW: 'A subscriber fell further behind than its buffer allows; resume from the revision given.',
  INTERNAL: 'The storage engine failed in a way the store did not expect.',
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Extra, machine-readable facts an error may carry. */
export interface StoreErrorDetails {
  /** The field (or option, or path segment) that was wrong, e.g. `ref.name`, `labels["app"]`. */
  readonly field?: string;
  /** For OVERFLOW and COMPACTED: the revision to resume or relist from. */
  readonly revision?: number;
  /** For a failed `batch`: the index of the operation that failed. */
  readonly index?: number;
}

/**
 * The error every store operation rejects with.
 *
 * @example
 * try { await store.get(ref) } catch (err) {
 *   if (err instanceof StoreError && err.code === 'NOT_FOUND') { ... }
 * }
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: ErrorCode;
  readonly details: StoreErrorDetails;

  constructor(code: ErrorCode, message: string, options: StoreErrorDetails & { cause?: unknown } = {}) {
    const { cause, ...details } = options;
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }
}

/** True when `err` is a StoreError, optionally with the given code. */
export function isStoreError(err: unknown, code?: ErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

/** A caller's text as messages quote it: JSON-quoted, cut to 64 characters so no message grows with the input. */
export function brief(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

/** Shorthand for the most common error: bad input, naming the field. */
export function invalidArgument(field: string, message: string): StoreError {
  return new StoreError('INVALID_ARGUMENT', `${field}: ${message}`, { field });
}
