/**
 * Opening a store: validating the options, opening the engine (on disk or in memory), refusing a
 * data directory whose restore or repair did not finish (INCOMPLETE, see work-marker.ts), bringing
 * a store of an older key layout to the current one (integrity/layout-upgrade.ts), and the one
 * piece of state a store creates for itself, the secret that signs its continue tokens.
 */
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import { ChangeLog, DEFAULT_RETENTION, type RetentionOptions } from '../events/change-log.js';
import { checkNoUnfinishedWork } from '../storage/work-marker.js';
import { upgradeLayout } from '../integrity/layout-upgrade.js';
import { PreconditionFailed, type Engine } from '../storage/engine.js';
import { invalidArgument } from '../storage/errors.js';
import { TOKEN_SECRET_KEY } from '../storage/key-catalogue.js';
import { openLevelEngine } from '../storage/level-engine.js';
import { isPostgresUrl, postgresLocation } from '../storage/open-engine.js';
import { openPostgresEngine, type PostgresEngineOptions } from '../storage/pg-engine.js';
import type { CacheOptions } from './read-cache.js';
import type { DerivationRule } from '../relations/derivation-rules.js';
import { ResourceStore, type StoreSetup } from './resource-store.js';
import { isObject, normalizeCount } from '../model/validate.js';

/** Options of `openStore`. */
export interface StoreOptions {
  /** Directory of an on-disk store (classic-level); in memory (memory-level) when neither this nor `postgres` is given. */
  readonly path?: string;
  /**
   * A PostgreSQL database to keep the store in, shared by every process (on any machine) that
   * opens it: a connection string (`postgres://user@host:5432/db`, `?schema=name` for a store in
   * a schema of its own), or the engine's options (schema, pool size, timeouts). The tables are
   * created, or migrated, on open.
   */
  readonly postgres?: string | PostgresEngineOptions;
  /**
   * fsync every batch before acknowledging it. Default false: an acknowledged write survives a
   * crash of the process (LevelDB has handed it to the OS), not a crash of the machine.
   */
  readonly sync?: boolean;
  /**
   * Read-cache bounds. Default 10,000 resources and about 64 MiB; and (`relationships`) 10,000
   * relationship query answers and about 32 MiB (on PostgreSQL an answer held is given only
   * while the database is at the revision this process has learnt up to).
   */
  readonly cache?: CacheOptions;
  /** Most bytes a resource's data may take, encoded. Default 1.5 MiB, as etcd's request limit. */
  readonly maxDataBytes?: number;
  /** The Prometheus registry for the store's metrics. Default: a private registry (`store.metrics`). */
  readonly registry?: Registry;
  /** How much of the change log is kept for replays. Default 100,000 events and 24 hours, compacted every 10 s. */
  readonly retention?: RetentionOptions;
  /**
   * Relationships derived from resource content. `disable`: built-in rules this store does not
   * run (by name: `OwnerReference`, `PodNodeBinding`, `ServiceSelects`, `PodUses`, `TemplateUses`,
   * `ClaimBinding`, `BindsRole`, `BindsSubject`, `IngressRoutesTo`, `ScalesTarget`,
   * `EndpointSliceTargets`); `rules`: rules of your own (as `store.registerRule`). Default: every
   * built-in rule, no other.
   */
  readonly derivation?: { readonly disable?: readonly string[]; readonly rules?: readonly DerivationRule[] };
}

/** The default limit on a resource's data: 1.5 MiB, as etcd. */
export const DEFAULT_MAX_DATA_BYTES = 1.5 * 1024 * 1024;

/**
 * Opens a store: on disk when `options.path` is given, in memory otherwise.
 *
 * @example
 * const store = await openStore({ path: './data' });
 * await store.add({ ref: { version: 'v1', kind: 'Pod', namespace: 'web', name: 'a' }, data: pod });
 */
