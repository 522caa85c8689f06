/**
 * @kubernetes/client-node 1.4's informer, unchanged, on the real server (in this process, on
 * loopback, with a token): every write goes through client-node's CoreV1Api too. It sees each
 * add, update and delete once; and when the revision it resumes from has been compacted away, the
 * server's 410 makes it relist, and it sees what changed meanwhile.
 *
 * The 410 is made deterministic with the informer's own lifecycle: `stop()` keeps its
 * resourceVersion and `start()` resumes the watch from it without listing (as an informer
 * restarted after a lost leadership or a network cut does). While it is stopped, the test
 * writes, then writes enough elsewhere that a store keeping 5 change-log entries compacts the
 * informer's revision away (`store.compact()`, no timer), so the resumed watch must get the 410.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig, makeInformer, type Informer, type V1Pod } from '@kubernetes/client-node';
import { openStore } from '../../src/store/open-store.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const TOKEN = 'informer-test-token';

/** A kubeconfig for client-node pointing at the server with the token. */
function kubeConfig(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'store', server, skipTLSVerify: true }], // client-node 1.4 refuses an http:// server unless told to skip TLS verification
    users: [{ name: 'store', token: TOKEN }],
    contexts: [{ name: 'store', cluster: 'store', user: 'store' }],
    currentContext: 'store',
  });
  return kc;
}

/** A Pod manifest. */
function pod(name: string, namespace = 'web', labels: Record<string, string> = { app: 'queue' }): V1Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'main', image: 'gcr.io/kuar-demo/kuard-amd64:1' }] } };
}

interface Seen {
  readonly verb: 'add' | 'update' | 'delete';
  readonly name: string;
  readonly resourceVersion: string;
  readonly labels: Record<string, string>;
}

