/**
 * `serve --cors-origin ORIGIN` (repeatable) lets pages on those origins use the API and the SSE
 * watch: their requests get `Access-Control-Allow-Origin` naming the origin (the watch too), their
 * preflights a 204 naming the methods and headers a page sends (the token, JSON, Last-Event-ID),
 * even on a server with a token. Other origins get no CORS header; without the option, none do.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { cli, startServe } from '../helpers/cli.js';

const PAGE = 'http://dash.example:3000';
const OTHER = 'http://evil.example';

function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,last-event-id' } });
}

describe('serve --cors-origin', () => {
  let server: { child: ChildProcess; url: string; exited: Promise<number | null> };

  before(async () => {
    server = await startServe(['--memory', '--cors-origin', PAGE, '--cors-origin', 'https://other.example'], { RESOURCE_STORE_TOKEN: 'secret' });
  });

  after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });

  it('answers the preflight of an allowed origin, before the token', async () => {
    const answer = await preflight(`${server.url}/watch?relationships=true`, PAGE);
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('access-control-allow-origin'), PAGE);
    const headers = (answer.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['authorization', 'content-type', 'last-event-id']) assert.ok(headers.includes(header), header);
    assert.match(answer.headers.get('access-control-allow-methods') ?? '', /DELETE/);
  });

  it('names the allowed origin on API answers, errors included, and on the event stream', async () => {
    const stats = await fetch(`${server.url}/stats`, { headers: { origin: PAGE, authorization: 'Bearer secret' } });
    assert.equal(stats.status, 200);
    assert.equal(stats.headers.get('access-control-allow-origin'), PAGE);
    const refused = await fetch(`${server.url}/stats`, { headers: { origin: PAGE } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), PAGE);
    const stop = new AbortController();
    const watch = await fetch(`${server.url}/watch?relationships=true`, { headers: { origin: PAGE, authorization: 'Bearer secret' }, signal: stop.signal });
    assert.equal(watch.status, 200);
    assert.equal(watch.headers.get('access-control-allow-origin'), PAGE);
    assert.match(watch.headers.get('content-type') ?? '', /^text\/event-stream/);
    stop.abort();
  });

  it('gives another origin no CORS header', async () => {
    const stats = await fetch(`${server.url}/stats`, { headers: { origin: OTHER, authorization: 'Bearer secret' } });
    assert.equal(stats.headers.get('access-control-allow-origin'), null);
    const answer = await preflight(`${server.url}/stats`, OTHER);
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
    assert.notEqual(answer.status, 204);
  });
});

describe('serve without --cors-origin', () => {
  it('adds no CORS header for any origin', async () => {
    const server = await startServe(['--memory']);
    try {
      const stats = await fetch(`${server.url}/stats`, { headers: { origin: PAGE } });
      assert.equal(stats.status, 200);
      assert.equal(stats.headers.get('access-control-allow-origin'), null);
      assert.equal((await preflight(`${server.url}/stats`, PAGE)).headers.get('access-control-allow-origin'), null);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('refuses an origin with a path', async () => {
    const result = await cli(['serve', '--memory', '--port', '0', '--cors-origin', 'http://dash.example/app']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /INVALID_ARGUMENT/);
  });
});
