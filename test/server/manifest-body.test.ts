/** A Kubernetes manifest as the body must agree with the path it is sent to, as Kubernetes requires. */
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
const MERGE = { 'content-type': 'application/merge-patch+json' };

describe('a manifest sent as the body', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  it('answers 400 BadRequest and writes nothing when its apiVersion, kind, namespace or name disagree with the path', async () => {
    const collection = '/apis/apps/v1/namespaces/web/deployments';
    await request(server.url + collection, { method: 'POST', body: deployment({}) });
    const revision = server.store.revision;
    const cases: Array<[string, string, unknown, Record<string, string>?]> = [
      ['POST', '/api/v1/namespaces/web/pods', deployment({ namespace: 'prod' })],
      ['POST', '/api/v1/namespaces/web/pods', deployment({ namespace: 'web' })],
      ['POST', collection, deployment({ namespace: 'prod' })],
      ['POST', collection, deployment({ namespace: 'web' }, { apiVersion: 'apps/v2' })],
      ['POST', collection, deployment({ namespace: 'web' }, { apiVersion: 'v1' })],
      ['POST', collection, deployment({ namespace: 'web' }, { kind: 'StatefulSet' })],
      ['POST', collection, deployment({ namespace: 7 })],
      ['POST', collection, deployment({}, { apiVersion: 7 })],
      ['PUT', `${collection}/d`, deployment({ namespace: 'prod' })],
      ['PUT', `${collection}/d`, deployment({}, { kind: 'StatefulSet' })],
      ['PUT', `${collection}/d`, deployment({ name: 'other' })],
      ['PATCH', `${collection}/d`, { metadata: { namespace: 'prod' } }, MERGE],
      ['PATCH', `${collection}/d`, { apiVersion: 'extensions/v1beta1' }, MERGE],
      ['PATCH', `${collection}/d`, { metadata: { name: 'other' } }, MERGE],
    ];
    for (const [method, path, body, headers] of cases) {
      const answer = await request(server.url + path, { method, body, ...(headers ? { headers } : {}) });
      assert.equal(answer.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.reason, 'BadRequest');
    }
    assert.equal(server.store.revision, revision, 'nothing written');
  });

  it('is stored when it agrees with the path, or leaves out what the path says', async () => {
    const collection = `${server.url}/apis/apps/v1/namespaces/web/deployments`;
    assert.equal((await request(collection, { method: 'POST', body: deployment({ name: 'e', namespace: 'web' }) })).status, 201);
    assert.equal((await request(`${collection}/e`, { method: 'PUT', body: { kind: 'Deployment', metadata: { name: 'e' } } })).status, 200);
    assert.equal((await request(collection, { method: 'POST', body: deployment({ name: 'f', namespace: '' }) })).status, 201);
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } };
    assert.equal((await request(`${server.url}/api/v1/nodes`, { method: 'POST', body: node })).status, 201);
  });
});