/** Records an informer's events; `until` awaits one (seen already or to come); an informer error fails the wait. */
function record(informer: Informer<V1Pod>): {
  events: Seen[];
  errors: unknown[];
  until(verb: Seen['verb'], name: string): Promise<Seen>;
  untilError(): Promise<unknown>;
} {
  const events: Seen[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  for (const verb of ['add', 'update', 'delete'] as const) {
    informer.on(verb, (obj: V1Pod) => {
      events.push({ verb, name: obj.metadata!.name!, resourceVersion: obj.metadata!.resourceVersion!, labels: { ...obj.metadata!.labels } });
      wake();
    });
  }
  informer.on('error', (err: unknown) => {
    errors.push(err);
    wake();
  });
  return {
    events,
    errors,
    until: (verb, name) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = events.find((e) => e.verb === verb && e.name === name);
          const failure = errors.find((err) => (err as Error)?.name !== 'AbortError');
          if (found || failure !== undefined) {
            waiters.delete(check);
            if (found) resolve(found);
            else reject(new Error(`the informer failed before ${verb} ${name}: ${String((failure as Error)?.message ?? failure)}`));
          }
        };
        waiters.add(check);
        check();
      }),
    untilError: () =>
      new Promise((resolve) => {
        const check = (): void => {
          if (errors.length > 0) {
            waiters.delete(check);
            resolve(errors[0]);
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

/** The first line of a watch of `path` from `resourceVersion`, or its status when it is not a 200. */
async function firstWatchAnswer(server: RunningServer, path: string, resourceVersion: string): Promise<{ status: number; first: any }> {
  const controller = new AbortController();
  const response = await fetch(`${server.url}${path}?watch=true&resourceVersion=${resourceVersion}`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal });
  if (response.status !== 200) return { status: response.status, first: await response.json() };
  const reader = response.body!.getReader();
  let text = '';
  while (!text.includes('\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString();
  }
  controller.abort();
  return { status: 200, first: JSON.parse(text.split('\n')[0]!) };
}

describe('a client-node 1.4 informer on the server', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('lists, then sees each add, update and delete exactly once', { timeout: 30_000 }, async () => {
    const server = await startServer({ token: TOKEN });
    cleanups.push(() => server.stop());
    const kc = kubeConfig(server.url);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({ namespace: 'web', body: pod('before') });
    await core.createNamespacedPod({ namespace: 'other', body: pod('elsewhere', 'other') });

    let lists = 0;
    const informer = makeInformer(kc, '/api/v1/namespaces/web/pods', () => {
      lists++;
      return core.listNamespacedPod({ namespace: 'web' });
    });
    cleanups.push(() => informer.stop());
    const seen = record(informer);
    await informer.start();
    await seen.until('add', 'before');

    const created = await core.createNamespacedPod({ namespace: 'web', body: pod('a') });
    await seen.until('add', 'a');
    const read = await core.readNamespacedPod({ name: 'a', namespace: 'web' });
    await core.replaceNamespacedPod({ name: 'a', namespace: 'web', body: { ...read, metadata: { ...read.metadata, labels: { app: 'queue', tier: 'front' } } } });
    const updated = await seen.until('update', 'a');
    await core.deleteNamespacedPod({ name: 'a', namespace: 'web' });
    await seen.until('delete', 'a');
    await core.createNamespacedPod({ namespace: 'web', body: pod('sentinel') });
    await seen.until('add', 'sentinel'); // events come in order: nothing about `a` can follow this

    assert.deepEqual(
      seen.events.map((e) => `${e.verb} ${e.name}`),
      ['add before', 'add a', 'update a', 'delete a', 'add sentinel'],
    );
    assert.equal(lists, 1);
    assert.deepEqual(seen.errors, []);
    assert.equal(seen.events[1]!.resourceVersion, created.metadata!.resourceVersion);
    assert.deepEqual(updated.labels, { app: 'queue', tier: 'front' });
    assert.ok(Number(updated.resourceVersion) > Number(created.metadata!.resourceVersion));
    assert.deepEqual(informer.list('web').map((p) => p.metadata!.name).sort(), ['before', 'sentinel']);
  });

  it('relists when its resume revision was compacted (410), and sees what changed meanwhile', { timeout: 30_000 }, async () => {
    const store = await openStore({ retention: { maxEvents: 5, compactIntervalMs: 3_600_000 } });
    const server = await startServer({ store, token: TOKEN });
    cleanups.push(() => server.stop());
    const kc = kubeConfig(server.url);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({ namespace: 'web', body: pod('a') });
    await core.createNamespacedPod({ namespace: 'web', body: pod('b') });

    const lists: string[] = [];
    const informer = makeInformer(kc, '/api/v1/namespaces/web/pods', async () => {
      const list = await core.listNamespacedPod({ namespace: 'web' });
      lists.push(list.metadata!.resourceVersion!);
      return list;
    });
    cleanups.push(() => informer.stop());
    const seen = record(informer);
    await informer.start();
    await seen.until('add', 'b');
    const resumeFrom = lists[0]!; // nothing changed in web since its list: it resumes from the list's revision

    // Stop it; its watch is aborted (client-node reports the abort as an error event) and its revision kept.
    await informer.stop();
    assert.equal(((await seen.untilError()) as Error).name, 'AbortError');
    const before = seen.events.length;

    // Meanwhile: changes in its namespace, then enough elsewhere to compact its revision away.
    await core.deleteNamespacedPod({ name: 'a', namespace: 'web' });
    await core.createNamespacedPod({ namespace: 'web', body: pod('c') });
    const b = await core.readNamespacedPod({ name: 'b', namespace: 'web' });
    await core.replaceNamespacedPod({ name: 'b', namespace: 'web', body: { ...b, metadata: { ...b.metadata, labels: { app: 'queue', moved: 'yes' } } } });
    for (let i = 0; i < 8; i++) await core.createNamespacedPod({ namespace: 'filler', body: pod(`f-${i}`, 'filler') });
    await store.compact();

    // The server itself says the revision is gone: a 410 status, or an ERROR event carrying a 410 Status.
    const answer = await firstWatchAnswer(server, '/api/v1/namespaces/web/pods', resumeFrom);
    if (answer.status === 200) {
      assert.equal(answer.first.type, 'ERROR');
      assert.equal(answer.first.object.code, 410);
    } else {
      assert.equal(answer.status, 410);
      assert.equal(answer.first.code, 410);
    }

    await informer.start();
    await Promise.all([seen.until('delete', 'a'), seen.until('add', 'c'), seen.until('update', 'b')]);
    assert.equal(lists.length, 2, 'the 410 made it list again, once');
    await core.createNamespacedPod({ namespace: 'web', body: pod('d') });
    await seen.until('add', 'd');

    assert.deepEqual(seen.events.slice(before).map((e) => `${e.verb} ${e.name}`).sort(), ['add c', 'add d', 'delete a', 'update b']);
    assert.deepEqual(seen.events.find((e) => e.verb === 'update' && e.name === 'b')!.labels, { app: 'queue', moved: 'yes' });
    assert.equal(seen.errors.length, 1, 'no error but the abort of stop()');
    assert.deepEqual(informer.list('web').map((p) => p.metadata!.name).sort(), ['b', 'c', 'd']);
  });
});
