/**
 * The database going away under load (issue 14, item 3): a store on PostgreSQL answers every call
 * it cannot serve with UNAVAILABLE (503 over HTTP), never hangs, and recovers by itself when the
 * database is back: no reopen, no acknowledged write lost, no gap or duplicate in any watcher's
 * events. The faults are real: a TCP proxy between the store and the machine's server that cuts
 * or blackholes the connections (test/helpers/tcp-proxy.ts), and the server itself terminating
 * the store's sessions (pg_terminate_backend). The server keeps running for every other test.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import type { StoreEvent } from '../../src/events/types.js';
import type { Resource } from '../../src/model/types.js';
import { isStoreError } from '../../src/storage/errors.js';
import type { PostgresEngineOptions } from '../../src/storage/pg-engine.js';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { ADMIN_URL, freshLocation, testDatabase } from '../helpers/postgres.js';
import { request, startServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/** A hang fails the test it happens in, not the whole run. */
const BOUNDED = { timeout: 120_000 };
/** Short enough that a test waiting on a timeout stays short, long enough for a loaded machine. */
const TIMEOUTS = { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000, pollIntervalMs: 200 } as const;

const cmRef = (name: string) => ({ version: 'v1', kind: 'ConfigMap', namespace: 'web', name });
const cm = (name: string) => ({ ref: cmRef(name), data: { data: { name } } });
const CONFIG_MAPS = { type: { version: 'v1', kind: 'ConfigMap' } } as const;
const EVERY_CHANGE = { relationships: true } as const;
const owns = (owner: string, owned: string) => ({
  subject: cmRef(owner),
  predicate: { type: 'OwnerReference', value: { kind: 'ConfigMap', name: owner, uid: 'u' } },
  object: cmRef(owned),
});

async function open(t: TestContext, options: PostgresEngineOptions): Promise<ResourceStore> {
  const store = await openStore({ postgres: { ...TIMEOUTS, ...options } });
  t.after(() => store.close());
  return store;
}

async function proxyTo(t: TestContext, connectionString: string): Promise<TcpProxy> {
  const proxy = await TcpProxy.inFrontOf(connectionString);
  t.after(() => proxy.close());
  return proxy;
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

async function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

function describeError(error: unknown): string {
  return isStoreError(error) ? `StoreError ${error.code}: ${error.message}` : String((error as Error)?.stack ?? error);
}

function assertUnavailable(outcome: Outcome<unknown>, what: string): void {
  assert.ok(!outcome.ok, `${what} succeeded while the database could not be reached`);
  assert.ok(isStoreError(outcome.error, 'UNAVAILABLE'), `${what} rejected with ${describeError(outcome.error)}, not UNAVAILABLE`);
}

/** Every change a watch from `after` gives, resources and relationships, up to and including revision `upTo`. */
async function eventsUpTo(store: ResourceStore, after: number, upTo: number): Promise<StoreEvent[]> {
  return pullUpTo(store.watch(EVERY_CHANGE, { fromRevision: after }), upTo, true);
}

/** Pulls events from `watch` until one at revision `upTo` or later; ends the watch when told to. */
async function pullUpTo(watch: AsyncIterableIterator<StoreEvent>, upTo: number, end: boolean): Promise<StoreEvent[]> {
  const events: StoreEvent[] = [];
  try {
    while (events.at(-1) === undefined || events.at(-1)!.revision < upTo) {
      const next = await watch.next();
      if (next.done) break;
      events.push(next.value);
    }
  } finally {
    if (end) await watch.return?.();
  }
  return events;
}

const summary = (events: readonly StoreEvent[]): string[] =>
  events.map((event) => `${event.revision} ${event.type} ${event.kind === 'resource' ? event.resource.ref.name : event.relationship.object.name}`);

function assertContiguous(events: readonly StoreEvent[], first: number, last: number, who: string): void {
  const revisions = events.map((event) => event.revision);
  const expected = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  assert.deepEqual(revisions, expected, `${who}: revisions ${first}..${last}, each once and in order`);
}

interface AddOutcome {
  readonly name: string;
  /** Started after the fault began (not in flight when it struck). */
  readonly afterFault: boolean;
  readonly outcome: Outcome<Resource>;
}

/**
 * Writers each adding their own ConfigMaps one after another; `fault` strikes once `ackedBefore`
 * adds are acknowledged, with every writer's add in flight. Resolves when every add has settled.
 */
async function loadWithFault(store: ResourceStore, fault: () => Promise<void> | void): Promise<{ outcomes: AddOutcome[]; inFlightAtFault: number }> {
  const WRITERS = 24;
  const ADDS = 25;
  const ackedBefore = 100;
  const outcomes: AddOutcome[] = [];
  let faulted = false;
  let inFlight = 0;
  let acked = 0;
  let enough!: () => void;
  const enoughAcked = new Promise<void>((resolve) => (enough = resolve));
  const writers = Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < ADDS; i++) {
        const name = `w${w}-${i}`;
        const afterFault = faulted;
        inFlight++;
        const outcome = await settle(store.add(cm(name)));
        inFlight--;
        outcomes.push({ name, afterFault, outcome });
        if (outcome.ok && ++acked === ackedBefore) enough();
      }
    }),
  );
  await Promise.race([enoughAcked, writers]);
  assert.ok(acked >= ackedBefore, `only ${acked} adds were acknowledged before the fault; failures: ${outcomes.filter((o) => !o.outcome.ok).map((o) => describeError((o.outcome as { error: unknown }).error)).slice(0, 3).join('; ')}`);
  const inFlightAtFault = inFlight;
  const striking = fault();
  faulted = true;
  await striking;
  await writers;
  return { outcomes, inFlightAtFault };
}

