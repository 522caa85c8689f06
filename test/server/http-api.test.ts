import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, request, type RunningServer } from '../helpers/server.js';

const POD = '/api/v1/namespaces/web/Pod';

describe('HTTP API', () => {
  let server: RunningServer;
  let url: string;
  before(async () => {
    server = await startServer();
    url = server.url;
  });
  after(() => server.stop());

  it('creates, gets, updates, applies and deletes with Kubernetes-style paths and status codes', async () => {
    const created = await request(url + POD, { method: 'POST', body: { name: 'a', labels: { app: 'web' }, data: { spec: { x: 1 } } } });
    assert.equal(created.status, 201);
    assert.equal(created.body.version, 1);
    assert.equal((await request(url + POD, { method: 'POST', body: { name: 'a' } })).status, 409);
    assert.deepEqual((await request(`${url}${POD}/a`)).body.data, { spec: { x: 1 } });
    const stale = await request(`${url}${POD}/a`, { method: 'PUT', body: { version: 7, data: {} } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.code, 'CONFLICT');
    assert.equal((await request(`${url}${POD}/a`, { method: 'PUT', body: { version: 1, labels: { app: 'db' } } })).body.version, 2);
    assert.equal((await request(`${url}${POD}/a?version=1`, { method: 'PUT', body: {} })).status, 409);
    assert.equal((await request(`${url}${POD}/absent`, { method: 'PUT', body: {} })).status, 404);
    const applied = await request(`${url}${POD}/b`, { method: 'PATCH', body: { labels: { app: 'web' } } });
    assert.equal(applied.status, 200);
    assert.equal((await request(`${url}${POD}/b`, { method: 'PATCH', body: { labels: { app: 'web' } } })).body.version, 1, 'unchanged apply');
    const node = await request(`${url}/api/v1/Node`, { method: 'POST', body: { name: 'n1' } });
    assert.equal(node.body.ref.namespace, '');
    assert.equal((await request(`${url}/api/v1/Node/n1`)).status, 200);
    const deployment = await request(`${url}/apis/apps/v1/namespaces/web/Deployment/d`, { method: 'PATCH', body: { data: { spec: { replicas: 2 } } } });
    assert.equal(deployment.body.ref.group, 'apps');
    assert.equal((await request(`${url}${POD}/a?version=1`, { method: 'DELETE' })).status, 409);
    const deleted = await request(`${url}${POD}/a`, { method: 'DELETE' });
    assert.equal(deleted.body.version, 2);
    assert.equal((await request(`${url}${POD}/a`)).status, 404);
  });

  it('stores a whole Kubernetes manifest sent as the body', async () => {
    const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'web', labels: { app: 'x' }, uid: 'u-1' }, data: { k: 'v' } };
    const created = await request(`${url}/api/v1/namespaces/web/ConfigMap`, { method: 'POST', body: manifest });
    assert.equal(created.status, 201);
    assert.equal(created.body.uid, 'u-1');
    assert.deepEqual(created.body.labels, { app: 'x' });
    assert.deepEqual(created.body.data, manifest);
    const mismatch = await request(`${url}/api/v1/namespaces/web/ConfigMap/other`, { method: 'PATCH', body: manifest });
    assert.equal(mismatch.status, 400);
  });

  it('lists with labelSelector, limit and continue, the body carrying the revision', async () => {
    for (let i = 0; i < 5; i++) await request(`${url}/api/v1/namespaces/list/Pod/p${i}`, { method: 'PATCH', body: { labels: { tier: i % 2 ? 'odd' : 'even' } } });
    const first = await request(`${url}/api/v1/namespaces/list/Pod?limit=2`);
    assert.equal(first.body.items.length, 2);
    assert.equal(typeof first.body.revision, 'number');
    const second = await request(`${url}/api/v1/namespaces/list/Pod?limit=10&continue=${encodeURIComponent(first.body.continue)}`);
    assert.deepEqual(second.body.items.map((r: any) => r.ref.name), ['p2', 'p3', 'p4']);
    assert.equal(second.body.continue, undefined);
    const odd = await request(`${url}/api/v1/namespaces/list/Pod?labelSelector=${encodeURIComponent('tier=odd')}`);
    assert.deepEqual(odd.body.items.map((r: any) => r.ref.name), ['p1', 'p3']);
    const across = await request(`${url}/resources?namespace=list&labelSelector=tier`);
    assert.equal(across.body.items.length, 5);
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
    assert.equal((await request(`${url}/api/v1/namespaces/b/Pod/z`)).status, 404);
  });

  it('answers bad requests with 4xx and a {code, message} body, never a 5xx', async () => {
    const cases: Array<[string, { method?: string; raw?: string; body?: unknown; headers?: Record<string, string> }, number]> = [
      [POD, { method: 'POST', raw: '{not json' }, 400],
      [POD, { method: 'POST', raw: JSON.stringify({ name: 'big', data: { s: 'x'.repeat(5 * 1024 * 1024) } }) }, 413],
      [POD, { method: 'POST', raw: JSON.stringify({ name: 'big', data: { s: 'x'.repeat(2 * 1024 * 1024) } }) }, 413],
      [POD, { method: 'POST', body: { name: 'x', labels: { 'bad key': 'v' } } }, 400],
      [POD, { method: 'POST', body: { name: 'x', bogus: 1 } }, 400],
      [POD, { method: 'POST', body: [1, 2] }, 400],
      [POD, { method: 'POST', body: {} }, 400],
      [`${POD}?labelSelector=${encodeURIComponent('a in (')}`, {}, 400],
      [`${POD}?limit=0`, {}, 400],
      [`${POD}?limit=abc`, {}, 400],
      [`${POD}?continue=forged`, {}, 400],
      ['/api/v1/namespaces/web/Pod/a/extra/segments', {}, 404],
      ['/nowhere', {}, 404],
      [`/relationships?subject=a/b`, {}, 400],
      [`/relationships?predicate=Unknown`, {}, 400],
      [`/graph`, {}, 400],
      [`/graph?from=/v1/Pod/web/a&maxDepth=1000`, {}, 400],
      [`/graph?from=/v1/Pod/web/a&direction=sideways`, {}, 400],
      [`/batch`, { method: 'POST', body: { operations: 'no' } }, 400],
      [`${POD}/a`, { method: 'PUT', raw: 'null' }, 400],
      [`${POD}/x%ZZ`, {}, 400],
      [`/watch?fromRevision=-4`, {}, 400],
      [POD, { method: 'POST', raw: '{"name":"x"}', headers: { 'content-type': 'text/plain' } }, 415],
    ];
    for (const [path, init, status] of cases) {
      const response = await request(url + path, init);
      assert.equal(response.status, status, `${init.method ?? 'GET'} ${path.slice(0, 80)}: ${JSON.stringify(response.body).slice(0, 200)}`);
      assert.equal(typeof response.body.code, 'string', path);
      assert.equal(typeof response.body.message, 'string', path);
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
      const denied = await request(`${server.url}/api/v1/Node`);
      assert.equal(denied.status, 401);
      assert.equal(denied.body.code, 'UNAUTHENTICATED');
      assert.equal((await request(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
      assert.equal((await request(`${server.url}/api/v1/Node`, { headers: { authorization: 'Bearer s3cret' } })).status, 200);
    } finally {
      await server.stop();
    }
  });
});
