/** Query strings: a parameter given twice is bad input (400), whichever route and parameter. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, startServer, type RunningServer } from '../helpers/server.js';

const POD = '/api/v1/namespaces/web/pods';

describe('query parameters', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
    await request(`${server.url}${POD}`, { method: 'POST', body: { kind: 'Pod', metadata: { name: 'a' } } });
  });
  after(() => server.stop());

  it('answers 400 (INVALID_ARGUMENT, or a BadRequest Status on the Kubernetes paths), never a 5xx, to any parameter given more than once', async () => {
    const cases: Array<[string, string?]> = [
      [`${POD}?limit=1&limit=2`],
      ['/resources?limit=1&limit=2'],
      ['/relationships?limit=1&limit=2'],
      ['/graph?from=/v1/Pod/web/a&maxDepth=1&maxDepth=2'],
      ['/graph?from=/v1/Pod/web/a&limit=1&limit=2'],
      ['/graph?from=/v1/Pod/web/a&from=/v1/Pod/web/b'],
      [`${POD}/a?fieldManager=x&fieldManager=y`, 'PUT'],
      [`${POD}/a?fieldManager=x&fieldManager=y`, 'PATCH'],
      [`${POD}/a?dryRun=All&dryRun=All`, 'DELETE'],
      [`${POD}/a?gracePeriodSeconds=0&gracePeriodSeconds=1`, 'DELETE'],
      [`${POD}?fieldSelector=a&fieldSelector=b`],
      [`${POD}?resourceVersion=1&resourceVersion=2&watch=true`],
      ['/resource?ref=/v1/Pod/web/a&ref=/v1/Pod/web/b'],
      [`${POD}?labelSelector=a&labelSelector=b`],
      [`${POD}?continue=a&continue=b`],
      [`${POD}?watch=true&watch=true`],
      ['/watch?fromRevision=0&fromRevision=1'],
      ['/watch?bufferSize=1&bufferSize=2'],
      ['/watch?kind=Pod&kind=Node'],
      ['/relationships?subject=/v1/Pod/web/a&subject=/v1/Pod/web/b'],
      ['/relationships?predicate=PodNodeBinding&predicate=PodNodeBinding&subject=/v1/Pod/web/a&object=/v1/Node//n', 'DELETE'],
    ];
    for (const [path, method = 'GET'] of cases) {
      const answer = await request(server.url + path, { method, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
      assert.equal(answer.status, 400, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      if (path.startsWith('/api/')) assert.equal(answer.body.reason, 'BadRequest', `${method} ${path}`);
      else assert.equal(answer.body.code, 'INVALID_ARGUMENT', `${method} ${path}`);
    }
    assert.equal((await request(`${server.url}${POD}/a`)).body.metadata.generation, 1, 'nothing written');
  });
});
