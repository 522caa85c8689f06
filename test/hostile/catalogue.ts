/**
 * The catalogue of hostile input: each entry a bad call through the API, a bad request over
 * HTTP, or a bad snapshot to restore, and what it must get (a typed error with one of the codes,
 * or a 4xx). The hostile tests run every entry and check that nothing was written and the server
 * lived.
 */
import { createHash } from 'node:crypto';
import type { ErrorCode } from '../../src/store/errors.js';
import type { ResourceStore } from '../../src/store/resource-store.js';

const ref = { version: 'v1', kind: 'Pod', namespace: 'web', name: 'a' };
const big = (n: number) => 'x'.repeat(n);
const deep = (depth: number): Record<string, unknown> => {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let i = 0; i < depth; i++) node = (node.a = {}) as Record<string, unknown>;
  return root;
};
const deepJson = (depth: number) => `{"name":"deep","data":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;

export interface ApiCase {
  readonly name: string;
  readonly call: (store: ResourceStore) => Promise<unknown> | unknown;
  readonly codes: readonly ErrorCode[];
}

export interface HttpCase {
  readonly name: string;
  readonly method: string;
  readonly url: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

const INVALID: readonly ErrorCode[] = ['INVALID_ARGUMENT'];

export const API_CASES: readonly ApiCase[] = [
  { name: 'empty name', call: (s) => s.add({ ref: { ...ref, name: '' } }), codes: INVALID },
  { name: 'empty kind', call: (s) => s.add({ ref: { ...ref, kind: '' } }), codes: INVALID },
  { name: 'empty version', call: (s) => s.add({ ref: { ...ref, version: '' } }), codes: INVALID },
  { name: 'a name of a million characters', call: (s) => s.add({ ref: { ...ref, name: big(1e6) } }), codes: INVALID },
  { name: 'a label value of a million characters', call: (s) => s.add({ ref, labels: { app: big(1e6) } }), codes: INVALID },
  { name: 'an annotation key of 10,000 characters', call: (s) => s.add({ ref, annotations: { [big(10_000)]: 'v' } }), codes: INVALID },
  { name: 'data of 10 MiB', call: (s) => s.add({ ref, data: { blob: big(10 * 1024 * 1024) } }), codes: ['TOO_LARGE'] },
  { name: 'NUL in a name', call: (s) => s.add({ ref: { ...ref, name: 'a\u0000b' } }), codes: INVALID },
  { name: 'a control character in a namespace', call: (s) => s.add({ ref: { ...ref, namespace: 'a\u001bb' } }), codes: INVALID },
  { name: 'DEL in a kind', call: (s) => s.add({ ref: { ...ref, kind: 'Po\u007fd' } }), codes: INVALID },
  { name: 'a NUL in a label key', call: (s) => s.add({ ref, labels: { 'a\u0000': 'v' } }), codes: INVALID },
  { name: 'a lone surrogate in a name', call: (s) => s.add({ ref: { ...ref, name: 'a\ud800' } }), codes: INVALID },
  { name: 'a lone surrogate in an annotation', call: (s) => s.add({ ref, annotations: { note: '\udc00' } }), codes: INVALID },
  { name: 'a name of ..', call: (s) => s.add({ ref: { ...ref, name: '..' } }), codes: INVALID },
  { name: 'a namespace of .', call: (s) => s.add({ ref: { ...ref, namespace: '.' } }), codes: INVALID },
  { name: 'data nested 100,000 deep', call: (s) => s.add({ ref, data: deep(100_000) }), codes: INVALID },
  { name: 'data nested 513 deep (one past the limit)', call: (s) => s.add({ ref, data: deep(512) }), codes: INVALID },
  { name: 'data nested 3,000 deep (JSON can write it, readers cannot serve it)', call: (s) => s.apply({ ref, data: deep(3000) }), codes: INVALID },
  { name: 'a batch apply of data nested 3,000 deep', call: (s) => s.batch([{ op: 'apply', resource: { ref, data: deep(3000) } }]), codes: INVALID },
  { name: 'data with a cycle', call: (s) => { const d: Record<string, unknown> = {}; d.d = d; return s.add({ ref, data: d }); }, codes: INVALID },
  { name: 'labels as an array', call: (s) => s.add({ ref, labels: ['a'] as never }), codes: INVALID },
  { name: 'data as a number', call: (s) => s.add({ ref, data: 7 as never }), codes: INVALID },
  { name: 'a version as a string', call: (s) => s.update({ ref, version: '1' as never }), codes: INVALID },
  { name: 'a ref as a string', call: (s) => s.get('v1/Pod/web/a' as never), codes: INVALID },
  { name: 'no arguments at all', call: (s) => s.add(undefined as never), codes: INVALID },
  { name: 'a batch of 100,000 operations', call: (s) => s.batch(Array.from({ length: 100_000 }, () => ({ op: 'add' as const, resource: { ref } }))), codes: INVALID },
  { name: 'a predicate of invalid protobuf bytes', call: (s) => s.addRelationships({ subject: ref, predicate: { typeUrl: 'type.googleapis.com/resourcestore.v1.OwnerReference', value: new Uint8Array([0x12, 0xff, 0xff]) }, object: ref }), codes: INVALID },
  { name: 'an unregistered predicate', call: (s) => s.addRelationships({ subject: ref, predicate: { type: 'evil.Type' }, object: ref }), codes: INVALID },
  { name: 'a forged continue token', call: (s) => s.list({ limit: 1, continue: 'eyJ2IjoxfQ.AAAAAAAAAAAAAAAAAAAAAA' }), codes: INVALID },
  { name: 'a continue token of 1 MiB', call: (s) => s.list({ continue: big(1 << 20) }), codes: INVALID },
  { name: 'a bad selector', call: (s) => s.list({ labelSelector: 'a in (b,,' }), codes: INVALID },
  { name: 'a selector of 1 MiB', call: (s) => s.list({ labelSelector: big(1 << 20) }), codes: INVALID },
  { name: 'a limit of 10^12', call: (s) => s.list({ limit: 1e12 }), codes: INVALID },
  { name: 'a limit of NaN', call: (s) => s.list({ limit: NaN }), codes: INVALID },
  { name: 'a negative limit', call: (s) => s.getRelationships({ limit: -5 }), codes: INVALID },
  { name: 'a depth of 10^9', call: (s) => s.traverse({ from: ref, maxDepth: 1e9 }), codes: INVALID },
  { name: 'a traversal limit of Infinity', call: (s) => s.traverse({ from: ref, limit: Infinity }), codes: INVALID },
  { name: 'a watch buffer of 10^12', call: (s) => s.watch({}, { bufferSize: 1e12 }), codes: INVALID },
  { name: 'a watch from revision -1', call: (s) => s.watch({}, { fromRevision: -1 }), codes: INVALID },
];

export const HTTP_CASES: readonly HttpCase[] = [
  { name: 'malformed JSON', method: 'POST', url: '/api/v1/namespaces/web/Pod', body: '{"name": ' },
  { name: 'JSON nested 100,000 deep', method: 'POST', url: '/api/v1/namespaces/web/Pod', body: deepJson(100_000) },
  { name: 'JSON nested 3,000 deep (under the parser\'s limit)', method: 'POST', url: '/api/v1/namespaces/web/Pod', body: deepJson(3000) },
  { name: 'a body of 8 MiB', method: 'POST', url: '/api/v1/namespaces/web/Pod', body: JSON.stringify({ name: 'b', data: { s: big(8 << 20) } }) },
  { name: 'a body that is a string', method: 'POST', url: '/api/v1/namespaces/web/Pod', body: '"just a string"' },
  { name: 'a body that is null', method: 'PATCH', url: '/api/v1/namespaces/web/Pod/a', body: 'null' },
  { name: 'wrong types in the body', method: 'PATCH', url: '/api/v1/namespaces/web/Pod/a', body: '{"labels": [1, 2], "data": 5}' },
  { name: 'a path with ..', method: 'PATCH', url: '/api/v1/namespaces/web/Pod/..', body: '{}' },
  { name: 'a path with %2e%2e', method: 'PATCH', url: '/api/v1/namespaces/%2e%2e/Pod/a', body: '{}' },
  { name: 'a path with a NUL', method: 'PATCH', url: '/api/v1/namespaces/web/Pod/a%00b', body: '{}' },
  { name: 'a path with a lone surrogate', method: 'PATCH', url: '/api/v1/namespaces/web/Pod/a%ED%A0%80', body: '{}' },
  { name: 'a broken percent-encoding', method: 'GET', url: '/api/v1/namespaces/web/Pod/%E0%A4%A' },
  { name: 'too many path segments', method: 'GET', url: '/api/v1/namespaces/web/Pod/a/b/c' },
  { name: 'an unknown method', method: 'OPTIONS', url: '/api/v1/namespaces/web/Pod/a' },
  { name: 'a forged continue token', method: 'GET', url: '/api/v1/namespaces/web/Pod?limit=1&continue=AAAA.BBBB' },
  { name: 'a bad selector', method: 'GET', url: '/api/v1/Pod?labelSelector=%21%21' },
  { name: 'an absurd limit', method: 'GET', url: '/api/v1/Pod?limit=99999999999999999999' },
  { name: 'a limit that is not a number', method: 'GET', url: '/resources?limit=ten' },
  { name: 'an absurd depth', method: 'GET', url: '/graph?from=/v1/Pod/web/a&maxDepth=100000' },
  { name: 'a ref of two parts', method: 'GET', url: '/relationships?subject=a/b' },
  { name: 'a watch from an absurd revision', method: 'GET', url: '/watch?fromRevision=1e400' },
  { name: 'a watch with a negative buffer', method: 'GET', url: '/watch?bufferSize=-1' },
  { name: 'a Last-Event-ID that is not a revision', method: 'GET', url: '/watch', headers: { 'last-event-id': '../../etc/passwd' } },
  { name: 'relationships that are not a list', method: 'POST', url: '/relationships', body: '{"relationships": {"subject": 1}}' },
  { name: 'a batch of operations that are not objects', method: 'POST', url: '/batch', body: '{"operations": [1, "two", null]}' },
  { name: 'a body of another content type', method: 'POST', url: '/batch', body: 'operations=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { name: 'a limit given twice', method: 'GET', url: '/api/v1/namespaces/web/Pod?limit=1&limit=2' },
  { name: 'a depth given twice', method: 'GET', url: '/graph?from=/v1/Pod/web/a&maxDepth=1&maxDepth=2' },
  { name: 'a version given twice', method: 'DELETE', url: '/api/v1/namespaces/web/Pod/a?version=1&version=2' },
  { name: 'a create with a Host the server does not answer to (DNS rebinding)', method: 'POST', url: '/api/v1/namespaces/web/Pod', body: '{"name":"r"}', headers: { host: 'attacker.example' } },
  { name: 'a delete with a Host the server does not answer to', method: 'DELETE', url: '/api/v1/namespaces/web/Pod/a', headers: { host: 'attacker.example:8080' } },
  { name: 'a snapshot with a Host the server does not answer to', method: 'GET', url: '/snapshot', headers: { host: 'localhost.attacker.example' } },
  { name: 'a manifest of another kind and namespace than its path', method: 'POST', url: '/api/v1/namespaces/web/Pod', body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'prod' } }) },
  { name: 'a manifest of another namespace than its path, by PUT', method: 'PUT', url: '/api/v1/namespaces/web/Pod/a', body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'prod' } }) },
];

/** A bad snapshot, made from the lines of a good one (header, entries, trailer). */
export interface SnapshotCase {
  readonly name: string;
  readonly edit: (lines: readonly string[]) => string;
  readonly codes: readonly ErrorCode[];
}

/** The snapshot of `header` and `entries` with a trailer that matches them (counts and checksum). */
function sealed(header: string, entries: readonly string[]): string {
  const body = [header, ...entries].map((line) => `${line}\n`).join('');
  const trailer = {
    end: true,
    resources: entries.filter((line) => line.startsWith('{"resource"')).length,
    relationships: entries.filter((line) => line.startsWith('{"relationship"')).length,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
  return `${body}${JSON.stringify(trailer)}\n`;
}

/** A good snapshot's lines with its entries changed by `edit`, sealed again so only the change is wrong. */
const resealed = (edit: (entries: string[]) => string[]) => (lines: readonly string[]) => sealed(lines[0]!, edit(lines.slice(1, -1)));
const firstResource = (entries: readonly string[]) => entries.findIndex((line) => line.startsWith('{"resource"'));
const withResource = (entries: string[], change: (resource: Record<string, unknown>) => void): string[] => {
  const i = firstResource(entries);
  const line = JSON.parse(entries[i]!) as { resource: Record<string, unknown> };
  change(line.resource);
  return entries.map((entry, j) => (j === i ? JSON.stringify(line) : entry));
};

export const SNAPSHOT_CASES: readonly SnapshotCase[] = [
  { name: 'an invalid label value under a valid checksum', edit: resealed((e) => withResource(e, (r) => (r.labels = { app: 'not a label value!' }))), codes: INVALID },
  { name: 'a resource line repeated', edit: resealed((e) => [e[0]!, ...e]), codes: INVALID },
  { name: 'a relationship line repeated', edit: resealed((e) => [...e, e.at(-1)!]), codes: INVALID },
  { name: 'resources out of key order', edit: resealed((e) => { const r = e.filter((l) => l.startsWith('{"resource"')); return [...r.reverse(), ...e.filter((l) => !l.startsWith('{"resource"'))]; }), codes: INVALID },
  { name: 'a resource after the relationships', edit: resealed((e) => [...e.slice(1), e[0]!]), codes: INVALID },
  { name: 'data nested 3,000 deep', edit: resealed((e) => withResource(e, (r) => (r.data = deep(3_000)))), codes: INVALID },
  { name: 'a checksum that does not match', edit: (lines) => [lines[0], ...lines.slice(1, -1).map((l) => l.replace('"web"', '"wex"')), lines.at(-1)].join('\n') + '\n', codes: INVALID },
  { name: 'no trailer (a cut file)', edit: (lines) => lines.slice(0, -1).join('\n') + '\n', codes: INVALID },
  { name: 'a header of another format', edit: (lines) => sealed('{"format":"etcd-snapshot","version":1,"revision":1}', lines.slice(1, -1)), codes: INVALID },
  { name: 'a line of 65 MiB', edit: (lines) => `${lines[0]}\n{"resource":"${big(65 << 20)}"}\n`, codes: ['TOO_LARGE'] },
];
