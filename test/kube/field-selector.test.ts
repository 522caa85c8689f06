import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError } from '../../src/storage/errors.js';
import { parseFieldSelector, selectableFields } from '../../src/kube/field-selector.js';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop' },
  spec: { nodeName: 'node-1', restartPolicy: 'Always' },
  status: { phase: 'Running', podIPs: [{ ip: '10.0.0.7' }] },
};

function rejects(selector: string, group: string, kind: string): void {
  assert.throws(() => parseFieldSelector(selector, group, kind), (err) => isStoreError(err, 'INVALID_ARGUMENT'), selector);
}

describe('field selectors', () => {
  it('selects on name and namespace with =, == and !=, all terms holding', () => {
    const match = (selector: string) => parseFieldSelector(selector, '', 'ConfigMap').matches(pod);
    assert.equal(match(''), true);
    assert.equal(match('metadata.name=web-1'), true);
    assert.equal(match('metadata.name==web-1,metadata.namespace=shop'), true);
    assert.equal(match('metadata.name!=web-1'), false);
    assert.equal(match('metadata.name=web-1,metadata.namespace!=shop'), false);
    assert.equal(match('metadata.namespace='), false);
    assert.equal(match(',metadata.name=web-1,'), true);
  });

  it('selects on the fields kube-apiserver lets each kind select on, as it formats them', () => {
    const on = (selector: string, manifest: Record<string, unknown> = pod) => parseFieldSelector(selector, '', 'Pod').matches(manifest);
    assert.equal(on('spec.nodeName=node-1,status.phase=Running'), true);
    assert.equal(on('spec.host=node-1'), true);
    assert.equal(on('status.podIP=10.0.0.7'), true);
    assert.equal(on('spec.hostNetwork=false'), true);
    assert.equal(on('spec.nodeName='), false);
    assert.equal(on('spec.nodeName=', { metadata: { name: 'pending' } }), true);
    assert.equal(parseFieldSelector('status.successful=2', 'batch', 'Job').matches({ status: { succeeded: 2 } }), true);
    assert.equal(parseFieldSelector('status.successful=0', 'batch', 'Job').matches({}), true);
    assert.equal(parseFieldSelector('spec.unschedulable=true', '', 'Node').matches({ spec: { unschedulable: true } }), true);
    assert.equal(parseFieldSelector('involvedObject.kind=Pod,source=kubelet', '', 'Event').matches({ involvedObject: { kind: 'Pod' }, source: { component: 'kubelet' } }), true);
    assert.deepEqual(selectableFields('', 'Secret'), ['metadata.name', 'metadata.namespace', 'type']);
  });

  it('refuses a field the kind does not select on, as kube-apiserver (400 field label not supported)', () => {
    rejects('spec.nodeName=node-1', '', 'ConfigMap');
    rejects('metadata.namespace=x', '', 'Node');
    rejects('metadata.namespace=x', '', 'Namespace');
    rejects('metadata.labels=x', 'example.com', 'Widget');
    rejects('status.phase=Running', 'apps', 'Deployment');
  });

  it('refuses malformed selectors and unescaped separators in values, and reads escaped ones', () => {
    rejects('metadata.name', '', 'Pod');
    rejects('metadata.name=a=b', '', 'Pod');
    rejects('metadata.name=a\\', '', 'Pod');
    rejects('metadata.name=a\\x', '', 'Pod');
    const escaped = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d', '', 'Pod');
    assert.deepEqual(escaped.requirements, [{ field: 'metadata.name', op: '=', value: 'a,b=c\\d' }]);
    assert.equal(escaped.matches({ metadata: { name: 'a,b=c\\d' } }), true);
  });

  it('says which one name or namespace an equality narrows the scan to, or that nothing can match', () => {
    assert.deepEqual(parseFieldSelector('metadata.name=a,metadata.namespace=b', '', 'Pod').narrowing, { name: 'a', namespace: 'b' });
    assert.deepEqual(parseFieldSelector('metadata.name!=a,spec.nodeName=n', '', 'Pod').narrowing, {});
    assert.deepEqual(parseFieldSelector('metadata.name=a,metadata.name=b', '', 'Pod').narrowing, { empty: true });
    assert.deepEqual(parseFieldSelector('metadata.name=a,metadata.name==a', '', 'Pod').narrowing, { name: 'a' });
  });
});
