import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVED_VERBS, apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from '../../src/kube/discovery.js';
import { KindResolver } from '../../src/kube/kind-resolver.js';

describe('discovery documents', () => {
  it('reports a semantic Kubernetes version with its major and minor', () => {
    const info = versionInfo();
    assert.match(info.gitVersion, /^v1\.\d+\.\d+/);
    assert.equal(`v${info.major}.${info.minor}.`, info.gitVersion.slice(0, info.major.length + info.minor.length + 3));
    assert.equal(versionInfo('v1.29.3').minor, '29');
    assert.throws(() => versionInfo('1.29'), TypeError);
  });

  it('lists the core versions and where the server is reached at /api', () => {
    const kinds = new KindResolver();
    assert.deepEqual(apiVersions(kinds, '127.0.0.1:8080'), {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:8080' }],
    });
  });

  it('lists every named group at /apis with its preferred (highest) version first', () => {
    const list = apiGroupList(new KindResolver());
    assert.equal(list.kind, 'APIGroupList');
    assert.ok(!list.groups.some((group) => group.name === ''));
    const autoscaling = list.groups.find((group) => group.name === 'autoscaling');
    assert.deepEqual(autoscaling, {
      name: 'autoscaling',
      versions: [{ groupVersion: 'autoscaling/v2', version: 'v2' }, { groupVersion: 'autoscaling/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'autoscaling/v2', version: 'v2' },
    });
    for (const name of ['apps', 'batch', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'apiextensions.k8s.io']) {
      assert.ok(list.groups.some((group) => group.name === name), name);
    }
  });

  it('answers a resource list for every group-version /apis lists, and nothing for one it does not', () => {
    const kinds = new KindResolver();
    for (const group of apiGroupList(kinds).groups) {
      for (const { version } of group.versions) assert.ok(apiResourceList(kinds, group.name, version)?.resources.length, `${group.name}/${version}`);
      assert.equal(apiGroup(kinds, group.name)?.preferredVersion.version, group.preferredVersion.version);
    }
    assert.equal(apiResourceList(kinds, 'apps', 'v1beta1'), undefined);
    assert.equal(apiResourceList(kinds, 'example.com', 'v1'), undefined);
    assert.equal(apiGroup(kinds, 'example.com'), undefined);
  });

  it('describes each resource as kubectl reads it, with short names and categories only where there are some', () => {
    const core = apiResourceList(new KindResolver(), '', 'v1')!;
    assert.equal(core.groupVersion, 'v1');
    assert.deepEqual(core.resources.find((r) => r.name === 'pods'), {
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs: [...SERVED_VERBS],
      shortNames: ['po'],
      categories: ['all'],
    });
    const secrets = core.resources.find((r) => r.name === 'secrets')!;
    assert.ok(!('shortNames' in secrets) && !('categories' in secrets));
    assert.deepEqual(core.resources.find((r) => r.name === 'componentstatuses')?.verbs, ['get', 'list']);
    assert.ok(!core.resources.some((r) => r.name.includes('/')));
  });

  it('lists only the verbs the server serves', () => {
    const apps = apiResourceList(new KindResolver(), 'apps', 'v1', ['get', 'list', 'watch', 'deletecollection'])!;
    assert.deepEqual(apps.resources.find((r) => r.name === 'deployments')?.verbs, ['deletecollection', 'get', 'list', 'watch']);
  });

  it('adds the stored types and the CRDs: groups, versions and resources', () => {
    const kinds = new KindResolver();
    kinds.setStoredTypes([
      { group: 'example.com', version: 'v1alpha1', kind: 'Gadget', namespaced: true },
      { version: 'v2', kind: 'Pod', namespaced: true },
    ]);
    kinds.registerCrd({
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'] }, versions: [{ name: 'v1', served: true }] },
    });
    assert.deepEqual(apiVersions(kinds, 'h:1').versions, ['v2', 'v1']);
    const example = apiGroupList(kinds).groups.find((group) => group.name === 'example.com');
    assert.deepEqual(example?.versions.map((v) => v.version), ['v1', 'v1alpha1']);
    assert.equal(example?.preferredVersion.version, 'v1');
    assert.deepEqual(apiResourceList(kinds, 'example.com', 'v1alpha1')?.resources.map((r) => [r.name, r.kind, r.singularName]), [['gadgets', 'Gadget', 'gadget']]);
    assert.deepEqual(apiResourceList(kinds, 'example.com', 'v1')?.resources.map((r) => [r.name, r.shortNames]), [['widgets', ['wd']]]);
    assert.deepEqual(apiResourceList(kinds, '', 'v2')?.resources.map((r) => r.name), ['pods']);
  });
});
