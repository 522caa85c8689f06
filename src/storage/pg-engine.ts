/**
 * The PostgreSQL engine: the engine boundary over one table of a PostgreSQL database
 * (pg-schema.ts), shared by every process that opens the same database and schema.
 *
 * Commits. Writes queue in the process and are taken together, as the LevelDB engine does, into
 * one database transaction that first takes the store's commit lock (a transaction-scoped
 * advisory lock), then reads the revision, the counters and every precondition's key, decides
 * each write's outcome in arrival order against the store as it will be, and writes the group's
 * keys, counters and new revision before it commits and announces the revision (NOTIFY). The lock
 * is where commits of all processes serialize: revisions are contiguous and in commit order across
 * processes, and every precondition is checked inside the transaction that writes, never against
 * anything this process remembers. The lock is held for three round trips: the lock with the
 * reads, the writes with the announcement (sent as the transaction commits), and the commit; over
 * a network the commit rate of all processes together is bounded by them.
 *
 * Following. Every process learns of every commit in revision order (commit-sequencer.ts): its
 * own through their hooks, the others' through the follower. A LISTEN connection wakes the engine
 * when any process commits; a poll of the revision is the safety net (a lost connection, a missed
 * notification).
 *
 * Failures. A database that cannot be reached gives UNAVAILABLE within the connect and query
 * timeouts, never a hang; connections are made again as they are needed, the listener reconnects,
 * and the poll catches up what was missed, so a store recovers by itself when the database is
 * back. A COMMIT whose answer is lost may have landed: its caller gets UNAVAILABLE, and if it did
 * land, it is delivered as another process's commit (its events are not lost).
 */
import pg from 'pg';
import { CommitSequencer } from './commit-sequencer.js';
import {
  type CommitFollower,
  type CommitResult,
  type Engine,
  type EngineSnapshot,
  type EngineWrite,
  type ScanOptions,
} from './engine.js';
import { StoreError } from './errors.js';
import { REVISION_KEY } from './key-catalogue.js';
import { decodeNumber } from './number-codec.js';
import { isUnavailable, postgresError } from './pg-errors.js';
import { CommitQueue, counterKey, formGroup, readCounters, storedCounter, type Pending } from './commit-group.js';
import { migrate, schemaNames, type SchemaNames } from './pg-schema.js';

const MAX_GROUP = 1024;
const SCAN_CHUNK = 512;
const LISTEN_RETRY_MS = 250;

/** Options of the PostgreSQL engine. */
export interface PostgresEngineOptions {
  /** A libpq connection string, e.g. `postgres://user@host:5432/db`. */
  readonly connectionString: string;
  /** The PostgreSQL schema the store's tables live in (created when absent). Default `public`. */
  readonly schema?: string;
  /** Most connections the engine holds. Default 10. */
  readonly poolSize?: number;
  /** How long connecting may take before UNAVAILABLE. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** How long one query may wait for its answer before UNAVAILABLE. Default 30 s. */
  readonly queryTimeoutMs?: number;
  /** How often the revision is polled for other processes' commits, besides LISTEN. Default 1 s. */
  readonly pollIntervalMs?: number;
}

type Row = [Buffer, Buffer];

const toBytes = (key: string): Buffer => Buffer.from(key, 'utf8');
/** A key as a bytea literal, for a query that takes no parameters (hex: nothing in it needs quoting). */
const byteaLiteral = (key: string): string => `'\\x${toBytes(key).toString('hex')}'::bytea`;
/** Keys as a bytea array literal (see byteaLiteral). */
const byteaArray = (keys: Iterable<string>): string => `ARRAY[${Array.from(keys, byteaLiteral).join(',')}]::bytea[]`;
const fromBytes = (key: Buffer): string => key.toString('utf8');

/**
 * A connection of the pool for work of our own, until `release`. A checked-out client has no
 * listener for the connection dying (the pool's is removed while it is out), and node-postgres
 * would then throw from an event: one that ignores it is attached (the query in flight rejects
 * anyway) and taken off on release, when the client goes back to the pool or is destroyed.
 */
