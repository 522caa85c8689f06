import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES, StoreError, type ErrorCode } from '../../src/storage/errors.js';
import { REASON_CODES, REASON_OF, expired, failure, statusOf } from '../../src/kube/status.js';

/** The reason and code kube-apiserver answers for what each store code means. */
const EXPECTED: Record<ErrorCode, [string, number]> = {
  NOT_FOUND: ['NotFound', 404],
  ALREADY_EXISTS: ['AlreadyExists', 409],
  CONFLICT: ['Conflict', 409],
  INVALID_ARGUMENT: ['BadRequest', 400],
  TOO_LARGE: ['RequestEntityTooLarge', 413],
  UNAUTHENTICATED: ['Unauthorized', 401],
  FORBIDDEN: ['Forbidden', 403],
  CLOSED: ['ServiceUnavailable', 503],
  LOCKED: ['ServiceUnavailable', 503],
  UNAVAILABLE: ['ServiceUnavailable', 503],
  INCOMPLETE: ['ServiceUnavailable', 503],
  CORRUPTED: ['InternalError', 500],
  COMPACTED: ['Expired', 410],
  OVERFLOW: ['TooManyRequests', 429],
  INTERNAL: ['InternalError', 500],
};

describe('Status', () => {
  it('gives every store error code the reason and code Kubernetes uses', () => {
    assert.deepEqual(Object.keys(REASON_OF).sort(), Object.keys(ERROR_CODES).sort());
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const status = statusOf(new StoreError(code, 'x'));
      assert.deepEqual([status.reason, status.code], EXPECTED[code], code);
      assert.deepEqual([status.kind, status.apiVersion, status.status, status.metadata], ['Status', 'v1', 'Failure', {}]);
    }
  });

  it('names the object as kube-apiserver does, details.kind holding the plural resource', () => {
    const notFound = statusOf(new StoreError('NOT_FOUND', 'apps/v1 Deployment "web/nginx" not found'), { name: 'nginx', group: 'apps', resource: 'deployments' });
    assert.equal(notFound.message, 'deployments.apps "nginx" not found');
    assert.deepEqual(notFound.details, { name: 'nginx', group: 'apps', kind: 'deployments' });
    const exists = statusOf(new StoreError('ALREADY_EXISTS', 'x'), { name: 'web', resource: 'pods' });
    assert.equal(exists.message, 'pods "web" already exists');
    assert.deepEqual(exists.details, { name: 'web', kind: 'pods' });
    assert.match(statusOf(new StoreError('CONFLICT', 'stale'), { name: 'web', resource: 'pods' }).message, /^Operation cannot be fulfilled on pods "web": /);
  });

  it('asks the client to retry a 503 or 429 later, and no other', () => {
    assert.equal(statusOf(new StoreError('CLOSED', 'closing')).details?.retryAfterSeconds, 1);
    assert.equal(statusOf(new StoreError('OVERFLOW', 'slow')).details?.retryAfterSeconds, 1);
    assert.equal(statusOf(new StoreError('NOT_FOUND', 'gone')).details, undefined);
  });

  it('builds the 410 Expired a watch ERROR event carries', () => {
    assert.deepEqual(expired(5, 120), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'too old resource version: 5 (120)',
      reason: 'Expired',
      code: 410,
    });
  });

  it('builds the failures the store has no code for with their HTTP codes', () => {
    for (const [reason, code] of [['MethodNotAllowed', 405], ['NotAcceptable', 406], ['UnsupportedMediaType', 415], ['Invalid', 422]] as const) {
      assert.equal(failure(reason, 'no').code, code);
      assert.equal(REASON_CODES[reason], code);
    }
  });
});
