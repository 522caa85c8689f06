import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILT_IN_KINDS, guessNames } from '../../src/kube/kinds.js';
import { KindResolver, compareVersions, crdNames } from '../../src/kube/kind-resolver.js';

/** Names as kube-apiserver 1.32 lists them in discovery (kubernetes/kubernetes api/discovery/*.json). */
const KUBERNETES: Record<string, [plural: string, shortNames: string[], namespaced: boolean, categories?: string[]]> = {
  '/ComponentStatus': ['componentstatuses', ['cs'], false],
  '/ConfigMap': ['configmaps', ['cm'], true],
  '/Endpoints': ['endpoints', ['ep'], true],
  '/Event': ['events', ['ev'], true],
  '/LimitRange': ['limitranges', ['limits'], true],
  '/Namespace': ['namespaces', ['ns'], false],
  '/Node': ['nodes', ['no'], false],
  '/PersistentVolumeClaim': ['persistentvolumeclaims', ['pvc'], true],
  '/PersistentVolume': ['persistentvolumes', ['pv'], false],
  '/Pod': ['pods', ['po'], true, ['all']],
  '/PodTemplate': ['podtemplates', [], true],
  '/ReplicationController': ['replicationcontrollers', ['rc'], true, ['all']],
  '/ResourceQuota': ['resourcequotas', ['quota'], true],
  '/Secret': ['secrets', [], true],
  '/ServiceAccount': ['serviceaccounts', ['sa'], true],
  '/Service': ['services', ['svc'], true, ['all']],
  'apps/ControllerRevision': ['controllerrevisions', [], true],
  'apps/DaemonSet': ['daemonsets', ['ds'], true, ['all']],
  'apps/Deployment': ['deployments', ['deploy'], true, ['all']],
  'apps/ReplicaSet': ['replicasets', ['rs'], true, ['all']],
  'apps/StatefulSet': ['statefulsets', ['sts'], true, ['all']],
  'batch/CronJob': ['cronjobs', ['cj'], true, ['all']],
  'batch/Job': ['jobs', [], true, ['all']],
  'autoscaling/HorizontalPodAutoscaler': ['horizontalpodautoscalers', ['hpa'], true, ['all']],
  'policy/PodDisruptionBudget': ['poddisruptionbudgets', ['pdb'], true],
  'networking.k8s.io/Ingress': ['ingresses', ['ing'], true],
  'networking.k8s.io/IngressClass': ['ingressclasses', [], false],
  'networking.k8s.io/NetworkPolicy': ['networkpolicies', ['netpol'], true],
  'rbac.authorization.k8s.io/ClusterRole': ['clusterroles', [], false],
  'rbac.authorization.k8s.io/ClusterRoleBinding': ['clusterrolebindings', [], false],
  'rbac.authorization.k8s.io/Role': ['roles', [], true],
  'rbac.authorization.k8s.io/RoleBinding': ['rolebindings', [], true],
  'storage.k8s.io/StorageClass': ['storageclasses', ['sc'], false],
  'storage.k8s.io/CSIDriver': ['csidrivers', [], false],
  'storage.k8s.io/CSINode': ['csinodes', [], false],
  'storage.k8s.io/CSIStorageCapacity': ['csistoragecapacities', [], true],
  'storage.k8s.io/VolumeAttachment': ['volumeattachments', [], false],
  'coordination.k8s.io/Lease': ['leases', [], true],
  'discovery.k8s.io/EndpointSlice': ['endpointslices', [], true],
  'events.k8s.io/Event': ['events', ['ev'], true],
  'node.k8s.io/RuntimeClass': ['runtimeclasses', [], false],
  'scheduling.k8s.io/PriorityClass': ['priorityclasses', ['pc'], false],
  'certificates.k8s.io/CertificateSigningRequest': ['certificatesigningrequests', ['csr'], false],
  'apiextensions.k8s.io/CustomResourceDefinition': ['customresourcedefinitions', ['crd', 'crds'], false, ['api-extensions']],
  'apiregistration.k8s.io/APIService': ['apiservices', [], false, ['api-extensions']],
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': ['mutatingwebhookconfigurations', [], false, ['api-extensions']],
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': ['validatingwebhookconfigurations', [], false, ['api-extensions']],
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': ['validatingadmissionpolicies', [], false, ['api-extensions']],
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': ['validatingadmissionpolicybindings', [], false, ['api-extensions']],
  'flowcontrol.apiserver.k8s.io/FlowSchema': ['flowschemas', [], false],
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration': ['prioritylevelconfigurations', [], false],
};

