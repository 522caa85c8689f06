/**
 * The ResourceStore: the public API over the engine. Public methods validate and prepare their
 * input; a write then queues behind earlier writes to the same keys (key-locks.ts), plans itself
 * against the state it reads (write-plan.ts), and commits the plan with that state as its
 * precondition. So a stale expected version is a CONFLICT and a write without one applies to the
 * latest state. One call's resource, index entries, counters and revision land in one atomic
 * engine write; concurrent calls on different keys share LevelDB batches through the engine's
 * group commit, while each keeps its own outcome.
 */
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import { StoreMetrics, type Operation } from '../metrics/store-metrics.js';
import { ContinueTokens, queryFingerprint } from '../indices/continue-token.js';
import { parseLabelSelector } from '../indices/label-selector.js';
import { matchesQuery, planQuery, type NormalizedQuery } from '../indices/query-planner.js';
import { readPage } from '../indices/query-executor.js';
import { PreconditionFailed, type Engine, type EngineWrite } from './engine.js';
import { StoreError, invalidArgument } from './errors.js';
import { encodeKey } from './key-codec.js';
import { KeyLocks } from './key-locks.js';
import { openLevelEngine } from './level-engine.js';
import { ReadCache, type CacheOptions, type CachedResource } from './read-cache.js';
import { decodeRecord, packData, toResource } from './resource-codec.js';
import { resourceKey } from './resource-keys.js';
import type {
  BatchOperation,
  DeleteOptions,
  ListQuery,
  ListResult,
  RefInput,
  Resource,
  ResourceInput,
  ResourceRef,
} from './types.js';
import {
  isObject,
  normalizeAnnotations,
  normalizeCount,
  normalizeLabels,
  normalizeNamespace,
  normalizeRef,
  normalizeType,
  normalizeUid,
  normalizeVersion,
} from './validate.js';
import { formatRef, planWrite, type PlannedWrite, type PreparedWrite } from './write-plan.js';

/** Options of `openStore`. */
export interface StoreOptions {
  /** Directory of an on-disk store (classic-level); in memory (memory-level) when absent. */
  readonly path?: string;
  /**
   * fsync every batch before acknowledging it. Default false: an acknowledged write survives a
   * crash of the process (LevelDB has handed it to the OS), not a crash of the machine.
   */
  readonly sync?: boolean;
  /** Read-cache bounds. Default 10,000 resources and about 64 MiB. */
  readonly cache?: CacheOptions;
  /** Most bytes a resource's data may take, encoded. Default 1.5 MiB, as etcd's request limit. */
  readonly maxDataBytes?: number;
  /** The Prometheus registry for the store's metrics. Default: a private registry (`store.metrics`). */
  readonly registry?: Registry;
}

/** The default limit on a resource's data: 1.5 MiB, as etcd. */
export const DEFAULT_MAX_DATA_BYTES = 1.5 * 1024 * 1024;
/** The most items one page of a list may ask for. */
export const MAX_LIST_LIMIT = 1_000_000;
const MAX_BATCH = 10_000;
const MAX_ATTEMPTS = 100;
const TOKEN_SECRET_KEY = encodeKey('meta', 'token-secret');

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
  const maxDataBytes = normalizeCount(options.maxDataBytes, 'options.maxDataBytes', 2 ** 31) ?? DEFAULT_MAX_DATA_BYTES;
  const cacheOptions = options.cache ?? {};
  if (!isObject(cacheOptions)) throw invalidArgument('options.cache', 'must be an object');
  if (cacheOptions.maxEntries !== 0) normalizeCount(cacheOptions.maxEntries, 'options.cache.maxEntries', 2 ** 31);
  normalizeCount(cacheOptions.maxBytes, 'options.cache.maxBytes', Number.MAX_SAFE_INTEGER);
  const engine = await openLevelEngine({ ...(options.path === undefined ? {} : { path: options.path }), sync: options.sync ?? false });
  try {
    return await openStoreOn(engine, { maxDataBytes, cache: cacheOptions, registry: options.registry });
  } catch (err) {
    await engine.close();
    throw err;
  }
}

