import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergePatch, strategicMergePatch } from '../../src/kube/strategic-merge-patch.js';

const pod = Object.freeze({
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: ['a'] },
  spec: {
    containers: [
      { name: 'a', image: 'nginx:1', ports: [{ containerPort: 80 }, { containerPort: 443 }], env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] },
      { name: 'b', image: 'busybox', args: ['sleep', '1'] },
    ],
  },
});

describe('merge patch (RFC 7386)', () => {
  it('merges objects, deletes nulls and replaces lists and scalars', () => {
    assert.deepEqual(mergePatch({ a: 'b', c: { d: 'e', f: 'g' }, l: [1, 2] }, { a: 'z', c: { f: null, h: 1 }, l: [3] }), { a: 'z', c: { d: 'e', h: 1 }, l: [3] });
    assert.deepEqual(mergePatch({ a: 1 }, ['x']), ['x']);
    assert.deepEqual(mergePatch('x', { a: { b: null, c: 1 } }), { a: { c: 1 } });
  });

  it('changes neither argument and copies __proto__ as data', () => {
    const target = structuredClone(pod);
    const patch = JSON.parse('{"metadata":{"__proto__":{"polluted":true},"labels":{"tier":null}}}');
    const result = mergePatch(target, patch) as { metadata: Record<string, unknown> };
    assert.deepEqual(target, pod);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(result.metadata), Object.prototype);
    assert.ok(Object.hasOwn(result.metadata, '__proto__'));
    assert.deepEqual(result.metadata.labels, { app: 'web' });
  });
});

describe('strategic merge patch', () => {
  it('merges containers by name, ports by containerPort, env by name, keeping what the patch does not name', () => {
    const result = strategicMergePatch(pod, {
      spec: {
        '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }],
        containers: [{ name: 'a', image: 'nginx:2', env: [{ name: 'Y', $patch: 'delete' }, { name: 'Z', value: '3' }], '$setElementOrder/env': [{ name: 'X' }, { name: 'Z' }] }],
      },
    });
    assert.deepEqual(result.spec, {
      containers: [
        { name: 'a', image: 'nginx:2', ports: [{ containerPort: 80 }, { containerPort: 443 }], env: [{ name: 'X', value: '1' }, { name: 'Z', value: '3' }] },
        { name: 'b', image: 'busybox', args: ['sleep', '1'] },
      ],
    });
  });

  it('adds a new element by merge key, replaces lists without one, and unions finalizers', () => {
    const result = strategicMergePatch(pod, {
      metadata: { finalizers: ['b'] },
      spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 9 }] }, { name: 'b', args: ['run'] }] },
    }) as typeof pod;
    assert.deepEqual(result.metadata.finalizers, ['a', 'b']);
    assert.deepEqual(result.spec.containers.map((c) => c.name), ['a', 'b', 'c']);
    assert.deepEqual(result.spec.containers[1], { name: 'b', image: 'busybox', args: ['run'] });
  });

  it('honours $patch replace and delete, $retainKeys and $deleteFromPrimitiveList', () => {
    assert.deepEqual(strategicMergePatch(pod, { metadata: { labels: { $patch: 'replace', only: 'this' } } }).metadata, { name: 'web', labels: { only: 'this' }, finalizers: ['a'] });
    assert.deepEqual(strategicMergePatch(pod, { metadata: { labels: { $patch: 'delete' } } }).metadata, { name: 'web', finalizers: ['a'] });
    assert.deepEqual((strategicMergePatch(pod, { spec: { containers: [{ $patch: 'replace' }, { name: 'z' }] } }).spec as { containers: unknown }).containers, [{ name: 'z' }]);
    assert.deepEqual(strategicMergePatch({ s: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }, { s: { $retainKeys: ['type'], type: 'RollingUpdate' } }), { s: { type: 'RollingUpdate' } });
    assert.deepEqual(strategicMergePatch(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }).metadata, { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: [] });
  });

  it('merges Service ports by port, and keeps no directive in what it stores', () => {
    const service = { spec: { ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https' }] } };
    const result = strategicMergePatch(service, { spec: { ports: [{ port: 443, targetPort: 8443 }] } });
    assert.deepEqual(result, { spec: { ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https', targetPort: 8443 }] } });
    assert.ok(!JSON.stringify(strategicMergePatch({}, { spec: { containers: [{ name: 'a', $patch: 'merge', env: [{ name: 'X', $patch: 'delete' }] }] } })).includes('$'));
  });
});
