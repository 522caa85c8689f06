/** The Kubernetes API of the server: discovery, objects as manifests, lists, writes and Status errors. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import type { RefInput, Resource } from '../../src/model/types.js';
import { request, startServer, type RunningServer } from '../helpers/server.js';

const PODS = '/api/v1/namespaces/web/pods';
const pod = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { nodeName: 'n1' }, ...extra });
const MERGE = { 'content-type': 'application/merge-patch+json' };

/** Asserts a Kubernetes failure Status with the reason and code. */
function assertStatus(answer: { status: number; body: any }, code: number, reason: string): void {
  assert.equal(answer.status, code, JSON.stringify(answer.body));
  assert.equal(answer.body.kind, 'Status');
  assert.equal(answer.body.apiVersion, 'v1');
  assert.equal(answer.body.status, 'Failure');
  assert.equal(answer.body.code, code);
  assert.equal(answer.body.reason, reason);
}

describe('the Kubernetes API', () => {
  let server: RunningServer;
  let url: string;
  before(async () => {
    server = await startServer();
    url = server.url;
  });
  after(() => server.stop());

  it('serves discovery documents as kubectl reads them', async () => {
    const version = await request(`${url}/version`);
    assert.equal(version.body.major, '1');
    assert.match(version.body.gitVersion, /^v1\.\d+\.\d+/);
    const api = await request(`${url}/api`, { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } });
    assert.equal(api.body.kind, 'APIVersions');
    assert.deepEqual(api.body.versions, ['v1']);
    const apis = await request(`${url}/apis`);
    assert.equal(apis.body.kind, 'APIGroupList');
    const apps = apis.body.groups.find((g: any) => g.name === 'apps');
    assert.equal(apps.preferredVersion.groupVersion, 'apps/v1');
    assert.equal((await request(`${url}/apis/apps`)).body.kind, 'APIGroup');
    const core = await request(`${url}/api/v1`);
    assert.equal(core.body.kind, 'APIResourceList');
    assert.equal(core.body.groupVersion, 'v1');
    const pods = core.body.resources.find((r: any) => r.name === 'pods');
    assert.deepEqual({ ...pods, verbs: [...pods.verbs].sort() }, { ...pods, kind: 'Pod', namespaced: true, singularName: 'pod', shortNames: ['po'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] });
    assert.equal(core.body.resources.find((r: any) => r.name === 'nodes').namespaced, false);
    const deployments = (await request(`${url}/apis/apps/v1`)).body.resources.find((r: any) => r.name === 'deployments');
    assert.equal(deployments.kind, 'Deployment');
    assertStatus(await request(`${url}/apis/nothing.example.com/v1`), 404, 'NotFound');
    assertStatus(await request(`${url}/apis/nothing.example.com`), 404, 'NotFound');
  });

  it('serves the OpenAPI documents kubectl asks for before it writes', async () => {
    const v2 = await fetch(`${url}/openapi/v2`, { headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    assert.equal(v2.status, 200);
    assert.equal(v2.headers.get('content-type'), 'application/octet-stream');
    assert.ok((await v2.arrayBuffer()).byteLength > 0);
    assert.equal((await fetch(`${url}/swagger-2.0.0.pb-v1`)).status, 200);
    assert.equal((await request(`${url}/openapi/v2`)).body.swagger, '2.0');
    assert.deepEqual((await request(`${url}/openapi/v3`)).body, { paths: {} });
  });

  it('creates, reads, replaces and deletes objects as manifests, with Status errors', async () => {
    const created = await request(url + PODS, { method: 'POST', body: pod('a') });
    assert.equal(created.status, 201);
    const metadata = created.body.metadata;
    assert.equal(created.body.kind, 'Pod');
    assert.equal(metadata.namespace, 'web');
    assert.equal(typeof metadata.uid, 'string');
    assert.match(metadata.resourceVersion, /^\d+$/);
    assert.equal(metadata.generation, 1);
    assert.match(metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const read = await request(`${url}${PODS}/a`);
    assert.deepEqual(read.body, created.body);
    const exists = await request(url + PODS, { method: 'POST', body: pod('a') });
    assertStatus(exists, 409, 'AlreadyExists');
    assert.deepEqual(exists.body.details, { name: 'a', kind: 'pods' });
    const missing = await request(`${url}${PODS}/nope`);
    assertStatus(missing, 404, 'NotFound');
    assert.equal(missing.body.message, 'pods "nope" not found');

    const replaced = await request(`${url}${PODS}/a`, { method: 'PUT', body: { ...read.body, spec: { nodeName: 'n2' } } });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.spec.nodeName, 'n2');
    assert.ok(Number(replaced.body.metadata.resourceVersion) > Number(metadata.resourceVersion));
    assertStatus(await request(`${url}${PODS}/a`, { method: 'PUT', body: { ...read.body, spec: {} } }), 409, 'Conflict');
    const unconditional = await request(`${url}${PODS}/a`, { method: 'PUT', body: pod('a', { spec: { nodeName: 'n3' } }) });
    assert.equal(unconditional.body.spec.nodeName, 'n3');
    assertStatus(await request(`${url}${PODS}/nope`, { method: 'PUT', body: pod('nope') }), 404, 'NotFound');

    const stale = { preconditions: { resourceVersion: replaced.body.metadata.resourceVersion } };
    assertStatus(await request(`${url}${PODS}/a`, { method: 'DELETE', body: stale }), 409, 'Conflict');
    assertStatus(await request(`${url}${PODS}/a`, { method: 'DELETE', body: { preconditions: { uid: 'another' } } }), 409, 'Conflict');
    const current = unconditional.body.metadata;
    const deleted = await request(`${url}${PODS}/a`, { method: 'DELETE', body: { propagationPolicy: 'Background', preconditions: { uid: current.uid, resourceVersion: current.resourceVersion } } });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.kind, 'Pod');
    assert.equal(deleted.body.metadata.name, 'a');
    assertStatus(await request(`${url}${PODS}/a`), 404, 'NotFound');
    assertStatus(await request(`${url}${PODS}/a`, { method: 'DELETE' }), 404, 'NotFound');
  });

  it('names objects by generateName, and serves cluster-scoped kinds at their paths only', async () => {
    const generated = await request(url + PODS, { method: 'POST', body: { kind: 'Pod', metadata: { generateName: 'job-' } } });
    assert.equal(generated.status, 201);
    assert.match(generated.body.metadata.name, /^job-[a-z0-9]{5}$/);
    const node = await request(`${url}/api/v1/nodes`, { method: 'POST', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', namespace: 'ignored' } } });
    assert.equal(node.status, 201);
    assert.equal(node.body.metadata.namespace, undefined);
    assert.equal((await request(`${url}/api/v1/nodes/n1`)).body.metadata.name, 'n1');
    const namespace = await request(`${url}/api/v1/namespaces`, { method: 'POST', body: { kind: 'Namespace', metadata: { name: 'web' } } });
    assert.equal(namespace.status, 201);
    assert.equal((await request(`${url}/api/v1/namespaces/web`)).body.kind, 'Namespace');
    assertStatus(await request(`${url}/api/v1/namespaces/web/nodes/n1`), 404, 'NotFound');
    assertStatus(await request(`${url}/api/v1/pods/a`), 404, 'NotFound');
    assertStatus(await request(`${url}/api/v1/pods`, { method: 'POST', body: pod('x') }), 405, 'MethodNotAllowed');
    assertStatus(await request(`${url}/api/v1/Pod`), 404, 'NotFound');
    assertStatus(await request(`${url}/api/v1/namespaces/web/Pod`), 404, 'NotFound');
    assertStatus(await request(`${url}/apis/apps/v1/namespaces/web/widgets`), 404, 'NotFound');
    assertStatus(await request(`${url}${PODS}/a/status`), 404, 'NotFound');
  });

  it('answers 400 BadRequest and writes nothing for a body that disagrees with its path', async () => {
    const revision = server.store.revision;
    const cases: Array<[string, string, unknown]> = [
      ['POST', PODS, pod('b', { kind: 'Deployment' })],
      ['POST', PODS, pod('b', { apiVersion: 'apps/v1' })],
      ['POST', PODS, { ...pod('b'), metadata: { name: 'b', namespace: 'prod' } }],
      ['POST', PODS, { kind: 'Pod', metadata: {} }],
      ['POST', PODS, [1, 2]],
      ['PUT', `${PODS}/b`, pod('c')],
    ];
    for (const [method, path, body] of cases) assertStatus(await request(url + path, { method, body }), 400, 'BadRequest');
    assert.equal(server.store.revision, revision);
  });

  it('patches with merge, JSON and strategic merge patches, and refuses server-side apply with 415', async () => {
    const created = (await request(url + PODS, { method: 'POST', body: pod('p', { spec: { containers: [{ name: 'app', image: 'v1' }, { name: 'side', image: 's1' }] } }) })).body;
    const merged = await request(`${url}${PODS}/p`, { method: 'PATCH', headers: MERGE, body: { metadata: { labels: { tier: 'front' } } } });
    assert.equal(merged.status, 200);
    assert.deepEqual(merged.body.metadata.labels, { app: 'web', tier: 'front' });
    const json = await request(`${url}${PODS}/p`, { method: 'PATCH', headers: { 'content-type': 'application/json-patch+json' }, body: [{ op: 'replace', path: '/metadata/labels/app', value: 'db' }] });
    assert.equal(json.body.metadata.labels.app, 'db');
    const strategic = await request(`${url}${PODS}/p`, { method: 'PATCH', headers: { 'content-type': 'application/strategic-merge-patch+json' }, body: { spec: { containers: [{ name: 'app', image: 'v2' }] } } });
    assert.deepEqual(strategic.body.spec.containers, [{ name: 'app', image: 'v2' }, { name: 'side', image: 's1' }]);
    const again = await request(`${url}${PODS}/p`, { method: 'PATCH', headers: MERGE, body: { metadata: { labels: { tier: 'front' } } } });
    assert.equal(again.body.metadata.resourceVersion, strategic.body.metadata.resourceVersion, 'a patch that changes nothing writes nothing');
    const stale = await request(`${url}${PODS}/p`, { method: 'PATCH', headers: MERGE, body: { metadata: { resourceVersion: created.metadata.resourceVersion, labels: { x: 'y' } } } });
    assertStatus(stale, 409, 'Conflict');
    assertStatus(await request(`${url}${PODS}/p`, { method: 'PATCH', headers: { 'content-type': 'application/json-patch+json' }, body: [{ op: 'test', path: '/spec/nodeName', value: 'elsewhere' }] }), 422, 'Invalid');
    assertStatus(await request(`${url}${PODS}/p`, { method: 'PATCH', headers: MERGE, body: { kind: 'Service' } }), 400, 'BadRequest');
    assertStatus(await request(`${url}${PODS}/p`, { method: 'PATCH', headers: { 'content-type': 'application/apply-patch+yaml' }, raw: 'kind: Pod\n' }), 415, 'UnsupportedMediaType');
    assertStatus(await request(`${url}${PODS}/p`, { method: 'PATCH', body: { metadata: {} } }), 415, 'UnsupportedMediaType');
    assertStatus(await request(`${url}${PODS}/nope`, { method: 'PATCH', headers: MERGE, body: {} }), 404, 'NotFound');
  });

  it('lists with limit and continue, label and field selectors, as a typed List', async () => {
    const ns = '/api/v1/namespaces/list/pods';
    for (let i = 0; i < 5; i++) {
      await request(url + ns, { method: 'POST', body: { kind: 'Pod', metadata: { name: `p${i}`, labels: { tier: i % 2 ? 'odd' : 'even' } }, spec: { nodeName: `n${i % 2}` } } });
    }
    const first = await request(`${url}${ns}?limit=2`);
    assert.equal(first.body.kind, 'PodList');
    assert.equal(first.body.apiVersion, 'v1');
    assert.deepEqual(first.body.items.map((p: any) => p.metadata.name), ['p0', 'p1']);
    assert.equal(typeof first.body.metadata.continue, 'string');
    const rest = await request(`${url}${ns}?limit=10&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    assert.deepEqual(rest.body.items.map((p: any) => p.metadata.name), ['p2', 'p3', 'p4']);
    assert.equal(rest.body.metadata.continue, undefined);
    assert.equal(rest.body.metadata.resourceVersion, first.body.metadata.resourceVersion, 'every page names the revision of the first');
    const odd = await request(`${url}${ns}?labelSelector=${encodeURIComponent('tier=odd')}`);
    assert.deepEqual(odd.body.items.map((p: any) => p.metadata.name), ['p1', 'p3']);
    const onNode = await request(`${url}${ns}?fieldSelector=${encodeURIComponent('spec.nodeName=n0')}&limit=2`);
    assert.deepEqual(onNode.body.items.map((p: any) => p.metadata.name), ['p0', 'p2'], 'a page filled through the filter');
    const more = await request(`${url}${ns}?fieldSelector=${encodeURIComponent('spec.nodeName=n0')}&limit=2&continue=${encodeURIComponent(onNode.body.metadata.continue)}`);
    assert.deepEqual(more.body.items.map((p: any) => p.metadata.name), ['p4']);
    const byName = await request(`${url}${ns}?fieldSelector=${encodeURIComponent('metadata.name=p3')}`);
    assert.deepEqual(byName.body.items.map((p: any) => p.metadata.name), ['p3']);
    assert.ok(Number(byName.body.metadata.resourceVersion) >= Number(byName.body.items[0].metadata.resourceVersion));
    const everywhere = await request(`${url}/api/v1/pods?fieldSelector=${encodeURIComponent('metadata.namespace=list,metadata.name=p1')}`);
    assert.deepEqual(everywhere.body.items.map((p: any) => `${p.metadata.namespace}/${p.metadata.name}`), ['list/p1']);
    assert.deepEqual((await request(`${url}${ns}?fieldSelector=${encodeURIComponent('metadata.namespace=other')}`)).body.items, []);
    assert.equal((await request(`${url}${ns}?resourceVersion=0&limit=500`)).body.items.length, 5);
    assertStatus(await request(`${url}${ns}?fieldSelector=${encodeURIComponent('spec.bogus=1')}`), 400, 'BadRequest');
    assertStatus(await request(`${url}${ns}?labelSelector=${encodeURIComponent('a in (')}`), 400, 'BadRequest');
    assertStatus(await request(`${url}${ns}?continue=forged`), 400, 'BadRequest');
    assertStatus(await request(`${url}${ns}?resourceVersionMatch=Exact`), 400, 'BadRequest');
    assertStatus(await request(`${url}${ns}?resourceVersion=1&resourceVersionMatch=Exact`), 410, 'Expired');
    assertStatus(await request(`${url}${ns}?resourceVersion=99999999`), 410, 'Expired');
  });

  it('makes a kind reachable by its plural once its CRD is stored, and forgets it when the CRD goes', async () => {
    const widgets = '/apis/example.com/v1/namespaces/web/widgets';
    assertStatus(await request(url + widgets), 404, 'NotFound');
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets', singular: 'widget', shortNames: ['wd'] }, versions: [{ name: 'v1', served: true, storage: true }] },
    };
    assert.equal((await request(`${url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, { method: 'POST', body: crd })).status, 201);
    const created = await request(url + widgets, { method: 'POST', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } } });
    assert.equal(created.status, 201);
    assert.equal((await request(url + widgets)).body.kind, 'WidgetList');
    const discovered = (await request(`${url}/apis/example.com/v1`)).body.resources;
    assert.deepEqual(discovered.map((r: any) => [r.name, r.kind, r.shortNames]), [['widgets', 'Widget', ['wd']]]);
    assert.ok((await request(`${url}/apis`)).body.groups.some((g: any) => g.name === 'example.com'));
    await request(`${url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com`, { method: 'DELETE' });
    const guessed = (await request(`${url}/apis/example.com/v1`)).body.resources;
    assert.deepEqual(guessed.map((r: any) => [r.name, r.kind, r.shortNames]), [['widgets', 'Widget', undefined]], 'the CRD\'s names are gone');
    assert.equal((await request(`${url}${widgets}/w1`)).status, 200, 'a stored kind stays reachable by the guessed plural');
  });

  it('serves a kind written by another door at its guessed plural, cluster-scoped when its objects are', async () => {
    await server.store.add({ ref: { group: 'acme.io', version: 'v2', kind: 'Gadget', name: 'g1' }, data: { spec: { on: true } } });
    const listed = await request(`${url}/apis/acme.io/v2/gadgets`);
    assert.deepEqual(listed.body.items.map((g: any) => g.metadata.name), ['g1']);
    const resources = (await request(`${url}/apis/acme.io/v2`)).body.resources;
    assert.deepEqual(resources.map((r: any) => [r.name, r.namespaced]), [['gadgets', false]]);
    assertStatus(await request(`${url}/apis/acme.io/v2/namespaces/web/gadgets`), 404, 'NotFound');
  });

  it('answers errors of the store\'s own routes in the store\'s shape, and of the Kubernetes paths as Status', async () => {
    const store = await request(`${url}/graph`);
    assert.equal(store.body.code, 'INVALID_ARGUMENT');
    assertStatus(await request(`${url}${PODS}`, { method: 'POST', raw: '{not json' }), 400, 'BadRequest');
    assertStatus(await request(`${url}${PODS}?limit=1&limit=2`), 400, 'BadRequest');
    assertStatus(await request(`${url}${PODS}`, { method: 'POST', raw: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'UnsupportedMediaType');
    assertStatus(await request(`${url}${PODS}`, { method: 'POST', body: pod('d'), headers: MERGE }), 415, 'UnsupportedMediaType');
    assertStatus(await request(`${url}${PODS}/x?dryRun=All`, { method: 'DELETE' }), 400, 'BadRequest');
    assert.equal((await request(`${url}/nowhere`)).body.code, 'NOT_FOUND');
    assertStatus(await request(`${url}/apis`, { method: 'OPTIONS' }), 404, 'NotFound');
  });
});

describe('a write that lands between the read and the write of a replace or patch', () => {
  /**
   * The real store, but its next read of `name` is followed at once by `between` (by default
   * another update of it), as a concurrent client's write would be.
   */
  async function racedStore(
    name: string,
    between: (store: ResourceStore, read: Resource) => Promise<unknown> = (store, read) => store.update({ ref: read.ref, labels: { ...read.labels, other: 'write' }, data: read.data }),
  ): Promise<{ store: ResourceStore; arm: () => void }> {
    const real = await openStore();
    let armed = false;
    const store = new Proxy(real, {
      get(target, property) {
        if (property === 'get') {
          return async (ref: RefInput) => {
            const read = await target.get(ref);
            if (armed && ref.name === name) {
              armed = false;
              await between(target, read);
            }
            return read;
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return { store, arm: () => void (armed = true) };
  }

  it('is tried again on the new state when the request named no resourceVersion, and keeps both writes', async () => {
    const { store, arm } = await racedStore('raced');
    const server = await startServer({ store });
    try {
      await request(server.url + PODS, { method: 'POST', body: pod('raced') });
      arm();
      const patched = await request(`${server.url}${PODS}/raced`, { method: 'PATCH', headers: MERGE, body: { metadata: { labels: { tier: 'front' } } } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(patched.body.metadata.labels, { app: 'web', other: 'write', tier: 'front' });
      arm();
      const replaced = await request(`${server.url}${PODS}/raced`, { method: 'PUT', body: pod('raced', { spec: { nodeName: 'n9' } }) });
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
      assert.equal(replaced.body.spec.nodeName, 'n9');
    } finally {
      await server.stop();
    }
  });

  it('fails with Conflict when the object was deleted and created again between the read and the write', async () => {
    const { store, arm } = await racedStore('again', async (real, read) => {
      await real.delete(read.ref);
      await real.add({ ref: read.ref, labels: read.labels, data: read.data }); // version 1 again, another uid
    });
    const server = await startServer({ store });
    try {
      const created = (await request(server.url + PODS, { method: 'POST', body: { ...pod('again'), metadata: { name: 'again', uid: 'given-by-client' } } })).body;
      assert.notEqual(created.metadata.uid, 'given-by-client', 'the server gives a created object its uid');
      arm();
      const replace = { ...created, metadata: { ...created.metadata, uid: undefined }, spec: { nodeName: 'n9' } }; // names its resourceVersion, not its uid
      assertStatus(await request(`${server.url}${PODS}/again`, { method: 'PUT', body: replace }), 409, 'Conflict');
      const current = (await request(`${server.url}${PODS}/again`)).body;
      arm();
      const options = { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: current.metadata.resourceVersion } };
      assertStatus(await request(`${server.url}${PODS}/again`, { method: 'DELETE', body: options }), 409, 'Conflict');
      assert.equal((await request(`${server.url}${PODS}/again`)).status, 200, 'the object created again is still there');
    } finally {
      await server.stop();
    }
  });

  it('fails with Conflict when the request named the resourceVersion it read', async () => {
    const { store, arm } = await racedStore('raced');
    const server = await startServer({ store });
    try {
      const created = (await request(server.url + PODS, { method: 'POST', body: pod('raced') })).body;
      arm();
      const patch = { metadata: { resourceVersion: created.metadata.resourceVersion, labels: { tier: 'front' } } };
      assertStatus(await request(`${server.url}${PODS}/raced`, { method: 'PATCH', headers: MERGE, body: patch }), 409, 'Conflict');
      const read = (await request(`${server.url}${PODS}/raced`)).body;
      arm();
      assertStatus(await request(`${server.url}${PODS}/raced`, { method: 'PUT', body: read }), 409, 'Conflict');
      assert.deepEqual((await request(`${server.url}${PODS}/raced`)).body.metadata.labels, { app: 'web', other: 'write' }, 'only the other writes landed');
    } finally {
      await server.stop();
    }
  });
});
