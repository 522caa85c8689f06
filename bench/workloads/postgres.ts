/**
 * postgres: the store on PostgreSQL (the machine's server, `RESOURCE_STORE_BENCH_POSTGRES` names
 * another; a database of its own per run, dropped at the end, a schema of its own per store).
 *
 * Against the SQL our engine sends, without the store: ingest through `add` (64 in flight) and
 * `batch` of 1,000, the anchor upserting the keys and values the store writes (ingest.ts's
 * `storedEntries`: derived edges, counts and guards included) with `pg` into a table of the same
 * shape (`unnest`, as many transactions as the store's batches); cold gets (cache off), the anchor a
 * `SELECT value … WHERE key = $1` + the same decode; lists of a namespace and relationship queries
 * by subject and by object, the anchor the range SELECT of the same keys in the engine's chunks +
 * decode (both read the store's own table); the relationship queries both asked again of a second
 * store with its relationship cache on (a held answer costs one read of the database's revision)
 * and of the store with it off. The same store cases on LevelDB (classic-level on
 * disk) side by side, as PostgreSQL/LevelDB ratios (informational). Watch: write-to-delivery p50
 * and p99 at half the add capacity measured just before. Writers in three processes
 * (pg-writer-child.ts) on one store against one process alone: writes/s, and group commits/s,
 * which is where the revision sequence serializes (the commit lock).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { resourcestore } from '../../src/gen/schema.js';
import { decodeRecord, unpackData } from '../../src/model/resource-codec.js';
import { refFields } from '../../src/model/refs.js';
import type { RelationshipInput } from '../../src/model/relationship-types.js';
import { resourceKey, typePrefix } from '../../src/model/resource-keys.js';
import type { ResourceRef } from '../../src/model/types.js';
import { OSP_SECTION, SPO_SECTION } from '../../src/storage/key-catalogue.js';
import { encodeKey, prefixRange } from '../../src/storage/key-codec.js';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { rate, type BenchCase } from '../harness.js';
import { addCapacity, deliveryLatencies, HalfCapacity, percentiles } from './events.js';
import { ingestInto, storedEntries } from './ingest.js';
import { NAMESPACES, randomInts, ref, resource, scratch } from '../data.js';

const ADMIN_URL = process.env.RESOURCE_STORE_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const IN_FLIGHT = 64;
/** The engine's scan chunk (pg-engine.ts): the anchor's range SELECTs read in the same pages. */
const SCAN_CHUNK = 512;
const POD = { group: '', version: 'v1', kind: 'Pod' };
const UPSERT = 'INSERT INTO %s (key, value) SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value';

interface Location {
  readonly connectionString: string;
  readonly schema: string;
}

/** This run's database: created on first use, a fresh schema for each store, dropped at the end. */
class BenchDatabase {
  readonly #name = `resource_store_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  #created: Promise<void> | undefined;
  #schemas = 0;

  get url(): string {
    const url = new URL(ADMIN_URL);
    url.pathname = `/${this.#name}`;
    return url.toString();
  }

  async fresh(): Promise<Location> {
    this.#created ??= this.#admin(ADMIN_URL, `CREATE DATABASE ${this.#name}`);
    await this.#created;
    return { connectionString: this.url, schema: `bench_${++this.#schemas}` };
  }