const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Cluster',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'], categories: ['all'] },
    versions: [
      { name: 'v1beta1', served: true, storage: false },
      { name: 'v1', served: true, storage: true },
      { name: 'v1alpha1', served: false, storage: false },
    ],
  },
};

describe('the built-in kinds', () => {
  it('names every kind as kube-apiserver does: plural, short names, scope, categories', () => {
    for (const [groupKind, [plural, shortNames, namespaced, categories = []]] of Object.entries(KUBERNETES)) {
      const entry = BUILT_IN_KINDS.find((k) => `${k.group}/${k.kind}` === groupKind);
      assert.ok(entry, groupKind);
      assert.deepEqual([entry.plural, [...entry.shortNames], entry.namespaced, [...entry.categories]], [plural, shortNames, namespaced, categories], groupKind);
    }
    assert.equal(BUILT_IN_KINDS.length, Object.keys(KUBERNETES).length);
  });

  it('gives every kind a singular name and verbs, and no short name twice within a group', () => {
    for (const entry of BUILT_IN_KINDS) {
      assert.equal(entry.singular, entry.kind.toLowerCase(), entry.kind);
      assert.ok(entry.verbs.includes('get') && entry.verbs.includes('list'), entry.kind);
    }
    const seen = new Set<string>();
    for (const entry of BUILT_IN_KINDS) {
      for (const short of entry.shortNames) {
        assert.ok(!seen.has(`${entry.group}/${short}`), short);
        seen.add(`${entry.group}/${short}`);
      }
    }
  });
});

describe('guessNames', () => {
  it('pluralizes as apimachinery UnsafeGuessKindToResource does', () => {
    assert.deepEqual(guessNames('Widget'), { plural: 'widgets', singular: 'widget' });
    assert.deepEqual(guessNames('Ingress'), { plural: 'ingresses', singular: 'ingress' });
    assert.deepEqual(guessNames('NetworkPolicy'), { plural: 'networkpolicies', singular: 'networkpolicy' });
    assert.deepEqual(guessNames('Gateway'), { plural: 'gatewaies', singular: 'gateway' });
    assert.deepEqual(guessNames('Endpoints'), { plural: 'endpoints', singular: 'endpoints' });
    assert.deepEqual(guessNames('ServiceEndpoints'), { plural: 'serviceendpoints', singular: 'serviceendpoints' });
  });
});

describe('compareVersions', () => {
  it('orders GA before beta before alpha, higher first, other shapes last', () => {
    assert.deepEqual(['v1alpha1', 'foo', 'v1beta1', 'v1', 'v2beta2', 'v2', 'v1beta2', 'bar'].sort(compareVersions), ['v2', 'v1', 'v2beta2', 'v1beta2', 'v1beta1', 'v1alpha1', 'bar', 'foo']);
  });
});