/** After an outage: every acknowledged add is stored as acknowledged, the change log is contiguous and matches the data, verify finds nothing. */
async function assertIntact(store: ResourceStore, outcomes: readonly AddOutcome[], last: Resource): Promise<void> {
  for (const { name, outcome } of outcomes) {
    if (!outcome.ok) continue;
    const stored = await store.get(cmRef(name));
    assert.equal(stored.uid, outcome.value.uid, `acknowledged add of ${name} is stored`);
  }
  const events = await eventsUpTo(store, 0, last.revision);
  assertContiguous(events, 1, last.revision, 'the change log');
  const byRevision = new Map(events.map((event) => [event.revision, event]));
  for (const { name, outcome } of outcomes) {
    if (!outcome.ok) continue;
    const event = byRevision.get(outcome.value.revision);
    assert.ok(event?.kind === 'resource' && event.type === 'add' && event.resource.ref.name === name, `the log holds the acknowledged add of ${name} at its revision`);
  }
  const logged = events.flatMap((event) => (event.kind === 'resource' && event.type === 'add' ? [event.resource.ref.name] : [])).sort();
  const listed = (await store.list(CONFIG_MAPS)).items.map((resource) => resource.ref.name).sort();
  assert.deepEqual(listed, logged, 'what is stored is exactly what the log says was added');
  const report = await store.verify();
  assert.deepEqual(report.findings, [], 'verify finds nothing');
}

