/**
 * etcd: our server against etcd 3.4, the store Kubernetes itself keeps its objects in. Both run
 * as child processes on loopback, each on a fresh data directory on disk (started for each case
 * and stopped after it, etcd-sides.ts), and one driver runs the same work on both through each
 * one's client, 64 requests in flight, rounds alternating:
 * - creates: a Pod POSTed to `/api/v1/namespaces/{ns}/pods`, against a put of
 *   `/registry/pods/{ns}/{name}` holding the same JSON bytes (each round adds N to the same
 *   servers, so later rounds write into larger stores);
 * - gets of objects that exist, each decoded (`JSON.parse`);
 * - lists of one namespace holding 400 Pods among N (`GET …/pods?limit=400`, against a range get
 *   of the namespace's prefix with limit 400), each object decoded;
 * - watch: events per second to one watcher of a namespace while a writer creates N Pods in it
 *   (`/watch` Server-Sent Events, against an etcd watch of the prefix), and write-to-delivery
 *   p50 and p99 at a steady rate, from the moment each create is due to the watcher's decoding
 *   of its event (a create that waits for a free slot waits on the clock).
 * Every round also records CPU per request: the driving process's (`process.cpuUsage`, so each
 * client's own cost) and the server process's (from /proc); each case's teardown prints their
 * medians to stderr. Without `/usr/bin/etcd` (Debian's etcd-server) the workload has no cases,
 * with a note on stderr.
 *
 * Durability differs: etcd fsyncs its write-ahead log before it answers a put; our server
 * acknowledges once LevelDB has the batch (a process crash loses nothing, a power cut may).
 */
import { existsSync } from 'node:fs';
import { type BenchCase, type Round } from '../harness.js';
import { randomInts, resource } from '../data.js';
import { ETCD, IN_FLIGHT, startEtcdSide, startStoreSide, type PodBody, type Side } from './etcd-sides.js';

/** Pods in the namespace the list case reads, and its page size. */
const LIST_SIZE = 400;
const LIST_NAMESPACE = 'list';
/** The steady rate of the latency cases: under both sides' create capacity on 2 shared cores, so latency is the path's, not a queue's. */
const LATENCY_RATE = 250;

const STORE_CLIENT = 'node:http with a keep-alive agent';
const ETCD_CLIENT = 'etcd3 1.1.2 (gRPC, @grpc/grpc-js)';

function podBody(namespace: string, name: string, i: number): PodBody {
  const { data, labels } = resource(i);
  const manifest = { ...(data as Record<string, unknown>), metadata: { name, namespace, labels } };
  return { namespace, name, json: Buffer.from(JSON.stringify(manifest)) };
}

const WARM_UP = Array.from({ length: 1_000 }, (_, i) => podBody('warm-up', `pod-${i}`, i));

/** Runs `op` for 0 … count-1, at most IN_FLIGHT at a time. */
async function inFlight(count: number, op: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(IN_FLIGHT, count) }, async () => {
      while (next < count) await op(next++);
    }),
  );
}

/** Each round's CPU per request, in µs, of the driving process and of the server. */
class Costs {
  readonly client: number[] = [];
  readonly server: number[] = [];

