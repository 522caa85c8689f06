/**
 * The server serves the dashboard's built files at `/` and `/dashboard/{file}`, without the token
 * (they hold no data; the page asks for the token), while the API behind them still needs it;
 * it serves only the files the build wrote.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, startServer, type RunningServer } from '../helpers/server.js';
import { buildDashboard } from './browser.js';

describe('dashboard routes', () => {
  let server: RunningServer;

  before(async () => {
    await buildDashboard();
    server = await startServer({ token: 'secret' });
  });

  after(() => server.stop());

  it('serves the page and its script at / without the token, with a content security policy', async () => {
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await page.text(), /<script type="module" src="\/dashboard\/app.js">/);
    const script = await fetch(`${server.url}/dashboard/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
  });

  it('still asks for the token on the API the page calls', async () => {
    assert.equal((await request(`${server.url}/stats`)).status, 401);
    assert.equal((await request(`${server.url}/stats`, { headers: { authorization: 'Bearer secret' } })).status, 200);
  });

  it('serves no file the build did not write', async () => {
    for (const path of ['/dashboard/nothing.js', '/dashboard/..%2Fpackage.json', '/dashboard/']) {
      const answer = await request(`${server.url}${path}`);
      assert.ok(answer.status === 404 || answer.status === 400, `${path}: ${answer.status}`);
      assert.ok(answer.body.code === 'NOT_FOUND' || answer.body.code === 'INVALID_ARGUMENT', path);
    }
  });
});
