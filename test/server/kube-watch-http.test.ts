/** Kubernetes watches over HTTP: newline-delimited events, paced by the socket, ended cleanly. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServe } from '../helpers/cli.js';
import { openWatch, request, startServer, type WatchStream } from '../helpers/server.js';

const PODS = '/api/v1/namespaces/web/pods';
const pod = (name: string, data: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, ...data });

async function events(stream: WatchStream, n: number): Promise<Array<{ type: string; object: any }>> {
  const got = [];
  while (got.length < n) {
    const event = await stream.next();
    if (event === undefined) break;
    got.push(event);
  }
  return got;
}

const subscribers = async (server: { store: { metrics: { metrics(): Promise<string> } } }): Promise<number> =>
  Number(/^resourcestore_subscribers (\d+)$/m.exec(await server.store.metrics.metrics())?.[1]);

describe('Kubernetes watches over HTTP', () => {
  it('streams the changes after a list\'s resourceVersion as JSON lines, chunked', async () => {
    const server = await startServer();
    try {
      await request(server.url + PODS, { method: 'POST', body: pod('a') });
      const list = await request(server.url + PODS);
      const watch = await openWatch(`${server.url}${PODS}?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`);
      assert.equal(watch.status, 200);
      assert.equal(watch.headers['content-type'], 'application/json');
      assert.equal(watch.headers['transfer-encoding'], 'chunked');
      await request(server.url + PODS, { method: 'POST', body: pod('b') });
      await request(`${server.url}${PODS}/a`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: { metadata: { labels: { x: 'y' } } } });
      await request(`${server.url}${PODS}/b`, { method: 'DELETE' });
      const got = await events(watch, 3);
      assert.deepEqual(got.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED b', 'MODIFIED a', 'DELETED b']);
      assert.equal(got[0]!.object.kind, 'Pod');
      const revisions = got.map((e) => Number(e.object.metadata.resourceVersion));
      assert.deepEqual(revisions, [...revisions].sort((x, y) => x - y));
      watch.close();
    } finally {
      await server.stop();
    }
  });

  it('answers a watch with bad parameters with a 400 Status before any stream', async () => {
    const server = await startServer();
    try {
      const bad = await request(`${server.url}${PODS}?watch=1&resourceVersion=abc`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.kind, 'Status');
      assert.equal((await request(`${server.url}${PODS}?watch=1&timeoutSeconds=soon`)).status, 400);
    } finally {
      await server.stop();
    }
  });

  it('ends the stream when the watch ends (timeoutSeconds)', async () => {
    const server = await startServer();
    try {
      const watch = await openWatch(`${server.url}${PODS}?watch=1&resourceVersion=0&timeoutSeconds=1`);
      assert.equal(await watch.next(), undefined);
      assert.equal(await watch.ending, 'ended');
    } finally {
      await server.stop();
    }
  });

  it('writes only as fast as the client reads, and loses nothing', async () => {
    const server = await startServer();
    try {
      const slow = await openWatch(`${server.url}${PODS}?watch=1&resourceVersion=${server.store.revision}`);
      slow.response.pause();
      const blob = 'x'.repeat(64 * 1024); // 200 of these outgrow any socket buffer
      for (let i = 0; i < 200; i++) await request(server.url + PODS, { method: 'POST', body: pod(`p${i}`, { spec: { blob } }) });
      slow.response.resume();
      const got = await events(slow, 200);
      assert.deepEqual(got.map((e) => e.object.metadata.name), Array.from({ length: 200 }, (_, i) => `p${i}`));
      slow.close();
    } finally {
      await server.stop();
    }
  });

  it('frees the watch of a client that goes away', async () => {
    const server = await startServer();
    try {
      const watches = await Promise.all(Array.from({ length: 5 }, () => openWatch(`${server.url}${PODS}?watch=1&resourceVersion=${server.store.revision}`)));
      await request(server.url + PODS, { method: 'POST', body: pod('a') });
      for (const watch of watches) assert.equal((await watch.next())?.type, 'ADDED');
      const before = await subscribers(server);
      for (const watch of watches) watch.close();
      while ((await subscribers(server)) > before - 5) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(await subscribers(server), before - 5);
    } finally {
      await server.stop();
    }
  });

  it('ends an idle watch cleanly, at once, when the server shuts down', async () => {
    const server = await startServer();
    const watch = await openWatch(`${server.url}${PODS}?watch=1`);
    await request(server.url + PODS, { method: 'POST', body: pod('a') });
    assert.equal((await watch.next())?.type, 'ADDED');
    await server.stop();
    assert.equal(await watch.next(), undefined);
    assert.equal(await watch.ending, 'ended', 'the response ended, not the connection cut');
  });

  it('ends an idle watch cleanly when serve gets SIGTERM, and exits 0', async () => {
    const { child, url, exited } = await startServe(['--memory']);
    const watch = await openWatch(`${url}${PODS}?watch=1`);
    child.kill('SIGTERM');
    assert.equal(await watch.ending, 'ended');
    assert.equal(await exited, 0);
  });
});