/** @internal Opens a store on an engine already open (tests use it to look at the raw key space). */
export async function openStoreOn(engine: Engine, setup: Omit<StoreSetup, 'secret'>): Promise<ResourceStore> {
  let secret = await engine.get(TOKEN_SECRET_KEY);
  if (secret === undefined) {
    secret = randomBytes(32);
    await engine.commit({ checks: [{ key: TOKEN_SECRET_KEY, value: undefined }], puts: [[TOKEN_SECRET_KEY, secret]], dels: [], counters: [], changes: 0 });
  }
  return new ResourceStore(engine, { ...setup, secret });
}

interface StoreSetup {
  readonly maxDataBytes: number;
  readonly cache: CacheOptions;
  readonly registry: Registry | undefined;
  readonly secret: Uint8Array;
}

/** An open store of resources. Create one with `openStore`. */
export class ResourceStore {
  readonly #engine: Engine;
  readonly #cache: ReadCache;
  readonly #metrics: StoreMetrics;
  readonly #tokens: ContinueTokens;
  readonly #maxDataBytes: number;
  readonly #locks = new KeyLocks();
  #commits = 0;
  #closed = false;
  #closing: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #idle: (() => void) | undefined;

  /** @internal Use `openStore`. */
  constructor(engine: Engine, setup: StoreSetup) {
    this.#engine = engine;
    this.#cache = new ReadCache(setup.cache);
    this.#metrics = new StoreMetrics(engine, setup.registry);
    this.#tokens = new ContinueTokens(setup.secret);
    this.#maxDataBytes = setup.maxDataBytes;
  }

  /** The registry holding the store's metrics (the one passed to `openStore`, or a private one). */
  get metrics(): Registry {
    return this.#metrics.registry;
  }

  /** The store's latest committed revision. */
  get revision(): number {
    return this.#engine.revision;
  }

  /** Adds a resource; ALREADY_EXISTS if its ref is taken. Returns it as stored (version 1, uid set). */
  add(resource: ResourceInput): Promise<Resource> {
    return this.#single('add', () => this.#prepare('add', resource));
  }

  /**
   * Replaces a stored resource's data, labels and annotations; NOT_FOUND if absent, CONFLICT if
   * `resource.version` (or `uid`) is given and differs from the stored one.
   */
  update(resource: ResourceInput): Promise<Resource> {
    return this.#single('update', () => this.#prepare('update', resource));
  }

  /**
   * Creates or replaces a resource, for reconcile loops. Applying what is already stored changes
   * nothing (no new version, no revision). With `resource.version`, CONFLICT unless it is stored
   * at that version.
   */
  apply(resource: ResourceInput): Promise<Resource> {
    return this.#single('apply', () => this.#prepare('apply', resource));
  }

  /** Deletes a resource and returns its last state; NOT_FOUND if absent, CONFLICT on a stale version or uid. */
  delete(ref: RefInput, options: DeleteOptions = {}): Promise<Resource> {
    return this.#single('delete', () => this.#prepareDelete(ref, options));
  }