async function checkout(pool: pg.Pool): Promise<{ client: pg.PoolClient; release: (destroy: boolean) => void }> {
  const client = await pool.connect();
  const ignore = (): void => undefined;
  client.on('error', ignore);
  return {
    client,
    release: (destroy) => {
      client.off('error', ignore);
      client.release(destroy);
    },
  };
}

/** A read-only, repeatable-read transaction on a connection of its own: every read through it sees one instant. */
class PostgresSnapshot implements EngineSnapshot {
  readonly #connection: Promise<{ client: pg.PoolClient; release: (destroy: boolean) => void; revision: number }>;
  readonly #closed: () => void;

  constructor(pool: pg.Pool, names: SchemaNames, closed: () => void) {
    this.#closed = closed;
    this.#connection = (async () => {
      const connection = await checkout(pool).catch((cause: unknown) => Promise.reject(postgresError(cause, 'opening a snapshot')));
      try {
        // The snapshot is taken by the first statement after BEGIN, which reads the revision it sees.
        const results = (await connection.client.query({
          text: `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT value FROM ${names.kv} WHERE key = ${byteaLiteral(REVISION_KEY)}`,
          rowMode: 'array',
        })) as unknown as pg.QueryArrayResult<[Buffer]>[];
        return { ...connection, revision: decodeNumber(results[1]?.rows[0]?.[0], 'the store revision') };
      } catch (cause) {
        connection.release(true);
        throw postgresError(cause, 'opening a snapshot');
      }
    })();
    this.#connection.catch(() => undefined); // reported to the first read through it
  }

  /** The revision the snapshot sees. */
  get revision(): Promise<number> {
    return this.#connection.then((connection) => connection.revision);
  }

  /** The connection whose transaction is the snapshot. */
  get client(): Promise<pg.PoolClient> {
    return this.#connection.then((connection) => connection.client);
  }

  async close(): Promise<void> {
    this.#closed();
    let connection: { client: pg.PoolClient; release: (destroy: boolean) => void };
    try {
      connection = await this.#connection;
    } catch {
      return;
    }
    // The caller need not wait for the end of a read-only transaction: the connection goes back to the pool once it has ended.
    connection.client.query('COMMIT').then(
      () => connection.release(false),
      () => connection.release(true),
    );
  }

  /** The engine is closing: the connection is dropped, whoever still holds the snapshot. */
  async abandon(): Promise<void> {
    this.#closed();
    try {
      (await this.#connection).release(true);
    } catch {
      // It never had a connection.
    }
  }
}


/** Opens (creating or migrating when needed) the store in `options.schema` of the database. */
export async function openPostgresEngine(options: PostgresEngineOptions): Promise<Engine> {
  const names = schemaNames(options.schema ?? 'public');
  const queryTimeoutMs = options.queryTimeoutMs ?? 30_000;
  const config = {
    connectionString: options.connectionString,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    query_timeout: queryTimeoutMs,
    // The same bounds on the server's side, so that a process whose network hangs mid-commit
    // cannot hold the commit lock (and so every other process's writes) for longer than this,
    // and a statement given up on by its client does not go on waiting there.
    statement_timeout: queryTimeoutMs,
    lock_timeout: queryTimeoutMs,
    idle_in_transaction_session_timeout: queryTimeoutMs,
    keepAlive: true,
    application_name: 'resource-store',
  };
  const pool = new pg.Pool({ ...config, max: options.poolSize ?? 10 });
  // An idle connection the server ends must not end the process: the pool drops it and connects again when needed.
  pool.on('error', () => undefined);
  try {
    const { client, release } = await checkout(pool);
    try {
      await migrate(client, names);
    } finally {
      release(false);
    }
    const engine = new PostgresEngine(pool, names, config, options.pollIntervalMs ?? 1_000);
    await engine.load();
    return engine;
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw postgresError(cause, `opening the store in schema ${names.schema}`);
  }
}

