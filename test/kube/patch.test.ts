import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch, patchTypeOf } from '../../src/kube/patch.js';

const pod = Object.freeze({ apiVersion: 'v1', kind: 'Pod', metadata: Object.freeze({ name: 'web', labels: Object.freeze({ app: 'web' }) }), spec: Object.freeze({ containers: Object.freeze([Object.freeze({ name: 'a', image: 'x:1' })]) }) });

describe('applyPatch', () => {
  it('applies a JSON patch (RFC 6902) without changing the frozen target', () => {
    const outcome = applyPatch('application/json-patch+json', pod, [
      { op: 'test', path: '/metadata/name', value: 'web' },
      { op: 'add', path: '/metadata/labels/tier', value: 'front' },
      { op: 'replace', path: '/spec/containers/0/image', value: 'x:2' },
      { op: 'remove', path: '/metadata/labels/app' },
    ]);
    assert.deepEqual(outcome, { ok: true, value: { ...pod, metadata: { name: 'web', labels: { tier: 'front' } }, spec: { containers: [{ name: 'a', image: 'x:2' }] } } });
    assert.equal(pod.metadata.labels.app, 'web');
  });

  it('answers Invalid (422) for JSON patch operations that do not apply, BadRequest (400) for a patch of the wrong shape', () => {
    for (const ops of [[{ op: 'test', path: '/metadata/name', value: 'other' }], [{ op: 'remove', path: '/nope/deeper' }], [{ op: 'jump', path: '/a' }], [{ op: 'replace', path: '', value: [] }]]) {
      const outcome = applyPatch('application/json-patch+json', pod, ops);
      assert.deepEqual(outcome.ok ? outcome : [outcome.reason, outcome.code], ['Invalid', 422], JSON.stringify(ops));
    }
    for (const bad of [{}, 'x', [1]]) {
      const outcome = applyPatch('application/json-patch+json', pod, bad);
      assert.deepEqual(outcome.ok ? outcome : [outcome.reason, outcome.code], ['BadRequest', 400]);
    }
  });

  it('applies merge and strategic merge patches, and wants an object for them', () => {
    const merge = applyPatch('application/merge-patch+json; charset=utf-8', pod, { spec: { containers: [{ name: 'b' }] } });
    assert.deepEqual(merge.ok && merge.value.spec, { containers: [{ name: 'b' }] });
    const strategic = applyPatch('application/strategic-merge-patch+json', pod, { spec: { containers: [{ name: 'b' }] } });
    assert.deepEqual(strategic.ok && strategic.value.spec, { containers: [{ name: 'a', image: 'x:1' }, { name: 'b' }] });
    const notObject = applyPatch('application/merge-patch+json', pod, [1]);
    assert.deepEqual(notObject.ok ? notObject : notObject.code, 400);
  });

  it('refuses server-side apply and other types with UnsupportedMediaType (415)', () => {
    for (const type of ['application/apply-patch+yaml', 'application/json', undefined]) {
      const outcome = applyPatch(type, pod, {});
      assert.deepEqual(outcome.ok ? outcome : [outcome.reason, outcome.code], ['UnsupportedMediaType', 415]);
    }
    assert.equal(patchTypeOf('Application/JSON-Patch+JSON ; x=y'), 'application/json-patch+json');
  });
});
