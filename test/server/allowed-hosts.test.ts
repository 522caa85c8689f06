/** The Host check: a server answers only to its own names, so a page cannot reach it by DNS rebinding. */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, it } from 'node:test';
import { startServer } from '../helpers/server.js';
import { startServe } from '../helpers/cli.js';

/** A request with the given Host header (fetch does not let a caller choose it). */
function withHost(url: string, host: string | undefined, method = 'GET', body?: string): Promise<{ status: number; body: any }> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path: pathname + search, setHost: false, headers: { ...(host === undefined ? {} : { host }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the Host check', () => {
  it('refuses with 403 FORBIDDEN, writing nothing, a request whose Host is not one of the server\'s names', async () => {
    const server = await startServer();
    try {
      const pod = `${server.url}/api/v1/namespaces/web/pods`;
      for (const [method, url, body] of [['POST', pod, '{"kind":"Pod","metadata":{"name":"a"}}'], ['GET', `${server.url}/api`], ['GET', `${server.url}/snapshot`], ['DELETE', `${pod}/a`], ['GET', `${server.url}/watch`], ['GET', `${server.url}/metrics`], ['GET', `${server.url}/nowhere`]] as const) {
        for (const host of ['attacker.example', 'attacker.example:80', `attacker.example:${new URL(server.url).port}`, 'localhost.attacker.example', '127.0.0.1.attacker.example', '']) {
          const answer = await withHost(url, host, method, body);
          assert.equal(answer.status, 403, `${method} ${url} with Host ${host}`);
          // The Kubernetes paths answer a Status, the store's own routes { code, message }.
          if (url.includes('/api')) assert.equal(answer.body.reason, 'Forbidden');
          else assert.equal(answer.body.code, 'FORBIDDEN');
        }
      }
      assert.equal((await withHost(`${server.url}/api/v1/namespaces/web/pods/a`, '127.0.0.1')).status, 404, 'nothing written');
    } finally {
      await server.stop();
    }
  });

  it('answers to localhost and to IP addresses, with any port, and to the names it is given', async () => {
    const server = await startServer({ allowedHosts: ['store.internal', 'Other.Example.'] });
    try {
      const port = new URL(server.url).port;
      for (const host of ['localhost', `localhost:${port}`, 'LOCALHOST:1', '127.0.0.1', `127.0.0.1:${port}`, '[::1]', `[::1]:${port}`, '10.1.2.3:80', '[fd00::1]', 'store.internal', `store.internal:${port}`, 'other.example']) {
        assert.equal((await withHost(`${server.url}/api/v1/nodes`, host)).status, 200, `Host ${host}`);
      }
      assert.equal((await withHost(`${server.url}/api/v1/nodes`, 'store.internal.evil')).status, 403);
    } finally {
      await server.stop();
    }
    const any = await startServer({ allowedHosts: ['*'] });
    try {
      assert.equal((await withHost(`${any.url}/api/v1/nodes`, 'behind.a.proxy.example')).status, 200);
    } finally {
      await any.stop();
    }
  });

  it('takes more names from serve --allow-host, repeated or comma-separated', async () => {
    const { child, url, exited } = await startServe(['--memory', '--host', 'localhost', '--allow-host', 'a.example,b.example', '--allow-host', 'c.example']);
    try {
      for (const host of ['a.example', 'b.example:8080', 'c.example', 'localhost']) assert.equal((await withHost(`${url}/healthz`, host)).status, 200, host);
      assert.equal((await withHost(`${url}/healthz`, 'd.example')).status, 403);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });
});