class PostgresEngine implements Engine {
  readonly #pool: pg.Pool;
  readonly #names: SchemaNames;
  readonly #clientConfig: pg.ClientConfig;
  readonly #pollIntervalMs: number;
  readonly #counters = new Map<string, number>();
  #sequencer!: CommitSequencer;
  #commits = 0;
  readonly #queue = new CommitQueue(MAX_GROUP, (group) => this.#commitGroup(group), (cause) => postgresError(cause, 'committing'));
  #closed = false;
  #listener: pg.Client | undefined;
  /** Snapshots not yet closed: each holds a connection, which closing the engine takes back. */
  readonly #snapshots = new Set<PostgresSnapshot>();
  #listenRetry: NodeJS.Timeout | undefined;
  #poller: NodeJS.Timeout | undefined;

  constructor(pool: pg.Pool, names: SchemaNames, clientConfig: pg.ClientConfig, pollIntervalMs: number) {
    this.#pool = pool;
    this.#names = names;
    this.#clientConfig = clientConfig;
    this.#pollIntervalMs = pollIntervalMs;
  }

  /** Reads the revision and the counters, then starts following other processes' commits. */
  async load(): Promise<void> {
    const [revision] = await this.getMany([REVISION_KEY]);
    this.#sequencer = new CommitSequencer(decodeNumber(revision, 'the store revision'), () => this.#refreshCounters());
    for (const [name, value] of await this.#readCounters()) this.#counters.set(name, value);
    this.#poller = setInterval(() => void this.#poll(), this.#pollIntervalMs);
    this.#poller.unref();
    void this.#listen();
  }

  get revision(): number {
    return this.#sequencer.delivered;
  }

  get commits(): number {
    return this.#commits;
  }

  get shared(): boolean {
    return true;
  }

  follow(follower: CommitFollower): void {
    this.#sequencer.follow(follower);
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('CLOSED', 'the store is closed');
  }

  async #query<R extends unknown[]>(text: string, values: unknown[], snapshot: EngineSnapshot | undefined, what: string): Promise<R[]> {
    this.#assertOpen();
    try {
      const runner = snapshot === undefined ? this.#pool : await (snapshot as PostgresSnapshot).client;
      const result = await runner.query<R>({ text, values, rowMode: 'array' });
      return result.rows;
    } catch (cause) {
      throw postgresError(cause, what);
    }
  }

  async get(key: string, snapshot?: EngineSnapshot): Promise<Uint8Array | undefined> {
    const rows = await this.#query<[Buffer]>(`SELECT value FROM ${this.#names.kv} WHERE key = $1`, [toBytes(key)], snapshot, `reading ${JSON.stringify(key)}`);
    return rows[0]?.[0];
  }

