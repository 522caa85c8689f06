import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, request, type RunningServer } from '../helpers/server.js';

const POD = '/api/v1/namespaces/web/pods';
const MERGE = { 'content-type': 'application/merge-patch+json' };
const manifest = (kind: string, name: string, extra: Record<string, unknown> = {}) => ({ kind, metadata: { name }, ...extra });

describe('HTTP API', () => {
  let server: RunningServer;
  let url: string;
  before(async () => {
    server = await startServer();
    url = server.url;
  });
  after(() => server.stop());

  it('creates, gets, replaces, patches and deletes at the Kubernetes paths, with their status codes', async () => {
    const created = await request(url + POD, { method: 'POST', body: manifest('Pod', 'a', { metadata: { name: 'a', labels: { app: 'web' } }, spec: { x: 1 } }) });
    assert.equal(created.status, 201);
    assert.equal(created.body.metadata.generation, 1);
    assert.equal((await request(url + POD, { method: 'POST', body: manifest('Pod', 'a') })).status, 409);
    assert.deepEqual((await request(`${url}${POD}/a`)).body.spec, { x: 1 });
    const stale = await request(`${url}${POD}/a`, { method: 'PUT', body: { ...created.body, metadata: { ...created.body.metadata, resourceVersion: '7000' } } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    const replaced = await request(`${url}${POD}/a`, { method: 'PUT', body: { ...created.body, metadata: { ...created.body.metadata, labels: { app: 'db' } } } });
    assert.equal(replaced.body.metadata.generation, 2);
    assert.equal((await request(`${url}${POD}/a`, { method: 'PUT', body: created.body })).status, 409, 'the resourceVersion read before the replace is stale');
    assert.equal((await request(`${url}${POD}/absent`, { method: 'PUT', body: manifest('Pod', 'absent') })).status, 404);
    const patched = await request(`${url}${POD}/a`, { method: 'PATCH', headers: MERGE, body: { metadata: { labels: { app: 'web' } } } });
    assert.equal(patched.status, 200);
    assert.equal((await request(`${url}${POD}/a`, { method: 'PATCH', headers: MERGE, body: { metadata: { labels: { app: 'web' } } } })).body.metadata.generation, 3, 'unchanged patch');
    const node = await request(`${url}/api/v1/nodes`, { method: 'POST', body: manifest('Node', 'n1') });
    assert.equal(node.body.metadata.namespace, undefined);
    assert.equal((await request(`${url}/api/v1/nodes/n1`)).status, 200);
    const deployment = await request(`${url}/apis/apps/v1/namespaces/web/deployments`, { method: 'POST', body: manifest('Deployment', 'd', { spec: { replicas: 2 } }) });
    assert.equal(deployment.body.apiVersion, 'apps/v1');
    const old = { preconditions: { resourceVersion: created.body.metadata.resourceVersion } };
    assert.equal((await request(`${url}${POD}/a`, { method: 'DELETE', body: old })).status, 409);
    const deleted = await request(`${url}${POD}/a`, { method: 'DELETE' });
    assert.equal(deleted.body.metadata.generation, 3);
    assert.equal((await request(`${url}${POD}/a`)).status, 404);
  });

  it('stores a whole Kubernetes manifest, and reads it back in the store\'s shape at /resource', async () => {
    const written = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'web', labels: { app: 'x' }, uid: 'u-1' }, data: { k: 'v' } };
    const created = await request(`${url}/api/v1/namespaces/web/configmaps`, { method: 'POST', body: written });
    assert.equal(created.status, 201);
    assert.notEqual(created.body.metadata.uid, 'u-1', 'a create takes the server\'s uid, as in Kubernetes');
    const stored = await request(`${url}/resource?ref=${encodeURIComponent('/v1/ConfigMap/web/cm')}`);
    assert.equal(stored.body.uid, created.body.metadata.uid);
    assert.deepEqual(stored.body.labels, { app: 'x' });
    assert.deepEqual(stored.body.data, { ...written, metadata: { name: 'cm', namespace: 'web', labels: { app: 'x' } } });
    const absent = await request(`${url}/resource?ref=${encodeURIComponent('/v1/ConfigMap/web/none')}`);
    assert.equal(absent.status, 404);
    assert.equal(absent.body.code, 'NOT_FOUND');
    assert.equal((await request(`${url}/resource?ref=a/b`)).body.code, 'INVALID_ARGUMENT');
    const mismatch = await request(`${url}/api/v1/namespaces/web/configmaps/other`, { method: 'PUT', body: written });
    assert.equal(mismatch.status, 400);
  });

  it('lists with labelSelector, limit and continue, the list carrying its resourceVersion', async () => {
    for (let i = 0; i < 5; i++) await request(`${url}/api/v1/namespaces/list/pods`, { method: 'POST', body: { kind: 'Pod', metadata: { name: `p${i}`, labels: { tier: i % 2 ? 'odd' : 'even' } } } });
    const first = await request(`${url}/api/v1/namespaces/list/pods?limit=2`);
    assert.equal(first.body.items.length, 2);
    assert.match(first.body.metadata.resourceVersion, /^\d+$/);
    const second = await request(`${url}/api/v1/namespaces/list/pods?limit=10&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    assert.deepEqual(second.body.items.map((r: any) => r.metadata.name), ['p2', 'p3', 'p4']);
    assert.equal(second.body.metadata.continue, undefined);
    const odd = await request(`${url}/api/v1/namespaces/list/pods?labelSelector=${encodeURIComponent('tier=odd')}`);
    assert.deepEqual(odd.body.items.map((r: any) => r.metadata.name), ['p1', 'p3']);
    const across = await request(`${url}/resources?namespace=list&labelSelector=tier`);
    assert.equal(across.body.items.length, 5);
    assert.equal(typeof across.body.revision, 'number');
  });

  it('adds, queries and deletes relationships, and walks the graph', async () => {
    const rel = {
      subject: { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'g', name: 'rs' },
      predicate: { type: 'OwnerReference', value: { kind: 'ReplicaSet', name: 'rs' } },
      object: { version: 'v1', kind: 'Pod', namespace: 'g', name: 'p' },
    };
    const bind = { subject: rel.object, predicate: { type: 'PodNodeBinding', value: { nodeName: 'n' } }, object: { version: 'v1', kind: 'Node', name: 'n' } };
    assert.equal((await request(`${url}/relationships`, { method: 'POST', body: { relationships: [rel, bind] } })).status, 201);
    const owned = await request(`${url}/relationships?subject=apps/v1/ReplicaSet/g/rs`);
    assert.equal(owned.body.items.length, 1);
    const onNode = await request(`${url}/relationships?predicate=PodNodeBinding&object=/v1/Node//n`);
    assert.equal(onNode.body.items[0].subject.name, 'p');
    const pods = await request(`${url}/relationships?object=/v1/Pod`);
    assert.equal(pods.body.items.length, 1);
    const graph = await request(`${url}/graph?from=apps/v1/ReplicaSet/g/rs&direction=out&maxDepth=2`);
    assert.deepEqual(graph.body.nodes.map((n: any) => `${n.depth}:${n.ref.name}`), ['0:rs', '1:p', '2:n']);
    assert.equal(graph.body.edges.length, 2);
    assert.equal((await request(`${url}/relationships?subject=/v1/Pod/g/p&predicate=PodNodeBinding&object=/v1/Node//n`, { method: 'DELETE' })).status, 200);
    assert.equal((await request(`${url}/relationships?subject=/v1/Pod/g/p&predicate=PodNodeBinding&object=/v1/Node//n`, { method: 'DELETE' })).status, 404);
    assert.equal((await request(`${url}/relationships?subject=/v1/Pod/g/p&predicate=PodNodeBinding&object=/v1/Node//n&ignoreMissing=true`, { method: 'DELETE' })).status, 200);
  });

  it('runs a batch of resource and relationship operations atomically', async () => {
    const ok = await request(`${url}/batch`, {
      method: 'POST',
      body: { operations: [{ op: 'add', resource: { ref: { version: 'v1', kind: 'Pod', namespace: 'b', name: 'x' } } }, { op: 'add', resource: { ref: { version: 'v1', kind: 'Pod', namespace: 'b', name: 'y' } } }] },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.results.length, 2);
    const failed = await request(`${url}/batch`, {
      method: 'POST',
      body: { operations: [{ op: 'add', resource: { ref: { version: 'v1', kind: 'Pod', namespace: 'b', name: 'z' } } }, { op: 'add', resource: { ref: { version: 'v1', kind: 'Pod', namespace: 'b', name: 'x' } } }] },
    });
    assert.equal(failed.status, 409);
    assert.equal((await request(`${url}/api/v1/namespaces/b/pods/z`)).status, 404);
  });

  it('answers bad requests with 4xx, never a 5xx: a Status on the Kubernetes paths, {code, message} on the store\'s own', async () => {
    const cases: Array<[string, { method?: string; raw?: string; body?: unknown; headers?: Record<string, string> }, number]> = [
      [POD, { method: 'POST', raw: '{not json' }, 400],
      [POD, { method: 'POST', raw: JSON.stringify({ kind: 'Pod', metadata: { name: 'big' }, s: 'x'.repeat(5 * 1024 * 1024) }) }, 413],
      [POD, { method: 'POST', raw: JSON.stringify({ kind: 'Pod', metadata: { name: 'big' }, s: 'x'.repeat(2 * 1024 * 1024) }) }, 413],
      [POD, { method: 'POST', body: { kind: 'Pod', metadata: { name: 'x', labels: { 'bad key': 'v' } } } }, 400],
      [POD, { method: 'POST', body: { kind: 'Pod', metadata: 'x' } }, 400],
      [POD, { method: 'POST', body: [1, 2] }, 400],
      [POD, { method: 'POST', body: {} }, 400],
      [`${POD}?labelSelector=${encodeURIComponent('a in (')}`, {}, 400],
      [`${POD}?limit=-1`, {}, 400],
      [`${POD}?limit=abc`, {}, 400],
      [`${POD}?continue=forged`, {}, 400],
      [`${POD}?fieldSelector=spec.nope%3D1`, {}, 400],
      ['/api/v1/namespaces/web/pods/a/extra/segments', {}, 404],
      ['/api/v1/namespaces/web/unknowns', {}, 404],
      ['/apis/nowhere.example/v1', {}, 404],
      [`${POD}/a`, { method: 'PUT', raw: 'null' }, 400],
      [`${POD}/x%ZZ`, {}, 400],
      [POD, { method: 'POST', raw: '{"kind":"Pod"}', headers: { 'content-type': 'text/plain' } }, 415],
      ['/nowhere', {}, 404],
      ['/resources?limit=0', {}, 400],
      [`/relationships?subject=a/b`, {}, 400],
      [`/relationships?predicate=Unknown`, {}, 400],
      [`/graph`, {}, 400],
      [`/graph?from=/v1/Pod/web/a&maxDepth=1000`, {}, 400],
      [`/graph?from=/v1/Pod/web/a&direction=sideways`, {}, 400],
      [`/batch`, { method: 'POST', body: { operations: 'no' } }, 400],
      [`/watch?fromRevision=-4`, {}, 400],
      ['/batch', { method: 'POST', raw: '{"operations":[]}', headers: { 'content-type': 'text/plain' } }, 415],
    ];
    for (const [path, init, status] of cases) {
      const response = await request(url + path, init);
      const what = `${init.method ?? 'GET'} ${path.slice(0, 80)}: ${JSON.stringify(response.body).slice(0, 200)}`;
      assert.equal(response.status, status, what);
      if (path.startsWith('/api')) {
        assert.equal(response.body.kind, 'Status', what);
        assert.equal(response.body.code, status, what);
        assert.equal(typeof response.body.reason, 'string', what);
      } else {
        assert.equal(typeof response.body.code, 'string', what);
      }
      assert.equal(typeof response.body.message, 'string', what);
    }
  });

  it('serves metrics, with the process metrics, and health checks', async () => {
    const metrics = await request(`${url}/metrics`);
    assert.match(metrics.body, /resourcestore_resources_total\{group="",version="v1",kind="Pod"\}/);
    assert.match(metrics.body, /process_cpu_user_seconds_total/);
    assert.equal((await request(`${url}/healthz`)).status, 200);
    assert.equal((await request(`${url}/readyz`)).status, 200);
  });
});

describe('HTTP API with a token', () => {
  it('protects every route but the health checks', async () => {
    const server = await startServer({ token: 's3cret' });
    try {
      assert.equal((await request(`${server.url}/healthz`)).status, 200);
      assert.equal((await request(`${server.url}/readyz`)).status, 200);
      const denied = await request(`${server.url}/api/v1/nodes`);
      assert.equal(denied.status, 401);
      assert.equal(denied.body.reason, 'Unauthorized');
      assert.equal((await request(`${server.url}/resources`)).body.code, 'UNAUTHENTICATED');
      assert.equal((await request(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
      assert.equal((await request(`${server.url}/api/v1/nodes`, { headers: { authorization: 'Bearer s3cret' } })).status, 200);
    } finally {
      await server.stop();
    }
  });
});
