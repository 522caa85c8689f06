/**
 * The import target behind a running server: the same writes as a local import, over the HTTP
 * API (GET an item, PATCH to apply, POST /batch to replace, POST /relationships), with the
 * bearer token when one is given. Error answers become StoreErrors with the server's code.
 */
import type { ImportTarget } from '../import/importer.js';
import { resourcePath } from '../server/paths.js';
import { StoreError, ERROR_CODES, type ErrorCode } from '../store/errors.js';
import type { Resource, ResourceInput, ResourceRef } from '../store/types.js';

export function httpTarget(baseUrl: string, token?: string): ImportTarget {
  const base = baseUrl.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const response = await fetch(base + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json: unknown = await response.json().catch(() => undefined);
    if (response.status >= 400 && response.status !== 404) {
      const { code, message } = (json ?? {}) as { code?: string; message?: string };
      const known = code !== undefined && code in ERROR_CODES ? (code as ErrorCode) : 'INTERNAL';
      throw new StoreError(known, message ?? `${method} ${path} answered ${response.status}`);
    }
    return { status: response.status, json };
  };
  const bodyOf = (input: ResourceInput) => ({
    ...(input.uid === undefined ? {} : { uid: input.uid }),
    ...(input.data === undefined ? {} : { data: input.data }),
    ...(input.labels === undefined ? {} : { labels: input.labels }),
    ...(input.annotations === undefined ? {} : { annotations: input.annotations }),
  });
  return {
    async get(ref: ResourceRef) {
      const { status, json } = await call('GET', resourcePath(ref));
      return status === 404 ? undefined : (json as Resource);
    },
    async apply(input) {
      const { status, json } = await call('PATCH', resourcePath(input.ref as ResourceRef), bodyOf(input));
      if (status === 404) throw new StoreError('NOT_FOUND', (json as { message?: string })?.message ?? 'not found');
      return json as Resource;
    },
    async replace(input) {
      const { json } = await call('POST', '/batch', { operations: [{ op: 'delete', ref: input.ref }, { op: 'add', resource: input }] });
      return (json as { results: Resource[] }).results[1]!;
    },
    async addRelationships(relationships) {
      await call('POST', '/relationships', { relationships });
    },
  };
}
