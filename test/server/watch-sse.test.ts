import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/open-store.js';
import { openSse, type SseStream } from '../helpers/sse.js';
import { startServe } from '../helpers/cli.js';
import { request, startServer } from '../helpers/server.js';

async function frames(stream: SseStream, n: number) {
  const got = [];
  while (got.length < n) {
    const frame = await stream.next();
    if (frame === undefined) break;
    got.push(frame);
  }
  return got;
}

const pods = (url: string) => `${url}/api/v1/namespaces/web/pods`;
/** Writes a Pod in web through the Kubernetes API: created, or (when it exists) patched with `spec`. */
async function writePod(url: string, name: string, spec: Record<string, unknown> = {}): Promise<void> {
  const created = await request(pods(url), { method: 'POST', body: { kind: 'Pod', metadata: { name }, spec } });
  if (created.status === 409) await request(`${pods(url)}/${name}`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: { spec } });
}
/** The browsers' watch of the Pods in web. */
const podWatch = (url: string) => `${url}/watch?kind=Pod&namespace=web`;

describe('watch streams over Server-Sent Events', () => {
  it('streams events with their revision as id, and resumes from Last-Event-ID with no gap or duplicate', async () => {
    const server = await startServer();
    try {
      const stream = await openSse(podWatch(server.url));
      assert.equal(stream.status, 200);
      assert.match(stream.response.headers['content-type'] ?? '', /text\/event-stream/);
      for (let i = 0; i < 5; i++) await writePod(server.url, `p${i}`);
      const first = await frames(stream, 3);
      assert.deepEqual(first.map((f) => f.id), ['1', '2', '3']);
      const event = JSON.parse(first[0]!.data);
      assert.equal(event.type, 'add');
      assert.equal(event.resource.ref.name, 'p0');
      stream.close();
      for (let i = 5; i < 8; i++) await writePod(server.url, `p${i}`);
      const resumed = await openSse(podWatch(server.url), { 'last-event-id': '3' });
      assert.deepEqual((await frames(resumed, 5)).map((f) => f.id), ['4', '5', '6', '7', '8']);
      resumed.close();
      const byParam = await openSse(`${server.url}/watch?fromRevision=6`);
      assert.deepEqual((await frames(byParam, 2)).map((f) => f.id), ['7', '8']);
      byParam.close();
    } finally {
      await server.stop();
    }
  });

  it('answers 410 with COMPACTED for a revision the log no longer holds', async () => {
    const store = await openStore({ retention: { maxEvents: 2 } });
    const server = await startServer({ store });
    try {
      for (let i = 0; i < 6; i++) await writePod(server.url, `p${i}`);
      await store.compact();
      const gone = await request(`${podWatch(server.url)}&fromRevision=1`);
      assert.equal(gone.status, 410);
      assert.equal(gone.body.code, 'COMPACTED');
      assert.equal(gone.body.revision, 4);
    } finally {
      await server.stop();
    }
  });

  it('ends a client too slow for its socket with an error event saying where to resume, without slowing others', async () => {
    const server = await startServer({ watchBufferSize: 20 });
    try {
      const slow = await openSse(`${server.url}/watch`);
      slow.response.pause(); // stops reading: the socket fills, then the subscription's buffer
      const fast = await openSse(`${server.url}/watch`);
      const blob = 'x'.repeat(64 * 1024); // 300 of these outgrow any socket buffer
      for (let i = 0; i < 300; i++) await writePod(server.url, `p${i}`, { blob });
      assert.deepEqual((await frames(fast, 300)).map((f) => Number(f.id)), Array.from({ length: 300 }, (_, i) => i + 1));
      slow.response.resume();
      const got = await frames(slow, 400);
      const last = got.at(-1)!;
      assert.equal(last.event, 'error');
      const error = JSON.parse(last.data);
      assert.equal(error.code, 'OVERFLOW');
      const delivered = got.slice(0, -1).map((f) => Number(f.id));
      assert.deepEqual(delivered, Array.from({ length: delivered.length }, (_, i) => i + 1), 'everything before the error, in order');
      assert.equal(error.revision, delivered.at(-1) ?? 0, 'resume from the last event received');
      assert.ok(delivered.length < 300);
      fast.close();
    } finally {
      await server.stop();
    }
  });

  it('ends every stream when the server shuts down', async () => {
    const server = await startServer();
    const stream = await openSse(`${server.url}/watch`);
    await writePod(server.url, 'a');
    await server.stop();
    const got = await frames(stream, 10);
    assert.deepEqual(got.map((f) => f.id), ['1']);
  });

  it('frees the heartbeat and the watch of every client that leaves an idle stream', async () => {
    const live = new Set<number>();
    const hook = createHook({
      init: (id, type) => void (type === 'Timeout' && live.add(id)),
      destroy: (id) => void live.delete(id),
    });
    const server = await startServer();
    hook.enable();
    try {
      const streams = await Promise.all(Array.from({ length: 50 }, () => openSse(`${server.url}/watch`)));
      assert.ok(live.size >= 50, 'each stream has its heartbeat');
      for (const stream of streams) stream.close();
      await Promise.all(streams.map((stream) => stream.ending));
      const subscribers = async () => Number(/^resourcestore_subscribers (\d+)$/m.exec(await server.store.metrics.metrics())?.[1]);
      await server.stop(); // after this, the server has seen every client leave
      await new Promise(setImmediate); // timers' destroy hooks run from the queue of the next turn
      assert.equal(await subscribers(), 0);
      // One timer per client would be 50; Node keeps one of its own (the Date header's cache).
      assert.ok(live.size <= 1, `${live.size} timers left behind`);
    } finally {
      hook.disable();
    }
  });

  it('ends an idle stream cleanly, at once, when the server shuts down', async () => {
    const server = await startServer();
    const stream = await openSse(`${server.url}/watch`);
    await writePod(server.url, 'a');
    assert.equal((await stream.next())?.id, '1');
    await server.stop();
    assert.equal(await stream.next(), undefined);
    assert.equal(await stream.ending, 'ended', 'the response ended, not the connection cut');
  });

  it('ends an idle stream cleanly when serve gets SIGTERM, and exits 0', async () => {
    const { child, url, exited } = await startServe(['--memory']);
    const stream = await openSse(`${url}/watch`);
    child.kill('SIGTERM');
    assert.equal(await stream.ending, 'ended');
    assert.equal(await exited, 0);
  });

  it('ends a stalled client with OVERFLOW once its waiting events pass the byte bound, long before the event bound', async () => {
    const server = await startServer({ watchBufferBytes: 1 << 20 });
    try {
      const slow = await openSse(`${server.url}/watch`);
      slow.response.pause();
      const blob = 'x'.repeat(128 * 1024); // 160 of these, 20 MiB, outgrow any socket buffer
      for (let i = 0; i < 160; i++) await writePod(server.url, `p${i}`, { blob });
      slow.response.resume();
      const got = await frames(slow, 160); // at most 159 events and the error, or (without a byte bound) all 160
      const last = got.at(-1)!;
      assert.equal(last.event, 'error');
      const error = JSON.parse(last.data);
      assert.equal(error.code, 'OVERFLOW');
      const delivered = got.slice(0, -1).map((f) => Number(f.id));
      assert.deepEqual(delivered, Array.from({ length: delivered.length }, (_, i) => i + 1), 'everything before the error, in order');
      assert.equal(error.revision, delivered.at(-1) ?? 0, 'resume from the last event received');
      assert.ok(delivered.length < 160, `${delivered.length} delivered`);
      assert.match((await request(`${server.url}/metrics`)).body, /^resourcestore_http_watch_overflowed_total 1$/m, 'counted');
      const resumed = await openSse(`${server.url}/watch`, { 'last-event-id': String(error.revision) });
      assert.deepEqual((await frames(resumed, 160 - delivered.length)).map((f) => Number(f.id)), Array.from({ length: 160 - delivered.length }, (_, i) => delivered.length + i + 1));
      resumed.close();
    } finally {
      await server.stop();
    }
  });
});
