/**
 * Many processes on one store in PostgreSQL: three `resource-store serve` processes (and a fourth
 * that is killed) share a fresh schema of the test database, and are written to and watched only
 * through HTTP. What each process delivers is judged against what the others deliver and against
 * what writers were told: revisions contiguous and identical everywhere, exactly one winner among
 * racing updates, no acknowledged write lost to a SIGKILL, and a watch resumed on another process
 * with neither gap nor repeat. Last, stores opened in this process, each on its own connections,
 * race to open one fresh store, as processes started together do.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { openStore } from '../../src/store/open-store.js';
import { freshStoreUrl, inFlight, sequenceFaults, startServer, Watcher, type SeenEvent, type ServerProcess } from '../helpers/pg-servers.js';
import { request } from '../helpers/server.js';
import { openSse } from '../helpers/sse.js';

/** Pods each writer creates (each also updated once, through the next process). */
const PODS_PER_WRITER = 50;
const RACING_PUTS = 1000;
/** Creates acknowledged by the victim before it is killed. */
const KILL_AFTER = 60;
/** A guard against a hang (a watcher waiting for a revision that never comes), far above a test's run time. */
const TEST_TIMEOUT_MS = 40_000;

const pods = (server: ServerProcess, namespace: string): string => `${server.url}/api/v1/namespaces/${namespace}/pods`;
const pod = (name: string, annotations: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
const MERGE = { 'content-type': 'application/merge-patch+json' };

const revisionsOf = (events: readonly SeenEvent[]): number[] => events.map((event) => event.revision);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Asserts that `watcher` saw exactly the revisions 1..last in order, naming what is wrong and where. */
function assertGapless(watcher: Watcher, last: number, who: string): void {
  const faults = sequenceFaults(revisionsOf(watcher.events), last);
  assert.deepEqual(faults, { missing: [], repeated: [], outOfOrder: [], outside: [] }, `${who} saw ${watcher.events.length} events up to ${watcher.last}`);
  assert.deepEqual(watcher.errors, [], `${who} got error frames`);
}

describe('three processes on one PostgreSQL store', () => {
  let storeUrl: string;
  let servers: ServerProcess[] = [];

  before(async () => {
    storeUrl = await freshStoreUrl();
    // All three at once on a fresh store, as replicas start: each creates or finds the schema, and they agree on one token secret.
    const started = await Promise.allSettled([startServer(storeUrl), startServer(storeUrl), startServer(storeUrl)]);
    servers = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  });

  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('gives every process the same revisions 1..N, no gap, no duplicate, N the acknowledged writes, while all three write', { timeout: TEST_TIMEOUT_MS }, async (t: TestContext) => {
    const watchers = await Promise.all(servers.map((server) => Watcher.open(server.url, 'fromRevision=0')));
    const acked: number[] = [];
    try {
      await Promise.all(
        servers.map((writer, k) =>
          inFlight(PODS_PER_WRITER, 6, async (i) => {
            const name = `w${k}-${i}`;
            const created = await request(pods(writer, 'mix'), { method: 'POST', body: pod(name) });
            assert.equal(created.status, 201, JSON.stringify(created.body));
            acked.push(Number(created.body.metadata.resourceVersion));
            // Updated through the next process: it must see a write it did not make.
            const updater = servers[(k + 1) % servers.length]!;
            const patched = await request(`${pods(updater, 'mix')}/${name}`, { method: 'PATCH', headers: MERGE, body: { metadata: { annotations: { touched: `by-${(k + 1) % 3}` } } } });
            assert.equal(patched.status, 200, JSON.stringify(patched.body));
            assert.equal(patched.body.metadata.generation, 2);
            acked.push(Number(patched.body.metadata.resourceVersion));
          }),
        ),
      );
      const n = acked.length;
      assert.equal(n, 3 * 2 * PODS_PER_WRITER);
      // Each acknowledged write took its own revision, and together they are 1..N.
      assert.deepEqual([...acked].sort((a, b) => a - b), range(1, n));

      await Promise.all(watchers.map((watcher) => watcher.reach(n, t.signal)));
      watchers.forEach((watcher, k) => assertGapless(watcher, n, `the watcher on process ${k}`));
      assert.deepEqual(watchers[1]!.events, watchers[0]!.events, 'processes 0 and 1 delivered different events');
      assert.deepEqual(watchers[2]!.events, watchers[0]!.events, 'processes 0 and 2 delivered different events');
      const types = watchers[0]!.events.map((event) => event.type);
      assert.equal(types.filter((type) => type === 'add').length, n / 2);
      assert.equal(types.filter((type) => type === 'update').length, n / 2);

      // Each process's counters follow the others' commits too.
      for (const [k, server] of servers.entries()) {
        const stats = await request(`${server.url}/stats`);
        assert.equal(stats.body.revision, n, `process ${k}'s /stats`);
        assert.equal(stats.body.byType['v1/Pod'], n / 2, `process ${k}'s /stats`);
        assert.equal(stats.body.byNamespace.mix, n / 2, `process ${k}'s /stats`);
      }
    } finally {
      watchers.forEach((watcher) => watcher.close());
    }
  });

  it('lets exactly one of 1,000 updates racing at one resourceVersion from three processes win; the rest are 409 Conflict', { timeout: TEST_TIMEOUT_MS }, async (t: TestContext) => {
    const [a, b] = servers as [ServerProcess, ServerProcess, ServerProcess];
    const created = await request(pods(a, 'race'), { method: 'POST', body: pod('contended') });
    assert.equal(created.status, 201);
    const resourceVersion = created.body.metadata.resourceVersion as string;
    const watcher = await Watcher.open(b.url, `namespace=race&fromRevision=${resourceVersion}`);
    try {
      const outcomes: Array<{ attempt: number; status: number; reason: string }> = [];
      const perServer = Math.ceil(RACING_PUTS / servers.length);
      await Promise.all(
        servers.map((server, k) =>
          inFlight(Math.min(perServer, RACING_PUTS - k * perServer), 25, async (i) => {
            const attempt = k * perServer + i;
            const body = pod('contended', { attempt: String(attempt) });
            const put = await request(`${pods(server, 'race')}/contended`, { method: 'PUT', body: { ...body, metadata: { ...body.metadata, resourceVersion } } });
            outcomes.push({ attempt, status: put.status, reason: put.body.reason });
          }),
        ),
      );
      assert.equal(outcomes.length, RACING_PUTS);
      const winners = outcomes.filter((outcome) => outcome.status === 200);
      assert.equal(winners.length, 1, `winners: ${JSON.stringify(winners.slice(0, 10))}`);
      const losers = outcomes.filter((outcome) => outcome.status !== 200);
      assert.deepEqual(new Set(losers.map((outcome) => `${outcome.status} ${outcome.reason}`)), new Set(['409 Conflict']));

      const stored = await request(`${pods(servers[2]!, 'race')}/contended`);
      assert.equal(stored.body.metadata.annotations.attempt, String(winners[0]!.attempt));
      assert.equal(stored.body.metadata.generation, 2);
      // Nothing else landed: the next write in the namespace comes right after the winner's.
      const sentinel = await request(pods(a, 'race'), { method: 'POST', body: pod('sentinel') });
      assert.equal(sentinel.status, 201);
      const sentinelRevision = Number(sentinel.body.metadata.resourceVersion);
      await watcher.reach(sentinelRevision, t.signal);
      assert.deepEqual(watcher.events, [
        { revision: Number(stored.body.metadata.resourceVersion), type: 'update', what: 'race/contended' },
        { revision: sentinelRevision, type: 'add', what: 'race/sentinel' },
      ]);
    } finally {
      watcher.close();
    }
  });

  it('loses no acknowledged write when a writing process is killed with SIGKILL mid-load, while the others write too', { timeout: TEST_TIMEOUT_MS }, async (t: TestContext) => {
    const victim = await startServer(storeUrl);
    const [a, b] = servers as [ServerProcess, ServerProcess, ServerProcess];
    const watchers = await Promise.all([a, b].map((server) => Watcher.open(server.url, 'fromRevision=0')));
    try {
      /** Acknowledged creates, by namespace/name, with their revisions. */
      const acked = new Map<string, number>();
      const refused: string[] = [];
      let victimAcked = 0;
      let busy = 0;
      let inFlightAtKill = 0;
      let killed = false;
      const create = async (server: ServerProcess, namespace: string, name: string): Promise<boolean> => {
        const created = await request(pods(server, namespace), { method: 'POST', body: pod(name) });
        if (created.status !== 201) refused.push(`${namespace}/${name}: ${created.status} ${JSON.stringify(created.body)}`);
        else acked.set(`${namespace}/${name}`, Number(created.body.metadata.resourceVersion));
        return created.status === 201;
      };
      const hammer = inFlight(
        10_000,
        32,
        async (i) => {
          busy++;
          let ok: boolean;
          try {
            ok = await create(victim, 'crash', `c${i}`);
          } catch {
            return; // the connection died with the process: not acknowledged
          } finally {
            busy--;
          }
          if (ok && ++victimAcked === KILL_AFTER) {
            killed = true;
            inFlightAtKill = busy;
            victim.child.kill('SIGKILL');
          }
        },
        () => killed || refused.length > 0,
      );
      // The survivors commit meanwhile, so the victim dies in the middle of an interleaved sequence.
      const others = [a, b].map((server, k) => inFlight(10_000, 3, async (i) => void (await create(server, `crash-${k}`, `o${i}`)), () => killed || refused.length > 0));
      await Promise.all([hammer, ...others]);
      await victim.kill();
      assert.equal(victim.child.signalCode, 'SIGKILL');
      assert.deepEqual(refused, []);
      assert.ok(inFlightAtKill > 0, 'no create was in flight when the process was killed');

      const marker = await request(pods(a, 'crash'), { method: 'POST', body: pod('marker') });
      assert.equal(marker.status, 201);
      const last = Number(marker.body.metadata.resourceVersion);
      await Promise.all(watchers.map((watcher) => watcher.reach(last, t.signal)));
      assertGapless(watchers[0]!, last, 'the watcher on process 0');
      assertGapless(watchers[1]!, last, 'the watcher on process 1');
      assert.deepEqual(watchers[1]!.events, watchers[0]!.events);

      const stored = new Map<string, number>();
      for (const namespace of ['crash', 'crash-0', 'crash-1']) {
        const listed = await request(pods(b, namespace));
        assert.equal(listed.status, 200);
        for (const item of listed.body.items as Array<{ metadata: { name: string; resourceVersion: string } }>) stored.set(`${namespace}/${item.metadata.name}`, Number(item.metadata.resourceVersion));
      }
      for (const [what, revision] of acked) assert.equal(stored.get(what), revision, `acknowledged create ${what} at ${revision}`);
      // Whatever landed unacknowledged landed whole, and was delivered like any other write.
      const added = new Map(watchers[0]!.events.filter((event) => event.what.startsWith('crash')).map((event) => [event.what, event.revision]));
      assert.deepEqual(added, stored);

      const verify = await request(`${b.url}/verify`);
      assert.equal(verify.status, 200);
      assert.deepEqual(verify.body.findings, []);
    } finally {
      watchers.forEach((watcher) => watcher.close());
      await victim.kill();
    }
  });

  it('resumes a watch read on one process on another with Last-Event-ID, missing and repeating nothing', { timeout: TEST_TIMEOUT_MS }, async (t: TestContext) => {
    const [a, b, c] = servers as [ServerProcess, ServerProcess, ServerProcess];
    const written: number[] = [];
    const write = async (name: string): Promise<number> => {
      const created = await request(pods(a, 'resume'), { method: 'POST', body: pod(name) });
      assert.equal(created.status, 201);
      written.push(Number(created.body.metadata.resourceVersion));
      return written.at(-1)!;
    };
    for (let i = 0; i < 10; i++) await write(`early-${i}`);

    const onB = await openSse(`${b.url}/watch?kind=Pod&namespace=resume&fromRevision=0`);
    const read: number[] = [];
    while (read.length < 5) {
      const frame = await onB.next();
      assert.ok(frame?.id !== undefined, 'the watch on B ended early');
      read.push(Number(frame.id));
    }
    onB.close();
    assert.deepEqual(read, written.slice(0, 5));

    for (let i = 0; i < 10; i++) await write(`late-${i}`);
    const onC = await Watcher.open(c.url, 'kind=Pod&namespace=resume', { 'last-event-id': String(read.at(-1)) });
    try {
      await onC.reach(written.at(-1)!, t.signal);
      assert.deepEqual(revisionsOf(onC.events), written.slice(5));
      assert.deepEqual(onC.errors, []);
    } finally {
      onC.close();
    }
  });

  it('resumes on a process that may not have learnt of the Last-Event-ID revision yet, repeating nothing before it', { timeout: TEST_TIMEOUT_MS }, async (t: TestContext) => {
    const [a, , c] = servers as [ServerProcess, ServerProcess, ServerProcess];
    const create = async (name: string): Promise<number> => {
      const created = await request(pods(a, 'hop'), { method: 'POST', body: pod(name) });
      assert.equal(created.status, 201);
      return Number(created.body.metadata.resourceVersion);
    };
    let revision = await create('start');
    for (let round = 0; round < 10; round++) {
      // This test is the only writer: the next write takes the next revision. The watch on C
      // resumes after it before it is committed (even rounds) or while A commits it (odd rounds),
      // so C registers the watch before it learns of that revision, or about when it does.
      const seen = revision + 1;
      const opening = Watcher.open(c.url, 'kind=Pod&namespace=hop', { 'last-event-id': String(seen) });
      if (round % 2 === 0) await opening;
      const [committed, onC] = await Promise.all([create(`seen-${round}`), opening]);
      try {
        assert.equal(committed, seen);
        revision = await create(`next-${round}`);
        await onC.reach(revision, t.signal);
        assert.deepEqual(onC.events, [{ revision, type: 'add', what: `hop/next-${round}` }], `round ${round}`);
      } finally {
        onC.close();
      }
    }
  });

  it('opens one fresh store from several stores at once, each on connections of its own as separate processes are', async () => {
    for (let round = 0; round < 5; round++) {
      const url = await freshStoreUrl();
      const opened = await Promise.allSettled([openStore({ postgres: url }), openStore({ postgres: url }), openStore({ postgres: url })]);
      await Promise.all(opened.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.close() : undefined)));
      const outcomes = opened.map((outcome) => {
        if (outcome.status === 'fulfilled') return 'opened';
        const err = outcome.reason as Error & { code?: string };
        return `${err.constructor.name} ${err.code ?? '(no code)'}: ${err.message}`;
      });
      assert.deepEqual(outcomes, ['opened', 'opened', 'opened'], `round ${round}`);
    }
  });
});
