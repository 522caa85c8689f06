/**
 * The dashboard in a real browser (Debian's Chromium, driven by playwright-core) against the real
 * server started by the CLI on a data directory holding a real dump (k3d): find a Deployment and
 * see its ReplicaSets, Pod and Node; a Pod created and deleted over HTTP appears and goes without
 * a reload; the server stopped, a Pod imported while it is down, the server started again on the
 * same port: the page resumes, shows that change once, and its counts agree with the server's.
 * No console errors, except the refused connections while the server is down (and a 503 from
 * the server while it closes).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { cli, startServe } from '../helpers/cli.js';
import { request } from '../helpers/server.js';
import { buildDashboard, launchBrowser, openPage, screenshot, skipBrowser } from './browser.js';

const K3D = fileURLToPath(new URL('../fixtures/k8s-dumps/replicatedhq-troubleshoot-k3d-support-bundle.json', import.meta.url));

const RS = 'nginx-deployment-7986654d4';
const NODE = 'k3d-mycluster-server-0';

/** The page's key of a ref (refs.ts): its parts percent-encoded, joined by `/`. */
function key(group: string, version: string, kind: string, namespace: string, name: string): string {
  return [group, version, kind, namespace, name].map(encodeURIComponent).join('/');
}

function podManifest(name: string, rsUid: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'nginx' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: RS, uid: rsUid, controller: true }] },
    spec: { nodeName: NODE, containers: [{ name: 'nginx', image: 'nginx:1.25' }] },
  };
}

/** The revisions of the changes the page applied, as it lists them. */
async function appliedRevisions(page: Page): Promise<number[]> {
  return page.$$eval('#changes li', (items) => items.map((item) => Number(item.getAttribute('data-revision'))));
}

let browser: Browser;

