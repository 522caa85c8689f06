/** A Kubernetes manifest as a body must agree with the path it is sent to, as Kubernetes requires. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, startServer, type RunningServer } from '../helpers/server.js';

const deployment = (metadata: Record<string, unknown>, type: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', ...metadata },
  spec: { replicas: 1 },
  ...type,
});

describe('a manifest sent as the body', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  it('answers 400 and writes nothing when its apiVersion, kind, namespace or name disagree with the path', async () => {
    const collection = '/apis/apps/v1/namespaces/web/Deployment';
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/api/v1/namespaces/web/Pod', deployment({ namespace: 'prod' })],
      ['POST', '/api/v1/namespaces/web/Pod', deployment({ namespace: 'web' })],
      ['POST', collection, deployment({ namespace: 'prod' })],
      ['POST', collection, deployment({ namespace: 'web' }, { apiVersion: 'apps/v2' })],
      ['POST', collection, deployment({ namespace: 'web' }, { apiVersion: 'v1' })],
      ['POST', collection, deployment({ namespace: 'web' }, { kind: 'StatefulSet' })],
      ['POST', collection, deployment({ namespace: 7 })],
      ['POST', collection, deployment({}, { apiVersion: 7 })],
      ['POST', '/apis/apps/v1/Deployment', deployment({ namespace: 'web' })],
      ['PUT', `${collection}/d`, deployment({ namespace: 'prod' })],
      ['PUT', `${collection}/d`, deployment({}, { kind: 'StatefulSet' })],
      ['PATCH', `${collection}/d`, deployment({ namespace: 'prod' })],
      ['PATCH', `${collection}/d`, deployment({}, { apiVersion: 'extensions/v1beta1' })],
      ['PATCH', `${collection}/d`, deployment({ name: 'other' })],
    ];
    for (const [method, path, body] of cases) {
      const answer = await request(server.url + path, { method, body });
      assert.equal(answer.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'INVALID_ARGUMENT');
    }
    assert.deepEqual((await request(`${server.url}/resources`)).body.items, [], 'nothing written');
  });

  it('is stored when it agrees with the path, or leaves out what the path says', async () => {
    const collection = `${server.url}/apis/apps/v1/namespaces/web/Deployment`;
    assert.equal((await request(collection, { method: 'POST', body: deployment({ namespace: 'web' }) })).status, 201);
    assert.equal((await request(`${collection}/d`, { method: 'PUT', body: { kind: 'Deployment', metadata: { name: 'd' } } })).status, 200);
    assert.equal((await request(`${collection}/e`, { method: 'PATCH', body: deployment({ name: 'e', namespace: '' }) })).status, 200);
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } };
    assert.equal((await request(`${server.url}/api/v1/Node`, { method: 'POST', body: node })).status, 201);
  });
});
