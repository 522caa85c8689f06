import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { INITIAL_EVENTS_END } from '../../src/kube/manifest.js';
import { kubeWatch, type KubeWatchEvent, type KubeWatchOptions } from '../../src/kube/kube-watch.js';
import { isStoreError } from '../../src/storage/errors.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import type { ResourceInput } from '../../src/model/types.js';
import { memoryFactory, type TestStoreOptions } from '../helpers/stores.js';

const DONE = { done: true, value: undefined };
// A watch that never ends would hang the file: each test is bounded.
const BOUNDED = { timeout: 30_000 };
const PODS = { group: '', version: 'v1', kind: 'Pod' } as const;

interface Meta {
  name: string;
  namespace?: string;
  resourceVersion: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
type Manifest = { metadata: Meta; spec?: { nodeName?: string; n?: number }; code?: number; reason?: string };

function podInput(name: string, options: { labels?: Record<string, string>; nodeName?: string; n?: number; namespace?: string } = {}): ResourceInput {
  return {
    ref: { group: '', version: 'v1', kind: 'Pod', namespace: options.namespace ?? 'web', name },
    labels: options.labels ?? {},
    data: { spec: { ...(options.nodeName === undefined ? {} : { nodeName: options.nodeName }), n: options.n ?? 0 } },
  };
}

const configMap = (name: string): ResourceInput => ({ ref: { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'web', name }, data: { data: {} } });

// What a test opened, ended after it even when it fails (a watch left running keeps its timers).
const opened: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

async function open(options?: TestStoreOptions): Promise<ResourceStore> {
  const { store } = await memoryFactory.open(options);
  opened.push(store);
  return store;
}

function watchOf(store: ResourceStore, options: Partial<KubeWatchOptions> = {}): AsyncIterableIterator<KubeWatchEvent> {
  const watch = kubeWatch(store, { ...PODS, ...options });
  opened.push({ close: () => watch.return!() });
  return watch;
}

async function take(watch: AsyncIterator<KubeWatchEvent>, n: number): Promise<KubeWatchEvent[]> {
  const events: KubeWatchEvent[] = [];
  while (events.length < n) {
    const next = await watch.next();
    if (next.done === true) break;
    events.push(next.value);
  }
  return events;
}

const object = (event: KubeWatchEvent): Manifest => event.object as Manifest;
/** `TYPE name@resourceVersion`, for comparing sequences. */
const brief = (event: KubeWatchEvent): string => `${event.type} ${object(event).metadata.name ?? ''}@${object(event).metadata.resourceVersion}`;
const atRevision = (store: ResourceStore): string => String(store.revision);

function isInvalid(field: string): (err: unknown) => boolean {
  return (err) => isStoreError(err, 'INVALID_ARGUMENT') && err.details.field === field;
}

/** A client's cache: applies events, refusing the ones a correct stream never sends (a duplicate, a gap). */
class Cache {
  readonly objects = new Map<string, string>();
  apply(event: KubeWatchEvent): void {
    const { name, resourceVersion } = object(event).metadata;
    const held = this.objects.get(name);
    if (event.type === 'ADDED') assert.equal(held, undefined, `ADDED ${name} it already holds`);
    if (event.type === 'MODIFIED') assert.ok(held !== undefined && Number(held) < Number(resourceVersion), `MODIFIED ${name}@${resourceVersion} over ${held}`);
    if (event.type === 'DELETED') assert.ok(held !== undefined && Number(held) < Number(resourceVersion), `DELETED ${name}@${resourceVersion} over ${held}`);
    if (event.type === 'DELETED') this.objects.delete(name);
    else if (event.type !== 'BOOKMARK') this.objects.set(name, resourceVersion);
  }
}

/** A watch-list: the initial state, then the BOOKMARK that ends it, then the changes. */
const INITIAL_EVENTS = { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true } as const;

/** Applies events up to the BOOKMARK that ends the initial ones; returns the events before it. */
async function untilInitialEventsEnd(watch: AsyncIterator<KubeWatchEvent>, cache: Cache): Promise<KubeWatchEvent[]> {
  const seen: KubeWatchEvent[] = [];
  for (;;) {
    const [event] = await take(watch, 1);
    assert.ok(event !== undefined, 'the watch ended before its initial events did');
    if (event.type === 'BOOKMARK' && object(event).metadata.annotations?.[INITIAL_EVENTS_END] === 'true') return seen;
    seen.push(event);
    cache.apply(event);
  }
}

/** The stored Pods, name → resourceVersion. */
async function storedPods(store: ResourceStore): Promise<Map<string, string>> {
  const page = await store.list({ type: PODS });
  return new Map(page.items.map((item) => [item.ref.name, String(item.revision)]));
}

describe('the Kubernetes watch', () => {
  it('does send the current state as ADDED over several pages, then the changes, with no duplicate for a change a later page already holds', BOUNDED, async () => {
    const store = await open();
    const names = Array.from({ length: 1200 }, (_, i) => `p${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 400) await store.batch(names.slice(i, i + 400).map((name) => ({ op: 'add' as const, resource: podInput(name) })));
    const watch = watchOf(store, INITIAL_EVENTS);
    const cache = new Cache();
    cache.apply((await take(watch, 1))[0]!); // the first page is read: the others will be read after these writes
    const early = await store.update(podInput('p0001', { n: 1 })); // in the first page: a change after it
    const late = await store.update(podInput('p1100', { n: 1 })); // in the last page: already in it
    await store.delete(podInput('p0700').ref);
    await store.add(podInput('p0000a'));
    const seen = await untilInitialEventsEnd(watch, cache);
    assert.deepEqual(cache.objects, await storedPods(store));
    assert.deepEqual(seen.filter((e) => e.type !== 'ADDED').map(brief), [`MODIFIED p0001@${early.revision}`]);
    assert.equal(seen.filter((e) => object(e).metadata.name === 'p1100').map(brief).join(), `ADDED p1100@${late.revision}`);
    const after = await store.add(podInput('after'));
    assert.deepEqual((await take(watch, 1)).map(brief), [`ADDED after@${after.revision}`], 'nothing left over');
  });

  it('does deliver every change exactly once while writers race the paging of the initial state', BOUNDED, async () => {
    const store = await open();
    await store.batch(Array.from({ length: 1500 }, (_, i) => ({ op: 'add' as const, resource: podInput(`p${i}`, { labels: { app: i % 2 ? 'web' : 'db' } }) })));
    const watch = watchOf(store, { labelSelector: 'app=web', ...INITIAL_EVENTS });
    const cache = new Cache();
    const writers = Array.from({ length: 3 }, async (_, w) => {
      for (let i = 0; i < 150; i++) {
        const name = `p${(i * 7 + w * 500) % 1500}`;
        const current = await store.get(podInput(name).ref).catch(() => undefined);
        if (current === undefined) await store.add(podInput(name, { labels: { app: 'web' } })).catch(() => undefined);
        else if (i % 5 === 0) await store.delete(current.ref).catch(() => undefined);
        else await store.update({ ...podInput(name, { labels: { app: i % 3 ? 'web' : 'db' }, n: i }) }).catch(() => undefined);
      }
    });
    const reading = (async () => {
      await untilInitialEventsEnd(watch, cache);
      while (!cache.objects.has('zz-marker')) cache.apply((await take(watch, 1))[0]!);
    })();
    await Promise.all(writers);
    await store.add(podInput('zz-marker', { labels: { app: 'web' } }));
    await reading;
    const expected = await store.list({ type: PODS, labelSelector: 'app=web' });
    assert.deepEqual(cache.objects, new Map(expected.items.map((item) => [item.ref.name, String(item.revision)])));
  });

  it('does send every change after resourceVersion N, a DELETED carrying the last state at the deletion\'s revision, and no relationship change', BOUNDED, async () => {
    const store = await open();
    await store.add(podInput('a'));
    await store.add(podInput('b', { nodeName: 'n7' }));
    const n = atRevision(store);
    const modified = await store.update(podInput('a', { n: 1 }));
    await store.addRelationships({ subject: podInput('a').ref, predicate: { type: 'PodNodeBinding', value: { nodeName: 'n1' } }, object: { version: 'v1', kind: 'Node', name: 'n1' } });
    await store.add(configMap('other'));
    const deletedAt = String(store.revision + 1); // the Pod's delete comes first, then its binding's
    await store.delete(podInput('b').ref);
    const watch = watchOf(store, { resourceVersion: n });
    const replayed = await take(watch, 2);
    assert.deepEqual(replayed.map(brief), [`MODIFIED a@${modified.revision}`, `DELETED b@${deletedAt}`]);
    assert.equal(object(replayed[1]!).spec?.nodeName, 'n7', 'the last state');
    const added = await store.add(podInput('c'));
    await store.delete(podInput('c').ref);
    assert.deepEqual((await take(watch, 2)).map(brief), [`ADDED c@${added.revision}`, `DELETED c@${atRevision(store)}`]);
  });

  it('does send one ERROR with the 410 Expired Status, then end, for a compacted resourceVersion', BOUNDED, async () => {
    const store = await open({ retention: { maxEvents: 2, compactIntervalMs: 2 ** 31 - 1 } });
    for (let i = 0; i < 6; i++) await store.add(podInput(`p${i}`));
    await store.compact();
    const watch = watchOf(store, { resourceVersion: '1' });
    const [error, ...rest] = await take(watch, 2);
    assert.equal(error?.type, 'ERROR');
    assert.equal(object(error!).code, 410);
    assert.equal(object(error!).reason, 'Expired');
    assert.deepEqual(rest, []);
    assert.deepEqual(await watch.next(), DONE);
  });

  it('does send the 410 Expired ERROR, then end, for a resourceVersion the store has not reached', BOUNDED, async () => {
    const store = await open();
    await store.add(podInput('a'));
    for (const options of [{ resourceVersion: '99' }, { resourceVersion: '99', sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' }]) {
      const events = await take(watchOf(store, options), 2);
      assert.deepEqual(events.map((e) => [e.type, object(e).code]), [['ERROR', 410]]);
    }
  });

  it('does end sendInitialEvents with a BOOKMARK annotated initial-events-end at the list\'s revision, then send the changes', BOUNDED, async () => {
    const store = await open();
    await store.add(podInput('a'));
    await store.add(podInput('b'));
    await store.add(configMap('other'));
    const listRevision = atRevision(store);
    const watch = watchOf(store, { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true, resourceVersion: '1' });
    const initial = await take(watch, 3);
    assert.deepEqual(initial.map((e) => e.type), ['ADDED', 'ADDED', 'BOOKMARK']);
    assert.deepEqual(initial[2]!.object, {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { resourceVersion: listRevision, annotations: { [INITIAL_EVENTS_END]: 'true' } },
    });
    const plain = watchOf(store, { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' });
    assert.equal((await take(plain, 2)).length, 2);
    const added = await store.add(podInput('c'));
    assert.deepEqual((await take(watch, 1)).map(brief), [`ADDED c@${added.revision}`]);
    assert.deepEqual((await take(plain, 1)).map(brief), [`ADDED c@${added.revision}`], 'no BOOKMARK unless allowWatchBookmarks, as kube-apiserver');
  });

  it('does send no initial events with sendInitialEvents=false, and refuses what apimachinery refuses', BOUNDED, async () => {
    const store = await open();
    await store.add(podInput('a'));
    const watch = watchOf(store, { sendInitialEvents: false, resourceVersionMatch: 'NotOlderThan' });
    const added = await store.add(podInput('b'));
    assert.deepEqual((await take(watch, 1)).map(brief), [`ADDED b@${added.revision}`]);
    await watch.return!();
    assert.throws(() => watchOf(store, { sendInitialEvents: true }), isInvalid('resourceVersionMatch'));
    assert.throws(() => watchOf(store, { resourceVersionMatch: 'NotOlderThan' }), isInvalid('resourceVersionMatch'));
    assert.throws(() => watchOf(store, { sendInitialEvents: true, resourceVersionMatch: 'Exact' }), isInvalid('resourceVersionMatch'));
  });

  it('does refuse bad options at once with INVALID_ARGUMENT', () => {
    const store = {} as ResourceStore; // never reached: the options are checked first
    assert.throws(() => watchOf(store, { resourceVersion: 'abc' }), isInvalid('resourceVersion'));
    assert.throws(() => watchOf(store, { resourceVersion: '-1' }), isInvalid('resourceVersion'));
    assert.throws(() => watchOf(store, { labelSelector: 'a in (' }), (err) => isStoreError(err, 'INVALID_ARGUMENT'));
    assert.throws(() => watchOf(store, { fieldSelector: 'spec.replicas=1' }), isInvalid('fieldSelector'));
    assert.throws(() => watchOf(store, { kind: '*' }), isInvalid('kind'));
    assert.throws(() => watchOf(store, { version: '' }), isInvalid('version'));
    assert.throws(() => watchOf(store, { timeoutSeconds: -1 }), isInvalid('timeoutSeconds'));
    assert.throws(() => watchOf(store, { allowWatchBookmarks: true, bookmarkIntervalMs: 0 }), isInvalid('bookmarkIntervalMs'));
  });

  it('does send periodic BOOKMARKs at the store\'s revision when no change matched in between', BOUNDED, async () => {
    const store = await open();
    await store.add(podInput('a'));
    const watch = watchOf(store, { resourceVersion: atRevision(store), allowWatchBookmarks: true, bookmarkIntervalMs: 10 });
    const waiting = watch.next();
    await store.add(configMap('other'));
    const { value } = await waiting;
    assert.equal(value?.type, 'BOOKMARK');
    assert.deepEqual(value?.object, { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: atRevision(store) } });
  });

  it('does end the stream after timeoutSeconds', BOUNDED, async () => {
    const store = await open();
    const watch = watchOf(store, { resourceVersion: atRevision(store), timeoutSeconds: 0.02 });
    assert.deepEqual(await watch.next(), DONE);
  });

  it('does turn label selector transitions into ADDED and DELETED', BOUNDED, async () => {
    const store = await open();
    await store.add(podInput('a', { labels: { app: 'web' } }));
    const watch = watchOf(store, { labelSelector: 'app=web', resourceVersion: atRevision(store) });
    const leaves = await store.update(podInput('a', { labels: { app: 'db' } }));
    await store.update(podInput('a', { labels: { app: 'db' }, n: 1 }));
    const enters = await store.update(podInput('a', { labels: { app: 'web' }, n: 2 }));
    const events = await take(watch, 2);
    assert.deepEqual(events.map(brief), [`DELETED a@${leaves.revision}`, `ADDED a@${enters.revision}`]);
    assert.deepEqual(object(events[0]!).metadata.labels, { app: 'web' }, 'the last state that matched');
  });

  it('does turn field selector transitions into ADDED and DELETED, in the initial state, a replay and live', BOUNDED, async () => {
    const store = await open();
    await store.add(podInput('on', { nodeName: 'n1' }));
    await store.add(podInput('off', { nodeName: 'n2' }));
    const initial = watchOf(store, { fieldSelector: 'spec.nodeName=n1' });
    assert.deepEqual((await take(initial, 1)).map((e) => object(e).metadata.name), ['on']);
    const from = atRevision(store);
    const writes = [
      await store.update(podInput('off', { nodeName: 'n1' })), // enters
      await store.update(podInput('off', { nodeName: 'n1', n: 1 })), // stays
      await store.update(podInput('on', { nodeName: 'n2' })), // leaves
      await store.update(podInput('on', { nodeName: 'n3' })), // stays out
    ];
    const expected = [`ADDED off@${writes[0]!.revision}`, `MODIFIED off@${writes[1]!.revision}`, `DELETED on@${writes[2]!.revision}`];
    const replay = watchOf(store, { fieldSelector: 'spec.nodeName=n1', resourceVersion: from });
    const replayed = await take(replay, 3);
    assert.deepEqual(replayed.map(brief), expected);
    assert.equal(object(replayed[2]!).spec?.nodeName, 'n1', 'a DELETED for leaving carries the state before');
    assert.deepEqual((await take(initial, 3)).map(brief), expected, 'live');
  });

  it('does end at once on return() while a next() waits, freeing the store watch and leaving no timer', BOUNDED, async () => {
    const store = await open();
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const subscribers = async (): Promise<number> => Number(/resourcestore_subscribers (\d+)/.exec(await store.metrics.metrics())?.[1]);
    const before = timers();
    await store.add(configMap('other'));
    // From the store's revision: no list first, so the store watch starts as the first next() is called.
    const watch = watchOf(store, { allowWatchBookmarks: true, bookmarkIntervalMs: 3_600_000, timeoutSeconds: 3600, resourceVersion: atRevision(store) });
    assert.equal(timers(), before + 2);
    const waiting = watch.next();
    await store.add(configMap('another')); // not a Pod: the watch still waits
    assert.equal(await subscribers(), 1);
    assert.deepEqual(await watch.return!(), DONE);
    assert.deepEqual(await waiting, DONE);
    assert.equal(timers(), before);
    assert.equal(await subscribers(), 0);
    assert.deepEqual(await watch.next(), DONE);
  });

  it('does end cleanly when the store closes', BOUNDED, async () => {
    const store = await open();
    await store.add(configMap('other'));
    const watch = watchOf(store, { resourceVersion: atRevision(store), allowWatchBookmarks: true, bookmarkIntervalMs: 3_600_000 });
    const waiting = watch.next();
    await store.add(podInput('a'));
    await store.close();
    assert.equal(brief((await waiting).value!), `ADDED a@${atRevision(store)}`);
    assert.deepEqual(await watch.next(), DONE);
  });

  it('does not end a watch that has caught up because other kinds change while its consumer waits', BOUNDED, async () => {
    const store = await open();
    await store.add(podInput('a'));
    const from = atRevision(store);
    await store.add(configMap('before'));
    const added = await store.add(podInput('b'));
    const watch = watchOf(store, { resourceVersion: from });
    assert.deepEqual((await take(watch, 1)).map(brief), [`ADDED b@${added.revision}`]);
    // More changes to other kinds than a store watch buffers, while the consumer takes nothing.
    await store.batch(Array.from({ length: 10_000 }, (_, i) => ({ op: 'add' as const, resource: configMap(`c${i}`) })));
    await store.add(configMap('one-more'));
    const next = await store.add(podInput('c'));
    assert.deepEqual((await take(watch, 1)).map(brief), [`ADDED c@${next.revision}`]);
  });

  it('does end cleanly when the consumer falls behind, after every event it was given, so a watch from the last one it saw misses nothing', BOUNDED, async () => {
    const store = await open();
    const watch = watchOf(store, { resourceVersion: atRevision(store) });
    const waiting = watch.next();
    await store.add(podInput('first'));
    const seen = (await waiting).value!;
    // More than the store watch's buffer (10,000) while the consumer takes nothing.
    await store.batch(Array.from({ length: 10_000 }, (_, i) => ({ op: 'add' as const, resource: podInput(`p${i}`) })));
    await store.add(podInput('last'));
    assert.deepEqual(await watch.next(), DONE);
    const again = watchOf(store, { resourceVersion: object(seen).metadata.resourceVersion });
    const rest = await take(again, 10_001);
    assert.equal(rest.length, 10_001);
    assert.deepEqual(rest.map((e) => Number(object(e).metadata.resourceVersion)), rest.map((_, i) => Number(object(seen).metadata.resourceVersion) + 1 + i));
  });
});