before(async () => {
  if (skipBrowser) return;
  await buildDashboard();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

describe('the dashboard in Chromium', { skip: skipBrowser }, () => {
  let dir: string;
  let server: { child: ChildProcess; url: string; exited: Promise<number | null> };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dashboard-'));
    const imported = await cli(['import', '--data', join(dir, 'data'), K3D]);
    assert.equal(imported.code, 0, imported.stderr);
    server = await startServe(['--data', join(dir, 'data')]);
  });

  after(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('finds a Deployment, follows the live store, and resumes after a restart without missing or repeating a change', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(server.url);
    await page.waitForSelector('#feed-status[data-state="live"]');
    await page.waitForSelector('#counts-by-kind td:text-is("apps/v1/Deployment")');
    await screenshot(page, '1-start');

    // Find it by kind, namespace and a completed name.
    await page.selectOption('#find-kind', 'apps/v1/Deployment');
    await page.selectOption('#find-namespace', 'default');
    await page.waitForSelector('#find-names option[value="nginx-deployment"]', { state: 'attached' });
    await page.fill('#find-name', 'nginx-deployment');
    await page.press('#find-name', 'Enter');
    await page.waitForSelector('#graph-area[data-state="ready"]');
    await page.waitForSelector(`#graph-nodes button[data-ref="${key('apps', 'v1', 'ReplicaSet', 'default', RS)}"]`);
    await page.waitForSelector(`#graph-nodes button[data-ref="${key('', 'v1', 'Pod', 'default', 'nginx-deployment-7986654d4-ztx2g')}"]`);
    await page.waitForSelector(`#graph-nodes button[data-ref="${key('', 'v1', 'Node', '', NODE)}"]`);
    await page.waitForSelector('#panel-title:text("Deployment default/nginx-deployment")');
    const manifest = (await page.textContent('#panel-manifest')) ?? '';
    assert.match(manifest, /^kind: Deployment$/m);
    const served = await request(`${server.url}/apis/apps/v1/namespaces/default/deployments/nginx-deployment`);
    assert.match(manifest, new RegExp(`^  resourceVersion: "${served.body.metadata.resourceVersion}"$`, 'm'), 'the resourceVersion the API serves, not the dump\'s');
    await screenshot(page, '2-deployment');

    // A Pod created over HTTP, owned by the ReplicaSet, appears without a reload; deleted, it goes.
    const rs = await request(`${server.url}/resource?ref=${encodeURIComponent(key('apps', 'v1', 'ReplicaSet', 'default', RS))}`);
    const created = await request(`${server.url}/api/v1/namespaces/default/pods`, { method: 'POST', body: podManifest('live-1', rs.body.uid) });
    assert.equal(created.status, 201);
    const live = `#graph-nodes button[data-ref="${key('', 'v1', 'Pod', 'default', 'live-1')}"]`;
    await page.waitForSelector(live);
    await screenshot(page, '3-pod-added');
    const deleted = await request(`${server.url}/api/v1/namespaces/default/pods/live-1`, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    await page.waitForSelector(live, { state: 'detached' });
    await screenshot(page, '4-pod-deleted');
    assert.deepEqual(errors, []);

    // Restart: stop the server, change the store while it is down, start it again on its port.
    const port = new URL(server.url).port;
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    await page.waitForSelector('#feed-status[data-state="reconnecting"]');
    // A request that reached the server while it closed (on a connection kept alive) was answered
    // 503, as a closing server answers; any such answer came before it exited.
    assert.deepEqual(errors.splice(0).filter((error) => !/ERR_CONNECTION_REFUSED|status of 503 \(Service Unavailable\)/.test(error)), []);
    const file = join(dir, 'while-down.json');
    await writeFile(file, JSON.stringify(podManifest('while-down', rs.body.uid)));
    const imported = await cli(['import', '--data', join(dir, 'data'), file]);
    assert.equal(imported.code, 0, imported.stderr);
    server = await startServe(['--data', join(dir, 'data'), '--port', port]);
    await page.waitForSelector(`#graph-nodes button[data-ref="${key('', 'v1', 'Pod', 'default', 'while-down')}"]`);
    await page.waitForSelector('#feed-status[data-state="live"]');
    const stats = (await request(`${server.url}/stats`)).body;
    await page.waitForSelector(`#revision:text-is("${stats.revision}")`);
    await screenshot(page, '5-resumed');

    const revisions = await appliedRevisions(page);
    assert.equal(new Set(revisions).size, revisions.length, 'no change applied twice');
    assert.deepEqual(revisions, revisions.map((_, i) => revisions[0]! - i), 'no change missed: every revision, newest first');
    assert.equal(revisions[0], stats.revision);
    assert.equal(await page.locator('#changes li[data-kind="resource"][data-type="add"]', { hasText: 'Pod default/while-down' }).count(), 1);
    const podCount = await page.textContent('#counts-by-kind tr:has(td:text-is("v1/Pod")) td.num');
    assert.equal(Number(podCount), stats.byType['v1/Pod']);
    // While the server was down, the browser reports each refused connection; nothing else.
    assert.deepEqual(errors.filter((error) => !/ERR_CONNECTION_REFUSED/.test(error)), []);
  });
});

describe('the dashboard in Chromium, on a server with a token', { skip: skipBrowser }, () => {
  const token = 'dashboard-test-token-5f2c';
  let server: { child: ChildProcess; url: string; exited: Promise<number | null> };

  before(async () => {
    server = await startServe(['--memory'], { RESOURCE_STORE_TOKEN: token });
  });

  after(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
  });

  it('asks for the token once, sends it as a header on every call and the watch, and never in a URL', async () => {
    const { page, errors } = await openPage(browser);
    const requests: Array<{ url: string; authorization: string | undefined }> = [];
    page.on('request', (sent) => requests.push({ url: sent.url(), authorization: sent.headers().authorization }));
    await page.goto(server.url);
    await page.waitForSelector('#token-dialog[open]');
    await screenshot(page, '6-token-asked');
    await page.fill('#token-input', 'wrong');
    await page.press('#token-input', 'Enter');
    await page.waitForSelector('#token-wrong:not([hidden])');
    await page.fill('#token-input', token);
    await page.press('#token-input', 'Enter');
    await page.waitForSelector('#feed-status[data-state="live"]');
    const created = await request(`${server.url}/api/v1/nodes`, { method: 'POST', body: { kind: 'Node', apiVersion: 'v1', metadata: { name: 'node-1' } }, headers: { authorization: `Bearer ${token}` } });
    assert.equal(created.status, 201);
    await page.waitForSelector('#counts-by-kind td:text-is("v1/Node")');

    await page.reload();
    await page.waitForSelector('#feed-status[data-state="live"]');
    assert.equal(await page.locator('#token-dialog[open]').count(), 0, 'asked once: the token is kept for the tab');
    for (const sent of requests) assert.ok(!sent.url.includes(token), `no token in ${sent.url}`);
    const api = requests.filter((sent) => /\/(stats|watch)/.test(new URL(sent.url).pathname));
    assert.ok(api.some((sent) => new URL(sent.url).pathname === '/watch'));
    assert.ok(api.slice(-2).every((sent) => sent.authorization === `Bearer ${token}`));
    // The refused wrong token and the first unauthenticated calls are 401s the browser reports.
    assert.deepEqual(errors.filter((error) => !/status of 401/.test(error)), []);
  });
});
