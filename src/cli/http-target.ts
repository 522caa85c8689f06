/**
 * Talking to a running server from the CLI: `serverFetch` (one request, with the bearer token when
 * one is given, that says plainly when the server cannot be reached or refuses), and the import
 * target behind a server: the same writes as a local import, over the store's own routes (GET
 * /resource?ref= to read, POST /batch to apply, or to delete and add as one write), which speak
 * the store's shape, so the import's summary (created, updated, unchanged, replaced) is the same
 * as a local one's. Error answers become StoreErrors with the server's code.
 */
import type { ImportTarget } from '../import/importer.js';
import { refParam } from '../server/paths.js';
import { StoreError, ERROR_CODES, type ErrorCode } from '../storage/errors.js';
import type { Resource, ResourceInput, ResourceRef } from '../model/types.js';

/** `fetch`, with a failure to reach the server said as such (the address and the reason) rather than "fetch failed". */
async function reach(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot connect to the server at ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { cause: err });
  }
}

/**
 * GETs `path` from the server at `baseUrl`; an answer other than 2xx becomes a StoreError with the
 * server's code, and a server that cannot be reached an error that says so.
 */
export async function serverFetch(baseUrl: string, path: string, token?: string): Promise<Response> {
  const response = await reach(baseUrl.replace(/\/+$/, '') + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (response.ok && response.body !== null) return response;
  const text = await response.text();
  let answer: { code?: string; message?: string } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    // not a JSON error body
  }
  const code = answer.code !== undefined && answer.code in ERROR_CODES ? (answer.code as ErrorCode) : 'INTERNAL';
  throw new StoreError(code, `GET ${path}: the server answered ${response.status}: ${answer.message ?? text.slice(0, 200)}`);
}

export function httpTarget(baseUrl: string, token?: string): ImportTarget {
  const base = baseUrl.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const response = await reach(base + path, {
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
  const batch = async (operations: readonly unknown[]): Promise<Resource[]> => {
    const { status, json } = await call('POST', '/batch', { operations });
    if (status === 404) throw new StoreError('NOT_FOUND', (json as { message?: string } | undefined)?.message ?? 'not found');
    return (json as { results: Resource[] }).results;
  };
  return {
    async get(ref: ResourceRef) {
      const { status, json } = await call('GET', `/resource?ref=${refParam(ref)}`);
      return status === 404 ? undefined : (json as Resource);
    },
    async apply(input: ResourceInput) {
      return (await batch([{ op: 'apply', resource: input }]))[0]!;
    },
    async replace(input: ResourceInput) {
      return (await batch([{ op: 'delete', ref: input.ref }, { op: 'add', resource: input }]))[1]!;
    },
  };
}