  dropSchema(schema: string): Promise<void> {
    return this.#admin(this.url, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }

  async drop(): Promise<void> {
    if (this.#created === undefined) return;
    this.#created = undefined;
    await this.#admin(ADMIN_URL, `DROP DATABASE IF EXISTS ${this.#name} WITH (FORCE)`);
  }

  async #admin(url: string, sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}

const decode = (key: string, bytes: Uint8Array): { data: unknown } => {
  const record = decodeRecord(bytes, key);
  return { ...record, data: unpackData(record.data) };
};
const touch = (value: { data: unknown } | undefined): void => {
  if (value?.data === undefined) throw new Error('no data');
};
const check = (count: number, expected: number): void => {
  if (count !== expected) throw new Error(`expected ${expected} results, got ${count}`);
};
const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Items per second of `work`, which returns how many items it read. */
async function itemsPerSecond(work: () => Promise<number>): Promise<number> {
  const start = performance.now();
  const items = await work();
  return items / ((performance.now() - start) / 1000);
}

/** The rows of a key range, in key order, read as the engine reads it: pages of SCAN_CHUNK, each after the last key of the one before. */
async function rangeRows(client: pg.Client, table: string, range: { gte: string; lt: string }): Promise<Array<[Buffer, Buffer]>> {
  const upper = Buffer.from(range.lt);
  let lower: Buffer = Buffer.from(range.gte);
  let op = '>=';
  const out: Array<[Buffer, Buffer]> = [];
  for (;;) {
    const { rows } = await client.query<[Buffer, Buffer]>({
      text: `SELECT key, value FROM ${table} WHERE key ${op} $1 AND key < $2 ORDER BY key LIMIT ${SCAN_CHUNK}`,
      values: [lower, upper],
      rowMode: 'array',
    });
    out.push(...rows);
    if (rows.length < SCAN_CHUNK) return out;
    lower = rows.at(-1)![0];
    op = '>';
  }
}

/**
 * Deployments → ReplicaSets → Pods → Nodes, as the relations workload: each ReplicaSet owns 100
 * Pods, each Node runs 100. Its Nodes are named apart from those the stored Pods name (data.ts),
 * whose derived bindings would otherwise add to a query by Node.
 */
function relationFixture(n: number): { rels: RelationshipInput[]; replicaSets: number; nodes: number } {
  const pods = Math.max(100, Math.floor(n / 2 / 100) * 100);
  const replicaSets = pods / 100;
  const nodes = pods / 100;
  const rels: RelationshipInput[] = [];
  for (let i = 0; i < replicaSets; i++) rels.push({ subject: deploymentRef(i), predicate: { type: 'OwnerReference', value: { kind: 'Deployment', name: `d-${i}` } }, object: rsRef(i) });
  for (let i = 0; i < pods; i++) {
    const rs = Math.floor(i / 100);
    const pod: ResourceRef = { group: '', version: 'v1', kind: 'Pod', namespace: 'ns', name: `pod-${i}` };
    rels.push({ subject: rsRef(rs), predicate: { type: 'OwnerReference', value: { kind: 'ReplicaSet', name: `rs-${rs}` } }, object: pod });
    rels.push({ subject: pod, predicate: { type: 'PodNodeBinding', value: { nodeName: `fixture-node-${i % nodes}` } }, object: nodeRef(i % nodes) });
  }
  return { rels, replicaSets, nodes };
}
function deploymentRef(i: number): ResourceRef {
  return { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'ns', name: `d-${i}` };
}
function rsRef(i: number): ResourceRef {
  return { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'ns', name: `rs-${i}` };
}
function nodeRef(i: number): ResourceRef {
  return { group: '', version: 'v1', kind: 'Node', namespace: '', name: `fixture-node-${i}` };
}

/** A store to write into, and what disposes of it afterwards. */
type OpenedStore = { store: ResourceStore; dispose: () => Promise<void> };

/** Both caches off: what a first read costs. */
const CACHES_OFF = { maxEntries: 0, relationships: { maxQueries: 0 } };

async function pgStore(db: BenchDatabase, cache?: typeof CACHES_OFF): Promise<OpenedStore & { location: Location }> {
  const location = await db.fresh();
  const store = await openStore({ postgres: location, ...(cache === undefined ? {} : { cache }) });
  return {
    store,
    location,
    dispose: async () => {
      await store.close();
      await db.dropSchema(location.schema);
    },
  };
}

async function levelStore(cache?: typeof CACHES_OFF): Promise<OpenedStore> {
  const dir = scratch();
  const store = await openStore({ path: dir.path, ...(cache === undefined ? {} : { cache }) });
  return {
    store,
    dispose: async () => {
      await store.close();
      dir.remove();
    },
  };
}

async function storeIngest(open: () => Promise<OpenedStore>, n: number, mode: 'add' | 'batch'): Promise<number> {
  const inputs = Array.from({ length: n }, (_, i) => resource(i));
  const { store, dispose } = await open();
  try {
    return await ingestInto(store, inputs, mode, IN_FLIGHT);
  } finally {
    await dispose();
  }
}

/** The anchor of ingest: the keys and values the store writes for N resources (bench/workloads/ingest.ts), upserted with pg in as many transactions as the store's batches of 1,000. */
async function sqlIngest(db: BenchDatabase, n: number): Promise<number> {
  const entries = await storedEntries(n);
  const perTransaction = Math.ceil(entries.length / Math.ceil(n / 1000));
  const { connectionString, schema } = await db.fresh();
  const table = `"${schema}".kv`;
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${schema}"; CREATE TABLE ${table} (key bytea PRIMARY KEY, value bytea NOT NULL)`);
    return await rate(n, async () => {
      for (let b = 0; b < entries.length; b += perTransaction) {
        const chunk = entries.slice(b, b + perTransaction);
        await client.query('BEGIN');
        await client.query(UPSERT.replace('%s', table), [chunk.map(([key]) => Buffer.from(key)), chunk.map(([, value]) => toBuffer(value))]);
        await client.query('COMMIT');
      }
    });
  } finally {
    await client.end();
    await db.dropSchema(schema);
  }
}

/** The stores the read cases share (N resources and N triples each, caches off, and a second store on the same database with its caches on) and a pg client on the PostgreSQL store's table. */
interface ReadFixture {
  /** On PostgreSQL and on LevelDB, caches off; and on PostgreSQL with its caches on. */
  readonly pg: ResourceStore;
  readonly pgHeld: ResourceStore;
  readonly level: ResourceStore;
  readonly sql: pg.Client;
  readonly table: string;
}

/** Opened by the first read case, closed by the teardown of the last. */
class SharedReads {
  readonly #db: BenchDatabase;
  readonly #n: number;
  readonly #rels: RelationshipInput[];
  #fixture: Promise<ReadFixture & { close: () => Promise<void> }> | undefined;
  #users = 0;
  #done = 0;

  constructor(db: BenchDatabase, n: number, rels: RelationshipInput[]) {
    this.#db = db;
    this.#n = n;
    this.#rels = rels;
  }

  get fixture(): Promise<ReadFixture> {
    this.#fixture ??= this.#open();
    return this.#fixture;
  }

  /** The setup and teardown of one case that reads the fixture. */
  use(): Pick<BenchCase, 'setup' | 'teardown'> {
    this.#users++;
    return {
      setup: async () => void (await this.fixture),
      teardown: async () => {
        if (++this.#done === this.#users) await this.close();
      },
    };
  }

  /** Closes the fixture now (the last user is done, or a case failed and the run ends). */
  async close(): Promise<void> {
    const fixture = this.#fixture;
    this.#fixture = undefined;
    await (await fixture?.catch(() => undefined))?.close();
  }

  async #open(): Promise<ReadFixture & { close: () => Promise<void> }> {
    const load = async (store: ResourceStore): Promise<void> => {
      for (let b = 0; b < this.#n; b += 1000) await store.batch(Array.from({ length: Math.min(1000, this.#n - b) }, (_, j) => ({ op: 'add' as const, resource: resource(b + j) })));
      for (let i = 0; i < this.#rels.length; i += 1000) await store.addRelationships(...this.#rels.slice(i, i + 1000));
    };
    const onPg = await pgStore(this.#db, CACHES_OFF);
    const onLevel = await levelStore(CACHES_OFF);
    await load(onPg.store);
    await load(onLevel.store);
    // A second process's store on the same database, its caches on: what a query asked again costs.
    const held = await openStore({ postgres: onPg.location });
    const sql = new pg.Client({ connectionString: onPg.location.connectionString });
    await sql.connect();
    return {
      pg: onPg.store,
      pgHeld: held,
      level: onLevel.store,
      sql,
      table: `"${onPg.location.schema}".resource_store_kv`,
      close: async () => {
        await sql.end();
        await held.close();
        await onPg.dispose();
        await onLevel.dispose();
      },
    };
  }
}

/** p50 and p99 write-to-delivery latency (ms) of `seconds` of adds at `perSecond`, one subscriber, on a fresh PostgreSQL store. */
async function latency(db: BenchDatabase, perSecond: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const { store, dispose } = await pgStore(db);
  try {
    return percentiles(await deliveryLatencies(store, perSecond, seconds));
  } finally {
    await dispose();
  }
}

/** Adds per second with 64 in flight and one subscriber counting the events, on a fresh PostgreSQL store. */
async function capacity(db: BenchDatabase, writes: number): Promise<number> {
  const { store, dispose } = await pgStore(db);
  try {
    return await addCapacity(store, writes, IN_FLIGHT);
  } finally {
    await dispose();
  }
}

const CHILD = fileURLToPath(new URL('./pg-writer-child.ts', import.meta.url));

/** `total` adds split over `processes` writer processes on one fresh store, started together: writes/s and group commits/s over the wall time. */
async function writers(db: BenchDatabase, processes: number, total: number): Promise<{ writes: number; commits: number }> {
  const location = await db.fresh();
  // Created here, so that the writers only open it.
  await (await openStore({ postgres: location })).close();
  const share = Math.ceil(total / processes);
  const children = Array.from({ length: processes }, (_, p) => {
    const from = p * share;
    const count = Math.min(share, total - from);
    // With this process's own flags: tsx, and the store's code as built.
    const child = spawn(process.execPath, [...process.execArgv, CHILD, location.connectionString, location.schema, String(from), String(count), String(IN_FLIGHT)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const exited = new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${p} exited with ${code}`)))));
    exited.catch(() => undefined);
    const nextLine = async (): Promise<string> => {
      const line = await lines.next();
      if (line.done) {
        await exited;
        throw new Error(`writer ${p} ended early`);
      }
      return line.value;
    };
    return { child, nextLine, exited };
  });
  try {
    for (const c of children) {
      const line = await c.nextLine();
      if (line !== 'ready') throw new Error(`a writer said ${JSON.stringify(line)} instead of ready`);
    }
    const start = performance.now();
    for (const c of children) c.child.stdin.end('go\n');
    const reports = await Promise.all(children.map(async (c) => JSON.parse(await c.nextLine()) as { writes: number; commits: number; ms: number }));
    const seconds = (performance.now() - start) / 1000;
    await Promise.all(children.map((c) => c.exited));
    const commits = reports.reduce((sum, r) => sum + r.commits, 0);
    check(reports.reduce((sum, r) => sum + r.writes, 0), total);
    process.stderr.write(`  writers ×${processes}: ${Math.round(total / seconds)} writes/s, ${Math.round(commits / seconds)} commits/s, ${(total / commits).toFixed(1)} writes a commit\n`);
    return { writes: total / seconds, commits: commits / seconds };
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill();
    await db.dropSchema(location.schema);
  }
}

/** Each case closes the shared stores and drops the run's database in its teardown if it failed or is the last, so that no run leaves one behind. */
function droppingDatabase(cases: BenchCase[], db: BenchDatabase, reads: SharedReads): BenchCase[] {
  return cases.map((c, index) => {
    let failed = false;
    const guard = <T>(run: () => Promise<T>) => async (): Promise<T> => {
      try {
        return await run();
      } catch (err) {
        failed = true;
        throw err;
      }
    };
    return {
      ...c,
      project: guard(c.project),
      ...(c.anchor ? { anchor: guard(c.anchor) } : {}),
      ...(c.setup ? { setup: guard(c.setup) } : {}),
      teardown: async () => {
        try {
          await c.teardown?.();
        } finally {
          if (failed || index === cases.length - 1) {
            await reads.close();
            await db.drop();
          }
        }
      },
    };
  });
}

export function postgresCases(n: number, quick: boolean): BenchCase[] {
  const db = new BenchDatabase();
  const gets = quick ? 300 : 2_000;
  const queries = quick ? 30 : 300;
  const perNamespace = Math.ceil(n / NAMESPACES);
  /** How many of the N resources namespace ns-k holds (resource i lives in ns-(i mod 50)). */
  const inNamespace = (k: number): number => Math.floor(n / NAMESPACES) + (k < n % NAMESPACES ? 1 : 0);
  const lists = Math.max(5, Math.ceil((quick ? 2_000 : 20_000) / perNamespace));
  const capacityWrites = Math.ceil(n / 2);
  const latencySeconds = quick ? 1 : 5;
  const writerTotal = Math.ceil(n / 2);
  const { rels, replicaSets, nodes } = relationFixture(n);
  const reads = new SharedReads(db, n, rels);
  const keys = randomInts(n, gets).map((i) => ref(i));
  const rawKeys = keys.map((r) => Buffer.from(resourceKey(r)));
  const listNamespaces = Array.from({ length: lists }, (_, i) => (i * 7) % NAMESPACES);
  const pickRs = randomInts(replicaSets, queries, 7).map(rsRef);
  const pickNode = randomInts(nodes, queries, 9).map(nodeRef);
  const half = new HalfCapacity();

  const storeGets = (store: (f: ReadFixture) => ResourceStore) => async (): Promise<number> => {
    const s = store(await reads.fixture);
    return rate(gets, async () => {
      for (const r of keys) touch(await s.get(r));
    });
  };
  const storeLists = (store: (f: ReadFixture) => ResourceStore) => async (): Promise<number> => {
    const s = store(await reads.fixture);
    return itemsPerSecond(async () => {
      let items = 0;
      for (const k of listNamespaces) {
        const page = await s.list({ type: POD, namespace: `ns-${k}` });
        for (const item of page.items) touch(item);
        check(page.items.length, inNamespace(k));
        items += page.items.length;
      }
      return items;
    });
  };
  const storeRelations = (store: (f: ReadFixture) => ResourceStore, by: 'subject' | 'object') => async (): Promise<number> => {
    const s = store(await reads.fixture);
    const picks = by === 'subject' ? pickRs : pickNode;
    return rate(picks.length, async () => {
      for (const end of picks) check((await s.getRelationships({ [by]: end })).items.length, 100);
    });
  };
  const onPg = (f: ReadFixture): ResourceStore => f.pg;
  const onPgHeld = (f: ReadFixture): ResourceStore => f.pgHeld;
  const onLevel = (f: ReadFixture): ResourceStore => f.level;

  const sqlGets = async (): Promise<number> => {
    const { sql, table } = await reads.fixture;
    return rate(gets, async () => {
      for (const key of rawKeys) {
        const { rows } = await sql.query<[Buffer]>({ text: `SELECT value FROM ${table} WHERE key = $1`, values: [key], rowMode: 'array' });
        touch(decode(key.toString(), rows[0]![0]));
      }
    });
  };
  const sqlLists = async (): Promise<number> => {
    const { sql, table } = await reads.fixture;
    return itemsPerSecond(async () => {
      let items = 0;
      for (const k of listNamespaces) {
        const rows = await rangeRows(sql, table, prefixRange(typePrefix(POD, `ns-${k}`)));
        for (const [key, value] of rows) touch(decode(key.toString(), value));
        check(rows.length, inNamespace(k));
        items += rows.length;
      }
      return items;
    });
  };
  const sqlRelations = (by: 'subject' | 'object') => async (): Promise<number> => {
    const { sql, table } = await reads.fixture;
    const picks = by === 'subject' ? pickRs : pickNode;
    return rate(picks.length, async () => {
      for (const end of picks) {
        const rows = await rangeRows(sql, table, prefixRange(encodeKey(by === 'subject' ? SPO_SECTION : OSP_SECTION, ...refFields(end))));
        for (const [, value] of rows) if (!resourcestore.v1.Relationship.decode(value).subject) throw new Error('no subject');
        check(rows.length, 100);
      }
    });
  };

  const versusSql = { workload: 'postgres' } as const;
  const sideBySide = { workload: 'postgres', anchorName: 'the same store on LevelDB (classic-level on disk)' } as const;
  const ingestName = (mode: 'add' | 'batch'): string => (mode === 'add' ? `add, ${IN_FLIGHT} in flight (N=${n})` : `batch of 1,000 (N=${n})`);
  const getName = `get, cold (cache off), ${gets.toLocaleString('en-US')} random (N=${n})`;
  const listName = `list type + namespace, ${perNamespace} items × ${lists} (N=${n})`;
  const relName = (by: 'subject' | 'object') => `relationships by ${by} (100 results, ${rels.length} triples)`;
  const sqlAnchor = 'pg: range SELECT of the same keys (chunks of 512) + decode';

  const cases: BenchCase[] = [
    ...(['add', 'batch'] as const).map((mode): BenchCase => ({
      ...versusSql,
      name: `ingest: ${ingestName(mode)}`,
      unit: 'resources/s',
      project: () => storeIngest(() => pgStore(db), n, mode),
      anchor: () => sqlIngest(db, n),
      anchorName: 'pg: the keys and values the store writes, upserted via unnest, in as many transactions',
      target: { ratio: 0.5, text: '≥ 0.5×' },
    })),
    {
      ...versusSql,
      ...reads.use(),
      name: getName,
      unit: 'gets/s',
      project: storeGets(onPg),
      anchor: sqlGets,
      anchorName: 'pg: SELECT value … WHERE key = $1 + decode',
      target: { ratio: 0.7, text: '≥ 0.7×' },
    },
    {
      ...versusSql,
      ...reads.use(),
      name: listName,
      unit: 'items/s',
      project: storeLists(onPg),
      anchor: sqlLists,
      anchorName: sqlAnchor,
      target: { ratio: 0.7, text: '≥ 0.7×' },
    },
    ...(['subject', 'object'] as const).flatMap((by): BenchCase[] => [
      {
        ...versusSql,
        ...reads.use(),
        name: `${relName(by)}, asked again (the relationship cache)`,
        unit: 'queries/s',
        project: storeRelations(onPgHeld, by),
        anchor: sqlRelations(by),
        anchorName: sqlAnchor,
        target: { ratio: 0.7, text: '≥ 0.7×' },
      },
      {
        ...versusSql,
        ...reads.use(),
        name: `${relName(by)}, relationship cache off`,
        unit: 'queries/s',
        project: storeRelations(onPg, by),
        anchor: sqlRelations(by),
        anchorName: sqlAnchor,
      },
    ]),
    ...(['add', 'batch'] as const).map((mode): BenchCase => ({
      ...sideBySide,
      name: `PostgreSQL / LevelDB: ingest ${ingestName(mode)}`,
      unit: 'resources/s',
      project: () => storeIngest(() => pgStore(db), n, mode),
      anchor: () => storeIngest(() => levelStore(), n, mode),
    })),
    { ...sideBySide, ...reads.use(), name: `PostgreSQL / LevelDB: ${getName}`, unit: 'gets/s', project: storeGets(onPg), anchor: storeGets(onLevel) },
    { ...sideBySide, ...reads.use(), name: `PostgreSQL / LevelDB: ${listName}`, unit: 'items/s', project: storeLists(onPg), anchor: storeLists(onLevel) },
    ...(['subject', 'object'] as const).map((by): BenchCase => ({
      ...sideBySide,
      ...reads.use(),
      name: `PostgreSQL / LevelDB: ${relName(by)}`,
      unit: 'queries/s',
      project: storeRelations(onPg, by),
      anchor: storeRelations(onLevel, by),
    })),
    {
      ...versusSql,
      name: `watch: add capacity, ${IN_FLIGHT} in flight, one subscriber (${capacityWrites.toLocaleString('en-US')} adds; the latency rows run at half)`,
      unit: 'writes/s',
      project: async () => half.note(await capacity(db, capacityWrites)),
    },
    ...(['p50', 'p99'] as const).map((p): BenchCase => ({
      ...versusSql,
      name: `watch: write-to-delivery ${p} at half the add capacity (${latencySeconds} s a round)`,
      unit: 'ms',
      setup: async () => void process.stderr.write(`  latency load: ${half.load} writes/s\n`),
      project: async () => (await latency(db, half.load, latencySeconds))[p],
    })),
    ...(['writes', 'commits'] as const).map((figure): BenchCase => ({
      ...versusSql,
      name: `3 writer processes on one store vs 1 alone: ${figure === 'writes' ? 'total writes/s' : 'group commits/s (where revisions serialize)'} (${writerTotal.toLocaleString('en-US')} adds, ${IN_FLIGHT} in flight each)`,
      unit: `${figure}/s`,
      project: async () => (await writers(db, 3, writerTotal))[figure],
      anchor: async () => (await writers(db, 1, writerTotal))[figure],
      anchorName: 'one writer process alone, same adds',
    })),
  ];
  return droppingDatabase(cases, db, reads);
}
