/**
 * Errors as Kubernetes reports them: a `metav1.Status` with the reason and HTTP code kube-apiserver
 * uses, so kubectl prints `Error from server (NotFound): pods "web" not found` and client-go's
 * `apierrors.IsNotFound`, `IsConflict`, `IsResourceExpired`... and client-node's 410 handling see
 * what they expect. Every store error code maps to exactly one reason (the map is typed to cover
 * them all); the reasons the store has no code for (a method or media type the server does not
 * serve, a patch that does not apply) are built with `failure`. `details.kind` holds the plural
 * resource and `details.group` its group, as in Kubernetes.
 */
import type { ErrorCode, StoreError } from '../storage/errors.js';

/** The reasons this server answers with, and their HTTP codes (as `metav1.StatusReason*`). */
export const REASON_CODES = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
} as const;

/** A Kubernetes status reason. */
export type StatusReason = keyof typeof REASON_CODES;

/** What a Status says it is about: the object's name, and its resource's group and plural. */
export interface StatusTarget {
  readonly name?: string;
  readonly group?: string;
  /** The plural resource (`pods`), as `details.kind` holds it in Kubernetes. */
  readonly resource?: string;
}

/** A failure `metav1.Status`. */
export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: StatusReason;
  readonly details?: { readonly name?: string; readonly group?: string; readonly kind?: string; readonly retryAfterSeconds?: number };
  readonly code: number;
}

/** The reason of each store error code. */
export const REASON_OF: Readonly<Record<ErrorCode, StatusReason>> = {
  NOT_FOUND: 'NotFound',
  ALREADY_EXISTS: 'AlreadyExists',
  CONFLICT: 'Conflict',
  INVALID_ARGUMENT: 'BadRequest',
  TOO_LARGE: 'RequestEntityTooLarge',
  UNAUTHENTICATED: 'Unauthorized',
  FORBIDDEN: 'Forbidden',
  CLOSED: 'ServiceUnavailable',
  LOCKED: 'ServiceUnavailable',
  UNAVAILABLE: 'ServiceUnavailable',
  INCOMPLETE: 'ServiceUnavailable',
  CORRUPTED: 'InternalError',
  COMPACTED: 'Expired',
  OVERFLOW: 'TooManyRequests',
  INTERNAL: 'InternalError',
};

/**
 * A failure Status with the given reason.
 *
 * @example failure('UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json')
 */
export function failure(reason: StatusReason, message: string, target: StatusTarget = {}, retryAfterSeconds?: number): Status {
  const details = {
    ...(target.name === undefined ? {} : { name: target.name }),
    ...(target.group ? { group: target.group } : {}),
    ...(target.resource === undefined ? {} : { kind: target.resource }),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(Object.keys(details).length > 0 ? { details } : {}),
    code: REASON_CODES[reason],
  };
}

/** `pods "web"` or `deployments.apps "web"`, as Kubernetes names an object in messages. */
function qualified(target: StatusTarget): string | undefined {
  if (target.resource === undefined || target.name === undefined) return undefined;
  return `${target.group ? `${target.resource}.${target.group}` : target.resource} ${JSON.stringify(target.name)}`;
}

/**
 * The Status of a store error about `target`. NotFound, AlreadyExists and Conflict get the
 * messages kube-apiserver writes (`pods "web" not found`); the others keep the store's message.
 * A 503 or 429 asks the client to retry after a second.
 *
 * @example statusOf(err, { name: 'web', resource: 'pods' }) // { reason: 'NotFound', code: 404, ... }
 */
export function statusOf(err: StoreError, target: StatusTarget = {}): Status {
  const reason = REASON_OF[err.code];
  const object = qualified(target);
  const retry = reason === 'ServiceUnavailable' || reason === 'TooManyRequests' ? 1 : undefined;
  switch (reason) {
    case 'NotFound':
      return failure(reason, object ? `${object} not found` : err.message, target);
    case 'AlreadyExists':
      return failure(reason, object ? `${object} already exists` : err.message, target);
    case 'Conflict':
      return failure(reason, object ? `Operation cannot be fulfilled on ${object}: ${err.message}` : err.message, target);
    case 'InternalError':
      return failure(reason, `Internal error occurred: ${err.message}`, target);
    default:
      return failure(reason, err.message, target, retry);
  }
}

/**
 * The Status a watch's ERROR event carries when the revision to resume from is compacted: 410
 * Expired, which client-go's reflector and client-node's informer answer by listing again.
 *
 * @example expired(5, 120).message // 'too old resource version: 5 (120)'
 */
export function expired(requested: number | string, oldest: number | string): Status {
  return failure('Expired', `too old resource version: ${requested} (${oldest})`);
}