  /** Reads a resource; NOT_FOUND if absent. The result is frozen: copy it to change it. */
  get(ref: RefInput): Promise<Resource> {
    return this.#run('get', async () => {
      const normalized = normalizeRef(ref);
      const current = await this.#current(resourceKey(normalized));
      if (!current) throw new StoreError('NOT_FOUND', `${formatRef(normalized)} not found`);
      return share(current.resource);
    });
  }

  /**
   * Runs several writes as one: all land, at consecutive revisions, or none does. Every
   * precondition is checked before anything is written; the error of a failed operation names
   * its index (`details.index`). Returns each operation's result in order.
   */
  batch(operations: readonly BatchOperation[]): Promise<Resource[]> {
    return this.#run('batch', async () => {
      if (!Array.isArray(operations)) throw invalidArgument('operations', 'must be an array');
      if (operations.length > MAX_BATCH) throw invalidArgument('operations', `must hold at most ${MAX_BATCH} operations`);
      const prepared = operations.map((operation, index) => atIndex(index, () => this.#prepareOperation(operation)));
      const seen = new Map<string, number>();
      prepared.forEach((write, index) => {
        const earlier = seen.get(write.key);
        if (earlier !== undefined) {
          throw new StoreError('INVALID_ARGUMENT', `operations[${index}]: ${formatRef(write.ref)} is also operations[${earlier}]`, {
            field: `operations[${index}]`,
            index,
          });
        }
        seen.set(write.key, index);
      });
      return this.#execute(prepared, true);
    });
  }

  /**
   * Lists resources by type, namespace and label selector, a page at a time. The page is
   * consistent with `revision`; pass `continue` back for the next page.
   */
  list(query: ListQuery = {}): Promise<ListResult> {
    return this.#run('list', async () => {
      if (!isObject(query)) throw invalidArgument('query', 'must be an object');
      const normalized: NormalizedQuery = {
        ...(query.type === undefined ? {} : { type: normalizeType(query.type) }),
        ...(query.namespace === undefined ? {} : { namespace: normalizeNamespace(query.namespace) }),
        selector: parseLabelSelector(query.labelSelector ?? ''),
      };
      const limit = normalizeCount(query.limit, 'limit', MAX_LIST_LIMIT);
      const plan = planQuery(normalized);
      const fingerprint = queryFingerprint(plan.canonical);
      const from = query.continue === undefined ? undefined : this.#tokens.open(query.continue, fingerprint);
      if (from && from.scan >= plan.scans.length) throw invalidArgument('continue', 'does not fit this query');
      const accept = (ref: ResourceRef, labels: Readonly<Record<string, string>>): boolean =>
        matchesQuery(normalized, ref, labels);
      const snapshot = this.#engine.snapshot();
      try {
        const revision = await this.#engine.revisionAt(snapshot);
        const page = await readPage(plan, {
          engine: this.#engine,
          snapshot,
          limit,
          from,
          accept,
          load: (key, bytes, test) => this.#loadCandidate(key, bytes, test),
        });
        return {
          items: page.items,
          revision,
          ...(page.next ? { continue: this.#tokens.mint(fingerprint, page.next) } : {}),
        };
      } finally {
        await snapshot.close();
      }
    });
  }

  /**
   * Closes the store: calls made before it finish (their writes land), every later call fails
   * with CLOSED. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
      await this.#engine.close();
    })();
    return this.#closing;
  }

  /** Runs a public operation: refused once closed, timed, and counted so close can wait for it. */
  async #run<T>(operation: Operation, body: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError('CLOSED', 'the store is closed');
    const done = this.#metrics.time(operation);
    this.#inFlight++;
    try {
      return await body();
    } finally {
      done();
      if (--this.#inFlight === 0) this.#idle?.();
    }
  }

  #single(operation: Operation, prepare: () => PreparedWrite): Promise<Resource> {
    return this.#run(operation, async () => {
      const [result] = await this.#execute([prepare()], false);
      return share(result!);
    });
  }

  #prepareOperation(operation: BatchOperation): PreparedWrite {
    if (!isObject(operation)) throw invalidArgument('operation', 'must be an object');
    switch (operation.op) {
      case 'add':
      case 'update':
      case 'apply':
        return this.#prepare(operation.op, operation.resource);
      case 'delete':
        return this.#prepareDelete(operation.ref, operation);
      default:
        throw invalidArgument('op', `must be add, update, apply or delete, got ${JSON.stringify((operation as { op: unknown }).op)}`);
    }
  }

  #prepare(op: 'add' | 'update' | 'apply', input: ResourceInput): PreparedWrite {
    if (!isObject(input)) throw invalidArgument('resource', 'must be an object with a ref');
    const ref = normalizeRef(input.ref);
    const uid = normalizeUid(input.uid);
    const version = normalizeVersion(input.version);
    if (op === 'add' && version !== undefined) throw invalidArgument('version', 'must not be given to add');
    return {
      op,
      ref,
      key: resourceKey(ref),
      ...(uid === undefined ? {} : { uid }),
      ...(version === undefined ? {} : { version }),
      content: {
        data: packData(input.data, this.#maxDataBytes),
        labels: normalizeLabels(input.labels),
        annotations: normalizeAnnotations(input.annotations),
      },
    };
  }

  #prepareDelete(input: RefInput, options: DeleteOptions): PreparedWrite {
    if (!isObject(options)) throw invalidArgument('options', 'must be an object');
    const ref = normalizeRef(input);
    const uid = normalizeUid(options.uid);
    const version = normalizeVersion(options.version);
    return {
      op: 'delete',
      ref,
      key: resourceKey(ref),
      ...(uid === undefined ? {} : { uid }),
      ...(version === undefined ? {} : { version }),
    };
  }

  /**
   * Plans the writes against the current state and commits them as one, queued behind earlier
   * writes to the same keys; plans again if the state moved under a writer this process does not see.
   */
  async #execute(writes: readonly PreparedWrite[], inBatch: boolean): Promise<Resource[]> {
    const release = await this.#locks.acquire(writes.map((write) => write.key));
    try {
      return await this.#attempt(writes, inBatch);
    } finally {
      release();
    }
  }

  async #attempt(writes: readonly PreparedWrite[], inBatch: boolean): Promise<Resource[]> {
    for (let attempt = 1; ; attempt++) {
      const current = await Promise.all(writes.map((write) => this.#current(write.key)));
      const now = Date.now();
      const plans = writes.map((write, index) =>
        inBatch ? atIndex(index, () => planWrite(write, current[index], now)) : planWrite(write, current[index], now),
      );
      const results = plans.map((plan) => plan.result);
      const changed = plans.filter((plan) => plan.changes);
      if (changed.length === 0) return results;
      try {
        await this.#engine.commit(this.#engineWrite(plans, changed.length));
        return results;
      } catch (err) {
        if (!(err instanceof PreconditionFailed)) throw err;
        if (attempt === MAX_ATTEMPTS) {
          throw new StoreError('CONFLICT', `${formatRef(writes[err.index]!.ref)}: changed concurrently ${MAX_ATTEMPTS} times in a row; try again`);
        }
      }
    }
  }

  #engineWrite(plans: readonly PlannedWrite[], changes: number): EngineWrite {
    const counters = new Map<string, number>();
    for (const plan of plans) {
      if (plan.counter) counters.set(plan.counter[0], (counters.get(plan.counter[0]) ?? 0) + plan.counter[1]);
    }
    return {
      checks: plans.map((plan) => plan.check),
      puts: plans.flatMap((plan) => plan.puts),
      dels: plans.flatMap((plan) => plan.dels),
      counters: [...counters],
      changes,
      onCommit: () => {
        this.#commits++;
        for (const plan of plans) {
          if (plan.after) this.#cache.set(plan.key, plan.after);
          else this.#cache.delete(plan.key);
        }
      },
    };
  }

  /** The stored state of a key: from the cache, else from the engine (then cached, unless a commit raced the read). */
  async #current(key: string): Promise<CachedResource | undefined> {
    const hit = this.#cache.get(key);
    if (hit) {
      this.#metrics.cacheHits.inc();
      return hit;
    }
    this.#metrics.cacheMisses.inc();
    const commits = this.#commits;
    const bytes = await this.#engine.get(key);
    if (bytes === undefined) return undefined;
    const entry = { resource: toResource(decodeRecord(bytes, key)), bytes };
    if (commits === this.#commits) this.#cache.set(key, entry);
    return entry;
  }

  /** A list candidate as a resource: the cached one when its bytes are the ones read, else decoded. */
  #loadCandidate(
    key: string,
    bytes: Uint8Array,
    accept: (ref: ResourceRef, labels: Readonly<Record<string, string>>) => boolean,
  ): Resource | undefined {
    const cached = this.#cache.peek(key);
    if (cached && cached.bytes.byteLength === bytes.byteLength && Buffer.compare(cached.bytes, bytes) === 0) {
      return accept(cached.resource.ref, cached.resource.labels) ? share(cached.resource) : undefined;
    }
    const record = decodeRecord(bytes, key);
    return accept(record.ref, record.labels) ? toResource(record) : undefined;
  }
}

/** A resource safe to hand out: frozen already, except protobuf bytes, which get a copy. */
function share(resource: Resource): Resource {
  const data = resource.data;
  if (!(data.value instanceof Uint8Array)) return resource;
  return Object.freeze({ ...resource, data: Object.freeze({ typeUrl: data.typeUrl as string, value: Uint8Array.from(data.value) }) });
}

/** Runs `fn`, prefixing any StoreError it throws with the batch index it concerns. */
function atIndex<T>(index: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    const field = err.details.field === undefined ? `operations[${index}]` : `operations[${index}].${err.details.field}`;
    throw new StoreError(err.code, `operations[${index}]: ${err.message}`, { ...err.details, field, index, cause: err });
  }
}