export async function openStore(options: StoreOptions = {}): Promise<ResourceStore> {
  if (!isObject(options)) throw invalidArgument('options', 'must be an object');
  if (options.path !== undefined && (typeof options.path !== 'string' || options.path.length === 0)) {
    throw invalidArgument('options.path', 'must be a non-empty string');
  }
  const postgres = typeof options.postgres === 'string' ? postgresOptionsOf(options.postgres) : options.postgres;
  if (postgres !== undefined) {
    if (!isObject(postgres) || typeof postgres.connectionString !== 'string') throw invalidArgument('options.postgres', 'must be a postgres:// URL or { connectionString, ... }');
    if (options.path !== undefined) throw invalidArgument('options.postgres', 'a store lives in a directory (path) or in PostgreSQL, not both');
  }
  const maxDataBytes = normalizeCount(options.maxDataBytes, 'options.maxDataBytes', 2 ** 31) ?? DEFAULT_MAX_DATA_BYTES;
  const cache = options.cache ?? {};
  if (!isObject(cache)) throw invalidArgument('options.cache', 'must be an object');
  if (cache.maxEntries !== 0) normalizeCount(cache.maxEntries, 'options.cache.maxEntries', 2 ** 31);
  normalizeCount(cache.maxBytes, 'options.cache.maxBytes', Number.MAX_SAFE_INTEGER);
  const relationCache = cache.relationships ?? {};
  if (!isObject(relationCache)) throw invalidArgument('options.cache.relationships', 'must be an object');
  if (relationCache.maxQueries !== 0) normalizeCount(relationCache.maxQueries, 'options.cache.relationships.maxQueries', 2 ** 31);
  normalizeCount(relationCache.maxBytes, 'options.cache.relationships.maxBytes', Number.MAX_SAFE_INTEGER);
  const retention = options.retention ?? {};
  if (!isObject(retention)) throw invalidArgument('options.retention', 'must be an object');
  const derivation = options.derivation ?? {};
  if (!isObject(derivation)) throw invalidArgument('options.derivation', 'must be an object');
  if (derivation.disable !== undefined && !Array.isArray(derivation.disable)) throw invalidArgument('options.derivation.disable', 'must be an array of rule names');
  if (derivation.rules !== undefined && !Array.isArray(derivation.rules)) throw invalidArgument('options.derivation.rules', 'must be an array of rules');
  const setup = {
    derivation,
    maxDataBytes,
    cache,
    registry: options.registry,
    retention: {
      maxEvents: normalizeCount(retention.maxEvents, 'options.retention.maxEvents', Number.MAX_SAFE_INTEGER) ?? DEFAULT_RETENTION.maxEvents,
      maxAgeMs: normalizeCount(retention.maxAgeMs, 'options.retention.maxAgeMs', Number.MAX_SAFE_INTEGER) ?? DEFAULT_RETENTION.maxAgeMs,
      compactIntervalMs:
        normalizeCount(retention.compactIntervalMs, 'options.retention.compactIntervalMs', 2 ** 31 - 1) ?? DEFAULT_RETENTION.compactIntervalMs,
    },
  };
  const engine =
    postgres === undefined
      ? await openLevelEngine({ ...(options.path === undefined ? {} : { path: options.path }), sync: options.sync ?? false })
      : await openPostgresEngine(postgres);
  try {
    return await openStoreOn(engine, setup);
  } catch (err) {
    await engine.close();
    throw err;
  }
}

function postgresOptionsOf(url: string): PostgresEngineOptions {
  if (!isPostgresUrl(url)) throw invalidArgument('options.postgres', `must be a postgres:// or postgresql:// URL, got ${JSON.stringify(url.slice(0, 64))}`);
  return postgresLocation(url);
}

/** The secret that signs continue tokens: made by the first process to open the store; every other one reads it (processes opening a new shared store at once agree on the first one written). */
async function tokenSecret(engine: Engine): Promise<Uint8Array> {
  const stored = await engine.get(TOKEN_SECRET_KEY);
  if (stored !== undefined) return stored;
  const secret = randomBytes(32);
  try {
    await engine.commit({ checks: [{ key: TOKEN_SECRET_KEY, value: undefined }], puts: [[TOKEN_SECRET_KEY, secret]], dels: [], counters: [], changes: 0 });
    return secret;
  } catch (err) {
    if (!(err instanceof PreconditionFailed)) throw err;
    return (await engine.get(TOKEN_SECRET_KEY))!;
  }
}

/** @internal Opens a store on an engine already open (tests use it to look at the raw key space). */
export async function openStoreOn(engine: Engine, setup: Omit<StoreSetup, 'secret' | 'logStart'>): Promise<ResourceStore> {
  await checkNoUnfinishedWork(engine);
  await upgradeLayout(engine);
  return new ResourceStore(engine, { ...setup, secret: await tokenSecret(engine), logStart: await ChangeLog.readStart(engine) });
}