/** The server kills every session the store holds in this test's database: real PostgreSQL ending them, waiting until each has ended. */
async function terminateStoreSessions(): Promise<number> {
  const database = await testDatabase();
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ killed: string }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) AS killed
         FROM pg_stat_activity WHERE application_name = 'resource-store' AND datname = $1`,
      [database],
    );
    return Number(rows[0]?.killed ?? 0);
  } finally {
    await admin.end();
  }
}

/** A write made while the server is ending this process's sessions: retried on UNAVAILABLE (a dead pooled connection), as a client would. */
async function addRetrying(store: ResourceStore, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await settle(store.add(cm(name)));
    if (outcome.ok) return;
    // A retried add whose first attempt landed although its answer was lost.
    if (attempt > 1 && isStoreError(outcome.error, 'ALREADY_EXISTS')) return;
    assertUnavailable(outcome, `add of ${name}`);
    assert.ok(attempt < 20, `add of ${name} still UNAVAILABLE after ${attempt} attempts with the server up`);
  }
}

describe('PostgreSQL outages', () => {
  it('answers every call made while the connection is cut with UNAVAILABLE, then recovers without a reopen, losing no acknowledged write', BOUNDED, async (t) => {
    const location = await freshLocation();
    const proxy = await proxyTo(t, location.connectionString);
    const store = await open(t, { ...location, connectionString: proxy.connectionString });
    await store.add(cm('seed'));
    await store.addRelationships(owns('seed', 'w0-0'));

    const { outcomes, inFlightAtFault } = await loadWithFault(store, () => proxy.cut());
    assert.ok(inFlightAtFault > 0, 'adds were in flight when the connection was cut');
    for (const { name, afterFault, outcome } of outcomes) {
      if (afterFault) assertUnavailable(outcome, `add of ${name}, made during the cut`);
      else if (!outcome.ok) assertUnavailable(outcome, `add of ${name}, in flight when the cut came`);
    }
    assert.ok(outcomes.some((o) => o.afterFault), 'writers made calls during the cut');

    const calls: Array<[string, () => Promise<unknown>]> = [
      ['ping', () => store.ping()],
      ['get', () => store.get(cmRef('seed'))],
      ['list', () => store.list(CONFIG_MAPS)],
      ['add', () => store.add(cm('during'))],
      ['update', () => store.update(cm('seed'))],
      ['apply', () => store.apply({ ...cm('seed'), data: { data: { changed: 'yes' } } })],
      ['delete', () => store.delete(cmRef('seed'))],
      ['batch', () => store.batch([{ op: 'add', resource: cm('during-batch') }])],
      ['addRelationships', () => store.addRelationships(owns('seed', 'w1-0'))],
      ['getRelationships', () => store.getRelationships({ subject: cmRef('seed') })],
      ['traverse', () => store.traverse({ from: cmRef('seed') })],
      ['verify', () => store.verify()],
      ['stats', () => store.stats()],
      ['exportSnapshot', () => store.exportSnapshot(() => undefined)],
      ['watch from revision 0', async () => {
        const watch = store.watch(undefined, { fromRevision: 0 });
        try {
          return await watch.next();
        } finally {
          await watch.return?.();
        }
      }],
    ];
    const answers = await Promise.all(calls.map(([, call]) => settle(call())));
    answers.forEach((answer, i) => assertUnavailable(answer, `${calls[i]![0]} during the cut`));

    proxy.restore();
    const after = await store.add(cm('after-restore'));
    assert.equal(after.version, 1);
    assert.equal((await store.get(cmRef('seed'))).ref.name, 'seed');
    await assertIntact(store, [...outcomes, { name: 'after-restore', afterFault: false, outcome: { ok: true, value: after } }], after);
  });

  it('answers a get, an add and an open with UNAVAILABLE instead of hanging when the network hangs, and works again once it is back', BOUNDED, async (t) => {
    const location = await freshLocation();
    const proxy = await proxyTo(t, location.connectionString);
    const store = await open(t, { ...location, connectionString: proxy.connectionString, connectTimeoutMs: 1_500, queryTimeoutMs: 1_500 });
    const before = await store.add(cm('before'));

    proxy.blackhole();
    const [got, added] = await Promise.all([settle(store.get(cmRef('before'))), settle(store.add(cm('during')))]);
    assertUnavailable(got, 'get during the blackhole');
    assertUnavailable(added, 'add during the blackhole');
    const opening = openStore({ postgres: { ...location, connectionString: proxy.connectionString, connectTimeoutMs: 1_500, queryTimeoutMs: 1_500 } });
    assertUnavailable(await settle(opening), 'opening another store during the blackhole');

    proxy.restore();
    assert.equal((await store.get(cmRef('before'))).uid, before.uid);
    const after = await store.add(cm('after'));
    assert.equal(after.version, 1);
    const events = await eventsUpTo(store, 0, after.revision);
    assertContiguous(events, 1, after.revision, 'the change log');
    assert.deepEqual((await store.verify()).findings, []);
  });

  it('brings every watcher the events it missed while its process was cut off, in order, without a gap or a duplicate, with no restart', BOUNDED, async (t) => {
    const location = await freshLocation();
    const proxy = await proxyTo(t, location.connectionString);
    const writer = await open(t, { ...location, connectionString: proxy.connectionString });
    const watcher = await open(t, { ...location, connectionString: proxy.connectionString });
    const direct = await open(t, location);
    const watches = [
      { who: 'the watcher process', watch: watcher.watch(EVERY_CHANGE) },
      { who: 'the cut-off writer process', watch: writer.watch(EVERY_CHANGE) },
    ];
    t.after(() => Promise.all(watches.map(({ watch }) => watch.return?.())));

    const first = await direct.add(cm('before'));
    for (const { who, watch } of watches) assert.deepEqual(summary(await pullUpTo(watch, first.revision, false)), [`${first.revision} add before`], who);

    const attempted = once(proxy, 'refused');
    proxy.cut();
    assert.ok((await terminateStoreSessions()) >= 1, 'the server ended the sessions the stores still had');
    assertUnavailable(await settle(writer.add(cm('during-cut'))), 'add through the cut connection');
    for (let i = 0; i < 30; i++) await addRetrying(direct, `missed-${i}`);
    await attempted; // the cut-off processes tried to reach the database during the outage

    proxy.restore();
    const last = await direct.add(cm('after'));
    const expected = summary(await eventsUpTo(direct, first.revision, last.revision));
    assert.equal(expected.length, last.revision - first.revision, 'the direct process’s log is contiguous');
    for (const { who, watch } of watches) {
      const received = await pullUpTo(watch, last.revision, false);
      assert.deepEqual(summary(received), expected, `${who} received every missed event, in order, once`);
    }
    const final = await direct.add(cm('final'));
    for (const { who, watch } of watches) assert.deepEqual(summary(await pullUpTo(watch, final.revision, false)), [`${final.revision} add final`], `${who}: the next event follows with no duplicate`);
    assert.equal((await writer.add(cm('writer-back'))).version, 1, 'the cut-off writer writes again without a reopen');
  });

  it('resumes a watcher cut off again while it catches up, from where it stopped', BOUNDED, async (t) => {
    const location = await freshLocation();
    const proxy = await proxyTo(t, location.connectionString);
    const watcher = await open(t, { ...location, connectionString: proxy.connectionString });
    const direct = await open(t, location);
    const watch = watcher.watch(EVERY_CHANGE);
    t.after(() => watch.return?.());
    const start = watcher.revision;

    proxy.cut();
    // More revisions than the engine delivers in one step (1,000), so that catching up takes several.
    for (let b = 0; b < 25; b++) await direct.batch(Array.from({ length: 100 }, (_, i) => ({ op: 'add' as const, resource: cm(`b${b}-${i}`) })));
    proxy.restore();
    const caughtUp = await watch.next();
    assert.ok(!caughtUp.done, 'the watcher started catching up');
    proxy.cut(); // while the rest is still to be read
    await direct.add(cm('during-second-cut'));
    proxy.restore();
    const last = await direct.add(cm('after'));

    const received = [caughtUp.value, ...(await pullUpTo(watch, last.revision, false))];
    const expected = summary(await eventsUpTo(direct, start, last.revision));
    assert.equal(expected.length, last.revision - start, 'the direct process’s log is contiguous');
    assert.deepEqual(summary(received), expected, 'the watcher received every event once, in order');
  });

  it('goes on under load when the server ends every session of the store: calls succeed or fail UNAVAILABLE, and nothing acknowledged is lost', BOUNDED, async (t) => {
    const location = await freshLocation();
    const store = await open(t, location);
    let killed = 0;
    const { outcomes, inFlightAtFault } = await loadWithFault(store, async () => {
      killed = await terminateStoreSessions();
    });
    assert.ok(inFlightAtFault > 0, 'adds were in flight when the sessions were ended');
    assert.ok(killed >= 1, 'the server ended the store’s sessions');
    for (const { name, outcome } of outcomes) if (!outcome.ok) assertUnavailable(outcome, `add of ${name}`);
    const after = await store.add(cm('after-kill'));
    await assertIntact(store, [...outcomes, { name: 'after-kill', afterFault: false, outcome: { ok: true, value: after } }], after);
  });

  it('answers 503 UNAVAILABLE on the store’s paths and a ServiceUnavailable Status on the Kubernetes paths during a cut, and 2xx once the database is back', BOUNDED, async (t) => {
    const location = await freshLocation();
    const proxy = await proxyTo(t, location.connectionString);
    const store = await open(t, { ...location, connectionString: proxy.connectionString });
    const server = await startServer({ store });
    t.after(() => server.stop());
    const { url } = server;
    const manifest = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'web' }, data: { k: 'v' } });
    assert.equal((await request(`${url}/api/v1/namespaces/web/configmaps`, { method: 'POST', body: manifest('cm') })).status, 201);

    const storePaths: Array<[string, { method?: string; body?: unknown }]> = [
      [`/resource?ref=${encodeURIComponent('/v1/ConfigMap/web/cm')}`, {}],
      ['/resources?namespace=web', {}],
      ['/batch', { method: 'POST', body: { operations: [{ op: 'add', resource: cm('by-batch') }] } }],
      ['/verify', {}],
      ['/readyz', {}],
    ];
    const kubePaths: Array<[string, { method?: string; body?: unknown }]> = [
      ['/api/v1/namespaces/web/configmaps/cm', {}],
      ['/api/v1/namespaces/web/configmaps', {}],
      ['/api/v1/namespaces/web/configmaps', { method: 'POST', body: manifest('cm-2') }],
    ];

    proxy.cut();
    for (const [path, init] of storePaths) {
      const answer = await request(`${url}${path}`, init);
      assert.equal(answer.status, 503, `${init.method ?? 'GET'} ${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'UNAVAILABLE', `${init.method ?? 'GET'} ${path}`);
    }
    for (const [path, init] of kubePaths) {
      const answer = await request(`${url}${path}`, init);
      assert.equal(answer.status, 503, `${init.method ?? 'GET'} ${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.kind, 'Status', `${init.method ?? 'GET'} ${path}`);
      assert.equal(answer.body.reason, 'ServiceUnavailable', `${init.method ?? 'GET'} ${path}`);
      assert.equal(answer.body.code, 503, `${init.method ?? 'GET'} ${path}`);
    }

    proxy.restore();
    for (const [path, init] of [...storePaths, ...kubePaths]) {
      const answer = await request(`${url}${path}`, init);
      assert.ok(answer.status >= 200 && answer.status < 300, `${init.method ?? 'GET'} ${path} after the restore: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  });
});
