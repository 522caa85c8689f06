/** /metrics passes Prometheus's own linter, promtool, when it is installed (Debian: the `prometheus` package). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { request, startServer } from '../helpers/server.js';

const promtool = spawnSync('promtool', ['--version']).status === 0;

describe('/metrics', () => {
  it('has nothing promtool check metrics finds fault with', { skip: promtool ? false : 'promtool is not installed (apt-get install prometheus); not checked' }, async () => {
    const server = await startServer();
    try {
      await request(`${server.url}/api/v1/namespaces/web/pods`, { method: 'POST', body: { kind: 'Pod', metadata: { name: 'a' } } });
      await request(`${server.url}/apis/apps/v1/namespaces/web/deployments`, { method: 'POST', body: { kind: 'Deployment', metadata: { name: 'd' } } });
      const text = (await request(`${server.url}/metrics`)).body as string;
      assert.match(text, /^resourcestore_resources\{group="",version="v1",kind="Pod"\} 1$/m);
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(`${lint.stdout}${lint.stderr}`.trim(), '');
      assert.equal(lint.status, 0);
    } finally {
      await server.stop();
    }
  });
});
