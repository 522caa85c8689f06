/**
 * The catalogue of hostile input: each entry a bad call through the API, a bad request over
 * HTTP, or a bad snapshot to restore, and what it must get (a typed error with one of the codes,
 * or a 4xx: a Kubernetes Status on the Kubernetes paths, `{ code, message }` on the store's own).
 * The hostile tests run every entry and check that nothing was written and the server lived.
 */
import { createHash } from 'node:crypto';
import { resourcestore } from '../../src/gen/schema.js';
import type { DerivationRule } from '../../src/relations/derivation-rules.js';
import type { PredicateType } from '../../src/relations/predicates.js';
import type { ErrorCode } from '../../src/storage/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';

const ref = { version: 'v1', kind: 'Pod', namespace: 'web', name: 'a' };
const big = (n: number) => 'x'.repeat(n);
/** The seed Pod of the hostile tests is bound to this Node, so the store derives this relationship. */
const node = { version: 'v1', kind: 'Node', name: 'n1' };
const derivedBinding = { subject: ref, predicate: { type: 'PodNodeBinding', value: { nodeName: 'n1' } }, object: node };
/** Registers a rule with a predicate of its own, reading kind `name` (group hostile.example.com), then adds one such resource. */
const ruleThat = (name: string, derive: DerivationRule['derive'], extra: Partial<DerivationRule> = {}) => (s: ResourceStore) => {
  s.registerPredicate(`hostile.v1.${name}`, resourcestore.v1.PodNodeBinding as unknown as PredicateType);
  s.registerRule({ name, predicate: `hostile.v1.${name}`, direction: 'out', kinds: [{ group: 'hostile.example.com', kind: name }], derive, ...extra } as DerivationRule);
  return s.add({ ref: { group: 'hostile.example.com', version: 'v1', kind: name, namespace: 'web', name: 'x' }, data: {} });
};
const deep = (depth: number): Record<string, unknown> => {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let i = 0; i < depth; i++) node = (node.a = {}) as Record<string, unknown>;
  return root;
};
const deepJson = (depth: number) => `{"kind":"Pod","metadata":{"name":"deep"},"spec":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
const PODS = '/api/v1/namespaces/web/pods';
const MERGE = { 'content-type': 'application/merge-patch+json' };

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
  { name: 'deleting a derived relationship', call: (s) => s.deleteRelationships(derivedBinding), codes: INVALID },
  { name: 'unrelating a derived relationship in a batch', call: (s) => s.batch([{ op: 'unrelate', relationship: derivedBinding }]), codes: INVALID },
  { name: 'a rule that throws', call: ruleThat('Throws', () => { throw new Error('boom'); }), codes: INVALID },
  { name: 'a rule that returns no array', call: ruleThat('NoArray', () => 'edges' as never), codes: INVALID },
  { name: 'a rule whose edge names no resource', call: ruleThat('NoRef', () => [{ ref: { version: 'v1', kind: 'Pod', name: '' } }]), codes: INVALID },
  { name: 'a rule that derives one other end twice', call: ruleThat('Twice', () => [{ ref: node }, { ref: node }]), codes: INVALID },
  { name: 'a rule whose payload has a field its predicate lacks', call: ruleThat('OddPayload', () => [{ ref: node, value: { evil: true } }]), codes: INVALID },
  { name: 'a rule with no derive function', call: ruleThat('Lazy', undefined as never), codes: INVALID },
  { name: 'a rule of another direction', call: ruleThat('Sideways', () => [], { direction: 'up' as never }), codes: INVALID },
  { name: 'a rule on a predicate a built-in rule derives', call: (s) => s.registerRule({ name: 'Steal', predicate: 'ServiceSelects', direction: 'out', derive: () => [] }), codes: INVALID },
  { name: 'a rule named as a built-in one', call: (s) => s.registerRule({ name: 'TemplateUses', predicate: 'evil.Type', direction: 'out', derive: () => [] }), codes: INVALID },
  { name: 'turning off a rule that does not exist', call: () => openStore({ derivation: { disable: ['NoSuchRule'] } }), codes: INVALID },
];

export const HTTP_CASES: readonly HttpCase[] = [
  { name: 'a watch with resourceVersionMatch=Exact', method: 'GET', url: '/api/v1/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=Exact' },
  { name: 'a watch with resourceVersionMatch and no sendInitialEvents', method: 'GET', url: '/api/v1/pods?watch=1&resourceVersionMatch=NotOlderThan' },
  { name: 'a watch on a field the kind does not select on', method: 'GET', url: '/api/v1/pods?watch=1&fieldSelector=spec.replicas%3D1' },
  { name: 'malformed JSON', method: 'POST', url: PODS, body: '{"kind": ' },
  { name: 'JSON nested 100,000 deep', method: 'POST', url: PODS, body: deepJson(100_000) },
  { name: 'JSON nested 3,000 deep (under the parser\'s limit)', method: 'POST', url: PODS, body: deepJson(3000) },
  { name: 'a body of 8 MiB', method: 'POST', url: PODS, body: JSON.stringify({ kind: 'Pod', metadata: { name: 'b' }, spec: { s: big(8 << 20) } }) },
  { name: 'a body that is a string', method: 'POST', url: PODS, body: '"just a string"' },
  { name: 'a body that is null', method: 'PUT', url: `${PODS}/a`, body: 'null' },
  { name: 'a merge patch that is null', method: 'PATCH', url: `${PODS}/a`, body: 'null', headers: MERGE },
  { name: 'a merge patch that is a list', method: 'PATCH', url: `${PODS}/a`, body: '[1, 2]', headers: MERGE },
  { name: 'a JSON patch of things that are not operations', method: 'PATCH', url: `${PODS}/a`, body: '[1, "two", null]', headers: { 'content-type': 'application/json-patch+json' } },
  { name: 'a JSON patch that removes what is not there', method: 'PATCH', url: `${PODS}/a`, body: '[{"op": "remove", "path": "/no/such/thing"}]', headers: { 'content-type': 'application/json-patch+json' } },
  { name: 'a server-side apply', method: 'PATCH', url: `${PODS}/a`, body: 'kind: Pod', headers: { 'content-type': 'application/apply-patch+yaml' } },
  { name: 'a patch as plain JSON', method: 'PATCH', url: `${PODS}/a`, body: '{}' },
  { name: 'wrong types in the body', method: 'PUT', url: `${PODS}/a`, body: '{"kind": "Pod", "metadata": {"name": "a", "labels": [1, 2]}, "spec": 5}' },
  { name: 'wrong types in a merge patch', method: 'PATCH', url: `${PODS}/a`, body: '{"metadata": {"labels": {"app": 5}, "annotations": "x"}}', headers: MERGE },
  { name: 'a patch that renames the object', method: 'PATCH', url: `${PODS}/a`, body: '{"metadata": {"name": "b"}}', headers: MERGE },
  { name: 'a patch with a stale resourceVersion', method: 'PATCH', url: `${PODS}/a`, body: '{"metadata": {"resourceVersion": "999999"}}', headers: MERGE },
  { name: 'a resourceVersion that is not a string', method: 'PUT', url: `${PODS}/a`, body: '{"kind": "Pod", "metadata": {"name": "a", "resourceVersion": 7}}' },
  { name: 'DeleteOptions that are a list', method: 'DELETE', url: `${PODS}/a`, body: '[]' },
  { name: 'DeleteOptions with preconditions of the wrong types', method: 'DELETE', url: `${PODS}/a`, body: '{"preconditions": {"uid": 5, "resourceVersion": {}}}' },
  { name: 'a delete with a stale resourceVersion precondition', method: 'DELETE', url: `${PODS}/a`, body: '{"preconditions": {"resourceVersion": "999999"}}' },
  { name: 'a dry run (not served: it would write)', method: 'DELETE', url: `${PODS}/a?dryRun=All` },
  { name: 'a create where the body names another namespace', method: 'POST', url: PODS, body: '{"kind": "Pod", "metadata": {"name": "x", "namespace": "prod"}}' },
  { name: 'a create into every namespace at once', method: 'POST', url: '/api/v1/pods', body: '{"kind": "Pod", "metadata": {"name": "x"}}' },
  { name: 'a create of a kind the server does not serve', method: 'POST', url: '/apis/nowhere.example/v1/namespaces/web/things', body: '{"kind": "Thing", "metadata": {"name": "x"}}' },
  { name: 'a kind where its plural belongs', method: 'GET', url: '/api/v1/namespaces/web/Pod' },
  { name: 'a namespaced path for a cluster-scoped kind', method: 'POST', url: '/api/v1/namespaces/web/nodes', body: '{"kind": "Node", "metadata": {"name": "x"}}' },
  { name: 'a subresource', method: 'PUT', url: `${PODS}/a/status`, body: '{}' },
  { name: 'a path with ..', method: 'PUT', url: `${PODS}/..`, body: '{}' },
  { name: 'a path with %2e%2e', method: 'PUT', url: '/api/v1/namespaces/%2e%2e/pods/a', body: '{}' },
  { name: 'a path with a NUL', method: 'PUT', url: `${PODS}/a%00b`, body: '{"kind": "Pod"}' },
  { name: 'a path with a lone surrogate', method: 'PUT', url: `${PODS}/a%ED%A0%80`, body: '{"kind": "Pod"}' },
  { name: 'a broken percent-encoding', method: 'GET', url: `${PODS}/%E0%A4%A` },
  { name: 'too many path segments', method: 'GET', url: `${PODS}/a/b/c` },
  { name: 'an unknown method', method: 'OPTIONS', url: `${PODS}/a` },
  { name: 'a forged continue token', method: 'GET', url: `${PODS}?limit=1&continue=AAAA.BBBB` },
  { name: 'a forged continue token with a revision', method: 'GET', url: `${PODS}?limit=1&continue=5.BBBB` },
  { name: 'a bad selector', method: 'GET', url: '/api/v1/pods?labelSelector=%21%21' },
  { name: 'a field selector on a field the kind does not select on', method: 'GET', url: '/api/v1/pods?fieldSelector=spec.containers%3Dx' },
  { name: 'a malformed field selector', method: 'GET', url: '/api/v1/pods?fieldSelector=metadata.name' },
  { name: 'an absurd limit', method: 'GET', url: '/api/v1/pods?limit=99999999999999999999' },
  { name: 'a resourceVersion that is not one', method: 'GET', url: '/api/v1/pods?resourceVersion=../etc' },
  { name: 'an Exact resourceVersion the store does not have', method: 'GET', url: '/api/v1/pods?resourceVersion=999999&resourceVersionMatch=Exact' },
  { name: 'a list from a resourceVersion the store has not reached', method: 'GET', url: '/api/v1/pods?resourceVersion=999999' },
  { name: 'a watch from a resourceVersion that is not one', method: 'GET', url: '/api/v1/pods?watch=1&resourceVersion=1e400' },
  { name: 'a watch with an absurd timeout', method: 'GET', url: '/api/v1/pods?watch=1&timeoutSeconds=-5' },
  { name: 'a watch-list without resourceVersionMatch', method: 'GET', url: '/api/v1/pods?watch=1&sendInitialEvents=true' },
  { name: 'a watch with a flag that is not a boolean', method: 'GET', url: '/api/v1/pods?watch=1&allowWatchBookmarks=maybe' },
  { name: 'a group of no version', method: 'GET', url: '/apis/nowhere.example' },
  { name: 'a limit that is not a number', method: 'GET', url: '/resources?limit=ten' },
  { name: 'a store ref of four parts', method: 'GET', url: '/resource?ref=/v1/Pod/web' },
  { name: 'an absurd depth', method: 'GET', url: '/graph?from=/v1/Pod/web/a&maxDepth=100000' },
  { name: 'a ref of two parts', method: 'GET', url: '/relationships?subject=a/b' },
  { name: 'a watch from an absurd revision', method: 'GET', url: '/watch?fromRevision=1e400' },
  { name: 'a watch with a negative buffer', method: 'GET', url: '/watch?bufferSize=-1' },
  { name: 'a Last-Event-ID that is not a revision', method: 'GET', url: '/watch', headers: { 'last-event-id': '../../etc/passwd' } },
  { name: 'relationships that are not a list', method: 'POST', url: '/relationships', body: '{"relationships": {"subject": 1}}' },
  { name: 'a batch of operations that are not objects', method: 'POST', url: '/batch', body: '{"operations": [1, "two", null]}' },
  { name: 'a body of another content type', method: 'POST', url: '/batch', body: 'operations=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { name: 'a create of another content type', method: 'POST', url: PODS, body: 'kind=Pod', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { name: 'a limit given twice', method: 'GET', url: `${PODS}?limit=1&limit=2` },
  { name: 'a depth given twice', method: 'GET', url: '/graph?from=/v1/Pod/web/a&maxDepth=1&maxDepth=2' },
  { name: 'a propagationPolicy given twice', method: 'DELETE', url: `${PODS}/a?propagationPolicy=Background&propagationPolicy=Orphan` },
  { name: 'a create with a Host the server does not answer to (DNS rebinding)', method: 'POST', url: PODS, body: '{"kind":"Pod","metadata":{"name":"r"}}', headers: { host: 'attacker.example' } },
  { name: 'a delete with a Host the server does not answer to', method: 'DELETE', url: `${PODS}/a`, headers: { host: 'attacker.example:8080' } },
  { name: 'a snapshot with a Host the server does not answer to', method: 'GET', url: '/snapshot', headers: { host: 'localhost.attacker.example' } },
  { name: 'a manifest of another kind and namespace than its path', method: 'POST', url: PODS, body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'prod' } }) },
  { name: 'a manifest of another namespace than its path, by PUT', method: 'PUT', url: `${PODS}/a`, body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'prod' } }) },
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