  async getMany(keys: readonly string[], snapshot?: EngineSnapshot): Promise<Array<Uint8Array | undefined>> {
    if (keys.length === 0) return [];
    const rows = await this.#query<Row>(
      `SELECT key, value FROM ${this.#names.kv} WHERE key = ANY($1::bytea[])`,
      [keys.map(toBytes)],
      snapshot,
      `reading ${keys.length} keys`,
    );
    const found = new Map(rows.map(([key, value]) => [fromBytes(key), value]));
    return keys.map((key) => found.get(key));
  }

  scan(options: ScanOptions): AsyncIterable<ReadonlyArray<readonly [string, Uint8Array]>> {
    this.#assertOpen();
    return this.#scan(options, 'key, value', (row) => [fromBytes(row[0] as Buffer), row[1] as Buffer] as const);
  }

  scanKeys(options: ScanOptions): AsyncIterable<readonly string[]> {
    this.#assertOpen();
    return this.#scan(options, 'key', (row) => fromBytes(row[0] as Buffer));
  }

  /** A range in key order, a chunk per query, each chunk starting after the last key of the one before. */
  async *#scan<T>(options: ScanOptions, columns: string, map: (row: unknown[]) => T): AsyncIterable<T[]> {
    let lower = toBytes(options.gt ?? options.gte ?? '');
    let inclusive = options.gt === undefined;
    const upper = toBytes(options.lt);
    let remaining = options.limit ?? Infinity;
    while (remaining > 0) {
      const size = Math.min(SCAN_CHUNK, remaining);
      const rows = await this.#query<unknown[]>(
        `SELECT ${columns} FROM ${this.#names.kv} WHERE key ${inclusive ? '>=' : '>'} $1 AND key < $2 ORDER BY key LIMIT ${size}`,
        [lower, upper],
        options.snapshot,
        'scanning',
      );
      if (rows.length === 0) return;
      yield rows.map(map);
      if (rows.length < size) return;
      remaining -= rows.length;
      lower = rows.at(-1)![0] as Buffer;
      inclusive = false;
    }
  }

  snapshot(): EngineSnapshot {
    this.#assertOpen();
    const snapshot = new PostgresSnapshot(this.#pool, this.#names, () => this.#snapshots.delete(snapshot));
    this.#snapshots.add(snapshot);
    return snapshot;
  }

  async revisionAt(snapshot: EngineSnapshot): Promise<number> {
    this.#assertOpen();
    return (snapshot as PostgresSnapshot).revision;
  }

  counter(key: string): number {
    return this.#counters.get(key) ?? 0;
  }

  counters(): ReadonlyMap<string, number> {
    return this.#counters;
  }

  async countersAt(snapshot: EngineSnapshot): Promise<ReadonlyMap<string, number>> {
    return this.#readCounters(snapshot);
  }

  #readCounters(snapshot?: EngineSnapshot): Promise<Map<string, number>> {
    return readCounters((range) => this.scan({ ...range, ...(snapshot === undefined ? {} : { snapshot }) }));
  }

  /**
   * Other processes' commits are about to be delivered: take the database's counter values (which
   * may already include commits not yet delivered); resolves to what puts the old values back if
   * the delivery fails. A read that fails keeps the old values.
   */
  async #refreshCounters(): Promise<() => void> {
    let counters: Map<string, number>;
    try {
      counters = await this.#readCounters();
    } catch {
      return () => undefined;
    }
    const previous = new Map(this.#counters);
    const replace = (values: ReadonlyMap<string, number>): void => {
      this.#counters.clear();
      for (const [name, value] of values) this.#counters.set(name, value);
    };
    replace(counters);
    return () => replace(previous);
  }

  commit(write: EngineWrite): Promise<CommitResult> {
    if (this.#closed) return Promise.reject(new StoreError('CLOSED', 'the store is closed'));
    return this.#queue.push(write);
  }

  /** Commits one group in one database transaction; answers each write once its commit is delivered (or cannot be yet). */
  async #commitGroup(group: Pending[]): Promise<void> {
    const accepted = await this.#writeGroup(group);
    if (accepted.length === 0) return;
    await this.#sequencer.advance();
    for (const { member, result } of accepted) member.resolve(result);
  }

  async #writeGroup(group: Pending[]): Promise<Array<{ member: Pending; result: CommitResult }>> {
    const { client, release } = await checkout(this.#pool);
    let broken = false;
    try {
      const wanted = new Set<string>([REVISION_KEY]);
      for (const { write } of group) {
        for (const check of write.checks) wanted.add(check.key);
        for (const [name] of write.counters) wanted.add(counterKey(name));
      }
      // One round trip: the lock, then the keys the group decides on (as hex literals: a query of
      // several statements takes no parameters).
      const results = (await client.query({
        text: `BEGIN; SELECT pg_advisory_xact_lock(${this.#names.commitLock}); SELECT key, value FROM ${this.#names.kv} WHERE key = ANY(${byteaArray(wanted)})`,
        rowMode: 'array',
      })) as unknown as pg.QueryArrayResult<Row>[];
      const stored = new Map<string, Uint8Array>(results[2]!.rows.map(([key, value]) => [fromBytes(key), value]));
      const before = decodeNumber(stored.get(REVISION_KEY), 'the store revision');
      const { accepted, writes, counters, revision } = formGroup(group, {
        revision: before,
        read: (key) => stored.get(key),
        counter: (name) => storedCounter(stored.get(counterKey(name)), name),
      });
      if (accepted.length === 0) {
        await client.query('ROLLBACK');
        return accepted;
      }
      await this.#writeAll(client, writes, revision === before ? undefined : revision);
      this.#sequencer.holdAbove(before);
      try {
        await client.query('COMMIT');
      } catch (cause) {
        broken = true;
        this.#sequencer.release();
        throw postgresError(cause, 'committing (the write may have landed: its events will tell)');
      }
      this.#commits++;
      this.#sequencer.own(before, revision, () => {
        for (const [name, value] of counters) {
          if (value === 0) this.#counters.delete(name);
          else this.#counters.set(name, value);
        }
        for (const { member, result } of accepted) member.write.onCommit?.(result);
      });
      return accepted;
    } catch (cause) {
      // A connection that failed or timed out is dropped, not asked to roll back (it would wait a second timeout).
      if (isUnavailable(cause)) broken = true;
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
      throw cause;
    } finally {
      release(broken);
    }
  }

  /**
   * Writes a group's final values in one statement: an upsert of every key it puts and a delete of
   * every key it deletes, and the announcement of `revision` (delivered when the transaction
   * commits), when the group took one.
   */
  async #writeAll(client: pg.PoolClient, writes: ReadonlyMap<string, Uint8Array | undefined>, revision: number | undefined): Promise<void> {
    const putKeys: Buffer[] = [];
    const putValues: Buffer[] = [];
    const delKeys: Buffer[] = [];
    for (const [key, value] of writes) {
      if (value === undefined) delKeys.push(toBytes(key));
      else {
        putKeys.push(toBytes(key));
        putValues.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    }
    const kv = this.#names.kv;
    // Data-modifying statements in WITH run once whether or not the query reads them; a key is put
    // or deleted, never both.
    await client.query(
      `WITH put AS (INSERT INTO ${kv} (key, value) SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value),
            gone AS (DELETE FROM ${kv} WHERE key = ANY($3::bytea[]))
       SELECT pg_notify($4, $5) WHERE $5::text IS NOT NULL`,
      [putKeys, putValues, delKeys, this.#names.channel, revision === undefined ? null : String(revision)],
    );
  }

  /** Reads the database's revision and delivers whatever other processes committed up to it. */
  async #poll(): Promise<void> {
    if (this.#closed) return;
    try {
      const rows = await this.#query<[Buffer]>(`SELECT value FROM ${this.#names.kv} WHERE key = $1`, [toBytes(REVISION_KEY)], undefined, 'polling');
      this.#sequencer.seen(decodeNumber(rows[0]?.[0], 'the store revision'));
    } catch {
      // Unreachable now: the next poll tries again, and so does every commit.
    }
    await this.#sequencer.advance();
  }

  /** Holds a LISTEN connection for commit announcements; reconnects when it drops, then polls for what it missed. */
  async #listen(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client(this.#clientConfig);
    const retry = (): void => {
      client.removeAllListeners();
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      if (this.#listener === client) this.#listener = undefined;
      if (!this.#closed && this.#listenRetry === undefined) {
        this.#listenRetry = setTimeout(() => {
          this.#listenRetry = undefined;
          void this.#listen();
        }, LISTEN_RETRY_MS);
        this.#listenRetry.unref();
      }
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', () => void this.#poll());
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#names.channel}"`);
    } catch {
      retry();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#listener = client;
    void this.#poll();
  }

  async storageBytes(): Promise<number> {
    const rows = await this.#query<[string]>(`SELECT pg_total_relation_size('${this.#names.kv}')`, [], undefined, 'measuring the table');
    return Number(rows[0]?.[0] ?? 0);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.drained();
    clearInterval(this.#poller);
    clearTimeout(this.#listenRetry);
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener) {
      listener.removeAllListeners();
      listener.on('error', () => undefined);
      await listener.end().catch(() => undefined);
    }
    await Promise.all([...this.#snapshots].map((snapshot) => snapshot.abandon()));
    await this.#pool.end().catch(() => undefined);
  }
}