  /** Runs `work` (`requests` requests on `side`), records what it cost, and answers its seconds. */
  async measure(side: Side, requests: number, work: () => Promise<void>): Promise<number> {
    const client = process.cpuUsage();
    const server = side.serverCpuMs();
    const start = performance.now();
    await work();
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(client);
    this.client.push((used.user + used.system) / requests);
    this.server.push(((side.serverCpuMs() - server) * 1000) / requests);
    return seconds;
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const µs = (values: readonly number[]): string => `${Math.round(median(values))} µs`;

/** Both servers for one case, with each side's costs and a count of rounds (so each round writes names of its own). */
class Pair {
  store: Side | undefined;
  etcd: Side | undefined;
  readonly costs = { store: new Costs(), etcd: new Costs() };
  readonly rounds = { store: 0, etcd: 0 };

  /** Starts both servers, and writes `seed` and a warm-up (so our server's first round is not its JIT's) to each. */
  async start(seed: readonly PodBody[]): Promise<void> {
    this.store = await startStoreSide();
    this.etcd = await startEtcdSide();
    const written = [...seed, ...WARM_UP];
    for (const side of [this.store, this.etcd]) await inFlight(written.length, (i) => side.create(written[i]!));
  }

  async stop(name: string, per: string): Promise<void> {
    await this.store?.stop();
    await this.etcd?.stop();
    this.store = this.etcd = undefined;
    const { store, etcd } = this.costs;
    if (store.client.length === 0) return;
    process.stderr.write(
      `etcd: ${name}: CPU per ${per} (medians of the rounds): client ${µs(store.client)} (${STORE_CLIENT}) vs ${µs(etcd.client)} (${ETCD_CLIENT}); ` +
        `server ${µs(store.server)} (resource-store serve) vs ${µs(etcd.server)} (etcd)\n`,
    );
  }

  /** A round on one side: `work` gets the side, its costs and the round's number. */
  round(which: 'store' | 'etcd', work: (side: Side, costs: Costs, round: number) => Promise<number>): Round {
    return () => work(this[which]!, this.costs[which], this.rounds[which]++);
  }
}

interface Delivery {
  /** Objects delivered per second, from the first create to the last delivery. */
  readonly perSecond: number;
  /** Write-to-delivery latencies in ms, sorted. */
  readonly latencies: number[];
}

/**
 * Opens a watch of a namespace of its own, creates `count` Pods in it (at `perSecond`, or as fast
 * as IN_FLIGHT allows), and waits for every one to be delivered.
 */
async function watchWhileWriting(side: Side, costs: Costs, round: number, count: number, perSecond?: number): Promise<Delivery> {
  const namespace = `watch-${round}`;
  const bodies = Array.from({ length: count }, (_, i) => podBody(namespace, `pod-${i}`, i));
  const due = new Float64Array(count);
  const latencies: number[] = [];
  let allDelivered!: () => void;
  const delivered = new Promise<void>((resolve) => (allDelivered = resolve));
  let last = 0;
  const watch = await side.watch(namespace, (manifest) => {
    const now = performance.now();
    const i = Number(manifest.metadata.name.slice('pod-'.length));
    if (!(i >= 0 && i < count)) throw new Error(`${side.label}: the watch of ${namespace} delivered ${manifest.metadata.name}`);
    latencies.push(now - due[i]!);
    if (latencies.length === count) {
      last = now;
      allDelivered();
    }
  });
  let begin = 0;
  try {
    await costs.measure(side, count, async () => {
      begin = performance.now();
      if (perSecond === undefined) {
        await inFlight(count, async (i) => {
          due[i] = performance.now();
          await side.create(bodies[i]!);
        });
      } else {
        // Create i is due at begin + i / perSecond; a create waiting for a free slot keeps its due time.
        await inFlight(count, async (i) => {
          due[i] = begin + (i * 1000) / perSecond;
          const wait = due[i]! - performance.now();
          if (wait > 0) {
            await new Promise((resolve) => setTimeout(resolve, wait));
            due[i] = performance.now(); // the timer's own lateness is the client's, not the server's
          }
          await side.create(bodies[i]!);
        });
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${side.label}: ${latencies.length} of ${count} events delivered 30 s after the last write`)), 30_000)));
      try {
        await Promise.race([delivered, late]);
      } finally {
        clearTimeout(timer);
      }
    });
  } finally {
    await watch.close();
  }
  return { perSecond: count / ((last - begin) / 1000), latencies: latencies.sort((a, b) => a - b) };
}

/** The cases against etcd; `n` objects per round (creates, gets, watch), the seed of the reads. */
export function etcdCases(n: number, quick: boolean): BenchCase[] {
  if (!existsSync(ETCD)) {
    process.stderr.write(`etcd: no ${ETCD} (apt-get install etcd-server): the etcd cases are left out\n`);
    return [];
  }
  const size = n.toLocaleString('en-US');
  const seed = [
    ...Array.from({ length: n }, (_, i) => podBody(`ns-${i % 50}`, `pod-${i}`, i)),
    ...Array.from({ length: LIST_SIZE }, (_, i) => podBody(LIST_NAMESPACE, `pod-${i}`, n + i)),
  ];
  const reads = randomInts(n, n);
  const lists = Math.max(2 * IN_FLIGHT, Math.floor(n / 50));
  const latencySeconds = quick ? 3 : 10;
  const anchor = (what: string): string => `etcd 3.4, one member, ${what}; clients: ${ETCD_CLIENT} vs ours ${STORE_CLIENT}`;

  const creates = new Pair();
  const createRound = (side: Side, costs: Costs, round: number): Promise<number> => {
    const bodies = Array.from({ length: n }, (_, i) => podBody(`ns-${i % 50}`, `c${round}-${i}`, i));
    return costs.measure(side, n, () => inFlight(n, (i) => side.create(bodies[i]!))).then((seconds) => n / seconds);
  };

  const gets = new Pair();
  const getRound = async (side: Side, costs: Costs): Promise<number> => {
    const seconds = await costs.measure(side, n, () =>
      inFlight(n, async (k) => {
        const i = reads[k]!;
        const pod = (await side.get(`ns-${i % 50}`, `pod-${i}`)) as { metadata: { name: string } };
        if (pod.metadata.name !== `pod-${i}`) throw new Error(`${side.label}: get pod-${i} read ${pod.metadata.name}`);
      }),
    );
    return n / seconds;
  };

  const listing = new Pair();
  const listRound = async (side: Side, costs: Costs): Promise<number> => {
    const seconds = await costs.measure(side, lists, () =>
      inFlight(lists, async () => {
        const items = await side.list(LIST_NAMESPACE, LIST_SIZE);
        if (items.length !== LIST_SIZE) throw new Error(`${side.label}: listed ${items.length} of ${LIST_SIZE}`);
      }),
    );
    return lists / seconds;
  };

  const watching = new Pair();
  const fullLoad: Record<'store' | 'etcd', number[][]> = { store: [], etcd: [] };
  const watchRound = (which: 'store' | 'etcd') => async (side: Side, costs: Costs, round: number): Promise<number> => {
    const delivery = await watchWhileWriting(side, costs, round, n);
    fullLoad[which].push([percentile(delivery.latencies, 0.5), percentile(delivery.latencies, 0.99)]);
    return delivery.perSecond;
  };

  const steady50 = new Pair();
  const steady99 = new Pair();
  const latencyRound = (p: number) => async (side: Side, costs: Costs, round: number): Promise<number> =>
    percentile((await watchWhileWriting(side, costs, round, LATENCY_RATE * latencySeconds, LATENCY_RATE)).latencies, p);

  const rate = `${LATENCY_RATE.toLocaleString('en-US')} creates/s for ${latencySeconds} s`;
  return [
    {
      workload: 'etcd',
      name: `creates, ${IN_FLIGHT} in flight (N=${size})`,
      unit: 'creates/s',
      setup: () => creates.start([]),
      teardown: () => creates.stop('creates', 'create'),
      project: creates.round('store', createRound),
      anchor: creates.round('etcd', createRound),
      anchorName: anchor('puts of the same JSON bytes'),
      target: { ratio: 3, text: '≥ 3×' },
    },
    {
      workload: 'etcd',
      name: `gets of existing objects, ${IN_FLIGHT} in flight (N=${size})`,
      unit: 'gets/s',
      setup: () => gets.start(seed),
      teardown: () => gets.stop('gets', 'get'),
      project: gets.round('store', getRound),
      anchor: gets.round('etcd', getRound),
      anchorName: anchor('gets of the same keys'),
      target: { ratio: 3, text: '≥ 3×' },
    },
    {
      workload: 'etcd',
      name: `list of ${LIST_SIZE} (one namespace among ${size} Pods), ${IN_FLIGHT} in flight`,
      unit: 'lists/s',
      setup: () => listing.start(seed),
      teardown: () => listing.stop('list', `list of ${LIST_SIZE}`),
      project: listing.round('store', listRound),
      anchor: listing.round('etcd', listRound),
      anchorName: anchor(`range get of the namespace's prefix, limit ${LIST_SIZE}`),
    },
    {
      workload: 'etcd',
      name: `watch: events/s to one watcher while a writer creates ${size}, ${IN_FLIGHT} in flight`,
      unit: 'events/s',
      setup: () => watching.start([]),
      teardown: async () => {
        await watching.stop('watch events/s', 'object written and delivered');
        const ms = (rounds: number[][], k: number): string => `${median(rounds.map((r) => r[k]!)).toFixed(1)} ms`;
        process.stderr.write(
          `etcd: watch at full load: write-to-delivery p50 ${ms(fullLoad.store, 0)} vs etcd ${ms(fullLoad.etcd, 0)}, p99 ${ms(fullLoad.store, 1)} vs etcd ${ms(fullLoad.etcd, 1)}\n`,
        );
      },
      project: watching.round('store', watchRound('store')),
      anchor: watching.round('etcd', watchRound('etcd')),
      anchorName: anchor('watch of the prefix'),
    },
    {
      workload: 'etcd',
      name: `watch: write-to-delivery p50 at ${rate}`,
      unit: 'ms',
      setup: () => steady50.start([]),
      teardown: () => steady50.stop('watch p50', 'object written and delivered'),
      project: steady50.round('store', latencyRound(0.5)),
      anchor: steady50.round('etcd', latencyRound(0.5)),
      anchorName: anchor('watch of the prefix'),
      target: { lowerIsBetter: true, text: '(p99 is the target)' },
    },
    {
      workload: 'etcd',
      name: `watch: write-to-delivery p99 at ${rate}`,
      unit: 'ms',
      setup: () => steady99.start([]),
      teardown: () => steady99.stop('watch p99', 'object written and delivered'),
      project: steady99.round('store', latencyRound(0.99)),
      anchor: steady99.round('etcd', latencyRound(0.99)),
      anchorName: anchor('watch of the prefix'),
      target: { ratio: 1, lowerIsBetter: true, text: "≤ etcd's (≥ 1×)" },
    },
  ];
}