describe('KindResolver', () => {
  it('maps built-in plurals to kinds and kinds to plurals', () => {
    const kinds = new KindResolver();
    assert.equal(kinds.byResource('', 'v1', 'pods')?.kind, 'Pod');
    assert.equal(kinds.byResource('apps', 'v1', 'deployments')?.kind, 'Deployment');
    assert.equal(kinds.byResource('autoscaling', 'v1', 'horizontalpodautoscalers')?.kind, 'HorizontalPodAutoscaler');
    assert.equal(kinds.byKind('networking.k8s.io', 'v1', 'NetworkPolicy').plural, 'networkpolicies');
    assert.equal(kinds.byKind('', 'v1', 'Node').namespaced, false);
  });

  it('serves no resource a path names that it does not know: not a kind, a short name or a singular', () => {
    const kinds = new KindResolver();
    for (const [group, version, resource] of [['', 'v1', 'Pod'], ['', 'v1', 'po'], ['', 'v1', 'pod'], ['apps', 'v2', 'deployments'], ['', 'v1', 'widgets']] as const) {
      assert.equal(kinds.byResource(group, version, resource), undefined, resource);
    }
  });

  it('serves a stored kind no table names under its guessed plural, with the scope it is stored with', () => {
    const kinds = new KindResolver();
    kinds.setStoredTypes([{ group: 'example.com', version: 'v1', kind: 'Gadget', namespaced: false }]);
    const gadget = kinds.byResource('example.com', 'v1', 'gadgets');
    assert.equal(gadget?.kind, 'Gadget');
    assert.equal(gadget?.namespaced, false);
    assert.equal(gadget?.source, 'stored');
    kinds.setStoredTypes([]);
    assert.equal(kinds.byResource('example.com', 'v1', 'gadgets'), undefined);
  });

  it('serves a stored built-in kind at a version the table does not list, with the built-in names', () => {
    const kinds = new KindResolver();
    kinds.setStoredTypes([{ group: 'policy', version: 'v1beta1', kind: 'PodDisruptionBudget', namespaced: true }]);
    const pdb = kinds.byResource('policy', 'v1beta1', 'poddisruptionbudgets');
    assert.deepEqual([pdb?.kind, pdb?.shortNames, pdb?.source], ['PodDisruptionBudget', ['pdb'], 'built-in']);
  });

  it('serves a CRD at its served versions with its names, and forgets it when removed', () => {
    const kinds = new KindResolver();
    assert.equal(kinds.registerCrd(widgetCrd), true);
    for (const version of ['v1', 'v1beta1']) {
      const widget = kinds.byResource('example.com', version, 'widgets');
      assert.deepEqual([widget?.kind, widget?.namespaced, widget?.shortNames, widget?.categories, widget?.source], ['Widget', false, ['wd'], ['all'], 'crd']);
    }
    assert.equal(kinds.byResource('example.com', 'v1alpha1', 'widgets'), undefined);
    kinds.removeCrd(widgetCrd);
    assert.equal(kinds.byResource('example.com', 'v1', 'widgets'), undefined);
  });

  it('names a stored kind by its CRD, whose plural need not be the guessed one', () => {
    const kinds = new KindResolver();
    kinds.registerCrd({ ...widgetCrd, spec: { ...widgetCrd.spec, names: { plural: 'widgetry', kind: 'Widget' } } });
    kinds.setStoredTypes([{ group: 'example.com', version: 'v2', kind: 'Widget', namespaced: true }]);
    assert.equal(kinds.byResource('example.com', 'v2', 'widgetry')?.kind, 'Widget');
    assert.equal(kinds.byResource('example.com', 'v2', 'widgets'), undefined);
    assert.equal(kinds.byKind('example.com', 'v2', 'Widget').singular, 'widget');
  });

  it('reads apiextensions v1beta1 CRDs (spec.version) and refuses malformed ones', () => {
    const old = { kind: 'CustomResourceDefinition', metadata: { name: 'things.x.io' }, spec: { group: 'x.io', version: 'v1', names: { plural: 'things', kind: 'Thing' } } };
    assert.deepEqual(crdNames(old)?.versions, ['v1']);
    assert.equal(crdNames(old)?.namespaced, true);
    const kinds = new KindResolver();
    for (const bad of [null, {}, { kind: 'CustomResourceDefinition' }, { ...old, spec: { ...old.spec, names: { kind: 'Thing' } } }, { ...old, spec: { ...old.spec, version: undefined } }]) {
      assert.equal(kinds.registerCrd(bad), false);
    }
    assert.equal(kinds.served().length, new KindResolver().served().length);
  });

  it('never lets a CRD or a stored kind take a built-in plural, and gives a shared plural to the first stored kind', () => {
    const kinds = new KindResolver();
    assert.equal(kinds.registerCrd({ ...widgetCrd, spec: { ...widgetCrd.spec, group: 'apps', names: { plural: 'deployments', kind: 'Impostor' }, versions: [{ name: 'v1', served: true }] } }), true);
    kinds.setStoredTypes([
      { version: 'v1', kind: 'pod', namespaced: true },
      { group: 'x.io', version: 'v1', kind: 'Foo', namespaced: true },
      { group: 'x.io', version: 'v1', kind: 'FOO', namespaced: true },
    ]);
    assert.equal(kinds.byResource('', 'v1', 'pods')?.kind, 'Pod');
    assert.equal(kinds.byResource('apps', 'v1', 'deployments')?.kind, 'Deployment');
    assert.equal(kinds.byResource('x.io', 'v1', 'foos')?.kind, 'Foo');
    assert.equal(kinds.served().filter((type) => type.plural === 'foos').length, 1);
  });
});
