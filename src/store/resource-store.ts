/**
 * The ResourceStore: the public API over the engine. Public methods validate and prepare their
 * input, then run as one transaction (transaction-runner.ts): queued behind earlier writes to the
 * same resources, reading the state they decide on (which becomes the write's precondition), and
 * committing everything they change (resources, index entries, relationships, counters and one
 * revision per change) as one atomic engine write. A stale expected version is a CONFLICT; a
 * write without one applies to the latest state. Concurrent calls on different resources share
 * LevelDB batches through the engine's group commit, while each keeps its own outcome.
 */
import type { Observable } from 'rxjs';
import type { Registry } from 'prom-client';
import { ChangeLog, type RetentionOptions } from '../events/change-log.js';
import { EventRouter } from '../events/event-router.js';
import { EventStats } from '../events/event-stats.js';
import { subscribeEvents, watchEvents, type StreamContext, type WatchIterator } from '../events/event-streams.js';
import type { StoreEvent, WatchFilter, WatchOptions } from '../events/types.js';
import { StoreMetrics, type Operation } from '../metrics/store-metrics.js';
import { SnapshotWriter } from '../snapshot/snapshot-format.js';
import { exportSnapshot } from '../snapshot/snapshot-io.js';
import { ContinueTokens, queryFingerprint } from '../indices/continue-token.js';
import { parseLabelSelector } from '../indices/label-selector.js';
import { matchesQuery, planQuery, type NormalizedQuery } from '../indices/query-planner.js';
import { PredicateRegistry, SERVICE_SELECTS, type PredicateType } from '../relations/predicates.js';
import { BUILTIN_RULES } from '../relations/builtin-rules.js';
import { deriveRelationships, keepOnDelete, planDerivation, planLockKeys, planReadKeys } from '../relations/derivation.js';
import { jsonReader } from '../indices/selector-index.js';
import { RuleSet, type DerivationRule } from '../relations/derivation-rules.js';
import { RelationshipApi } from '../relations/relationship-api.js';
import { DEFAULT_RELATION_BYTES, DEFAULT_RELATION_QUERIES, RelationCache, type RelationCacheOptions } from '../relations/relation-cache.js';
import { addRelationship, deleteRelationship, deleteRelationshipsOf } from '../relations/relation-writes.js';
import { endCountKey } from '../relations/relation-keys.js';
import type { Graph, Relationship, RelationshipInput, RelationshipPage, RelationshipQuery, TraverseOptions } from '../model/relationship-types.js';
import type { Engine } from '../storage/engine.js';
import { readerAt, type EngineReader } from '../storage/engine-reader.js';
import { storeStats, type StoreStats } from '../integrity/stats.js';
import { verifyIntegrity, type VerifyReport } from '../integrity/verify.js';
import { StoreError, invalidArgument, isStoreError } from '../storage/errors.js';
import { REVISION_KEY } from '../storage/key-catalogue.js';
import { readPage } from '../indices/paged-scan.js';
import { ownedBytes, ReadCache, type CacheOptions, type StoredResource } from './read-cache.js';
import { decodeRecord, holdsBytes, toResource } from '../model/resource-codec.js';
import { resourceKey, typeOfCounter } from '../model/resource-keys.js';
import { writeResource, type PreparedWrite, type ResourceWriteContext } from './resource-writes.js';
import { atIndex, atIndexMaybe, prepareDelete, prepareWrite } from './write-inputs.js';
import { formatRef } from '../model/refs.js';
import { andThen, eachInTurn, type MaybePromise } from '../txn/maybe-promise.js';
import type { Transaction } from '../txn/transaction.js';
import { TransactionRunner } from '../txn/transaction-runner.js';
import type { AnyMessage, RefInput, Resource, ResourceInput, ResourceRef, TypeDescriptor } from '../model/types.js';
import type { BatchOperation, BatchResult, DeleteOptions, ListQuery, ListResult } from './types.js';
import {
  isObject,
  normalizeCount,
  normalizeNamespace,
  normalizeRef,
  normalizeType,
} from '../model/validate.js';

/** The most items one page of a list may ask for. */
export const MAX_LIST_LIMIT = 1_000_000;
const MAX_BATCH = 10_000;

/** @internal What `openStore` hands the store. */
export interface StoreSetup {
  readonly maxDataBytes: number;
  readonly cache: CacheOptions;
  readonly registry: Registry | undefined;
  readonly retention: Required<RetentionOptions>;
  readonly secret: Uint8Array;
  /** The first revision still in the change log. */
  readonly logStart: number;
  /** Built-in rules turned off, and rules of the caller's own (validated by the store). */
  readonly derivation?: { readonly disable?: readonly string[]; readonly rules?: readonly DerivationRule[] };
}

/** One validated operation of a write. */
type PreparedOperation =
  | { readonly kind: 'resource'; readonly write: PreparedWrite; readonly locks: string[]; readonly reads: () => string[] }
  | { readonly kind: 'relate'; readonly run: (txn: Transaction, now: number) => MaybePromise<Relationship>; readonly locks: string[]; readonly reads: () => string[] }
  | { readonly kind: 'unrelate'; readonly run: (txn: Transaction) => Promise<Relationship | undefined>; readonly locks: string[]; readonly reads: () => string[] };

/** The keys of frozen refs already validated: a ref a resource carries (frozen) is read again and again by the same caller. */
const keysOfFrozenRefs = new WeakMap<object, string>();

/** The key of `ref`, validated (INVALID_ARGUMENT), remembered for a frozen ref, whose fields cannot change. */
function cacheKeyOf(ref: RefInput): string {
  const known = typeof ref === 'object' && ref !== null ? keysOfFrozenRefs.get(ref) : undefined;
  if (known !== undefined) return known;
  const key = resourceKey(normalizeRef(ref));
  if (Object.isFrozen(ref)) keysOfFrozenRefs.set(ref, key);
  return key;
}

/** The resource `get` answers with for a stored state; NOT_FOUND when there is none. */
function found(ref: ResourceRef, current: StoredResource | undefined): Resource {
  if (!current) throw new StoreError('NOT_FOUND', `${formatRef(ref)} not found`);
  return toResource(current.record);
}

/** An open store of resources and relationships. Create one with `openStore`. */
export class ResourceStore {
  readonly #engine: Engine;
  /** The engine's synchronous read, where it has one and no other process writes its data. */
  readonly #readNow: ((key: string) => Uint8Array | undefined) | undefined;
  readonly #cache: ReadCache;
  readonly #metrics: StoreMetrics;
  readonly #tokens: ContinueTokens;
  readonly #predicates = new PredicateRegistry();
  readonly #runner: TransactionRunner;
  readonly #relations: RelationshipApi;
  readonly #router = new EventRouter();
  readonly #stats = new EventStats();
  readonly #log: ChangeLog;
  readonly #streams: StreamContext;
  readonly #maxDataBytes: number;
  readonly #rules: RuleSet;
  readonly #relationCache: RelationCache | undefined;
  #commits = 0;
  #closed = false;
  #closing: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #idle: (() => void) | undefined;

  /** @internal Use `openStore`. */
  constructor(engine: Engine, setup: StoreSetup) {
    this.#engine = engine;
    this.#readNow = engine.getNow && !engine.shared ? (key) => engine.getNow!(key) : undefined;
    this.#cache = new ReadCache(setup.cache);
    const relationCache = relationCacheFor(setup.cache.relationships, engine.revision);
    this.#relationCache = relationCache;
    this.#metrics = new StoreMetrics(
      engine,
      {
        stats: this.#stats,
        subscribers: () => this.#router.size,
        logEntries: () => this.#log.size,
        logFirstRevision: () => this.#log.firstRevision,
      },
      setup.registry,
      relationCache,
    );
    this.#tokens = new ContinueTokens(setup.secret);
    this.#maxDataBytes = setup.maxDataBytes;
    this.#rules = new RuleSet(this.#predicates, BUILTIN_RULES, setup.derivation?.disable ?? [], SERVICE_SELECTS);
    (setup.derivation?.rules ?? []).forEach((rule, i) => this.#rules.register(rule, `options.derivation.rules[${i}]`));
    this.#log = new ChangeLog(engine, setup.logStart, this.#predicates, setup.retention, (events) => {
      this.#applyToRelations(events, events.at(-1)!.revision);
      this.#router.publish(events);
    }, {
      compacted: (entries) => this.#metrics.logCompacted.inc(entries),
    });
    this.#streams = {
      router: this.#router,
      log: this.#log,
      stats: this.#stats,
      revision: () => engine.revision,
      shared: engine.shared,
      closed: () => this.#closed,
      resolvePredicate: (name, field) => this.#predicates.resolve(name, field),
    };
    // On a shared engine another process may have changed any key since it was cached: a
    // transaction reads the database, whose value its commit then checks. Elsewhere it reads
    // what is cached, or the engine, synchronously where it can (no promise per read).
    const read = this.#readNow ?? ((key: string) => engine.get(key));
    this.#runner = new TransactionRunner(engine, engine.shared ? read : (key) => this.#cache.get(key)?.bytes ?? read(key), this.#log);
    engine.follow((after, upTo) => this.#followOthers(after, upTo));
    this.#relations = new RelationshipApi({
      engine,
      runner: this.#runner,
      tokens: this.#tokens,
      predicates: this.#predicates,
      maxListLimit: MAX_LIST_LIMIT,
      loadResource: (key, bytes) => this.#loadCandidate(key, bytes, () => true)!,
      cache: relationCache,
    });
  }

  /** The registry holding the store's metrics (the one passed to `openStore`, or a private one). */
  get metrics(): Registry {
    return this.#metrics.registry;
  }

  /** The store's latest committed revision. */
  get revision(): number {
    return this.#engine.revision;
  }

  /**
   * Resolves once the store's data answers a read (one key): what a readiness probe asks. CLOSED
   * once closed; on PostgreSQL, UNAVAILABLE while the database cannot be reached.
   */
  async ping(): Promise<void> {
    if (this.#closed) throw new StoreError('CLOSED', 'the store is closed');
    await this.#engine.get(REVISION_KEY);
  }

  /** Adds a resource; ALREADY_EXISTS if its ref is taken. Returns it as stored (version 1, uid set). */
  add(resource: ResourceInput): Promise<Resource> {
    return this.#single('add', () => prepareWrite('add', resource, this.#maxDataBytes));
  }

  /**
   * Replaces a stored resource's data, labels and annotations; NOT_FOUND if absent, CONFLICT if
   * `resource.version` (or `uid`) is given and differs from the stored one.
   */
  update(resource: ResourceInput): Promise<Resource> {
    return this.#single('update', () => prepareWrite('update', resource, this.#maxDataBytes));
  }

  /**
   * Creates or replaces a resource, for reconcile loops. Applying what is already stored changes
   * nothing (no new version, no revision). With `resource.version`, CONFLICT unless it is stored
   * at that version.
   */
  apply(resource: ResourceInput): Promise<Resource> {
    return this.#single('apply', () => prepareWrite('apply', resource, this.#maxDataBytes));
  }

  /**
   * Deletes a resource, and every relationship naming it, in one write; returns its last state.
   * NOT_FOUND if absent, CONFLICT on a stale version or uid.
   */
  delete(ref: RefInput, options: DeleteOptions = {}): Promise<Resource> {
    return this.#single('delete', () => prepareDelete(ref, options));
  }

  /** Reads a resource; NOT_FOUND if absent. The result is frozen: copy it to change it. */
  get(ref: RefInput): Promise<Resource> {
    if (this.#readNow) return this.#getNow(ref, this.#readNow);
    return this.#run('get', async () => {
      const normalized = normalizeRef(ref);
      return found(normalized, await this.#current(resourceKey(normalized)));
    });
  }

  /**
   * `get` on an engine that reads synchronously: answered before it returns, no promise awaited
   * on the way (the four async steps of the general path were about 6% of a cold get). Nothing is
   * in flight for close to wait for, so it is not counted.
   */
  #getNow(ref: RefInput, getNow: (key: string) => Uint8Array | undefined): Promise<Resource> {
    // As `#run`: refused once closed, before it is timed.
    if (this.#closed) return Promise.reject(new StoreError('CLOSED', 'the store is closed'));
    const done = this.#metrics.time('get');
    try {
      const normalized = normalizeRef(ref);
      const key = resourceKey(normalized);
      const hit = this.#cache.get(key);
      if (hit) this.#metrics.cacheHits.inc();
      return Promise.resolve(found(normalized, hit ?? this.#readInto(key, this.#commits, undefined, getNow(key))));
    } catch (err) {
      return Promise.reject(err);
    } finally {
      done();
    }
  }

  /**
   * Reads a resource synchronously from this process's read cache: what `get` would return, or
   * undefined when the resource is not cached (absent, or not read or written lately; `get` it).
   * For a controller's reconcile loop, which reads the same resources over and over, as client-go's
   * listers read an informer's cache. The resource is frozen and shared by every caller until it
   * changes. On an engine other processes write to (PostgreSQL), the cache follows their writes as
   * this process learns of them (as its watchers do), so it may lag them by that much; `get`
   * reads the database. INVALID_ARGUMENT for a malformed ref, as `get`. A frozen ref (a resource's
   * own, as the store hands it out) is checked once and read again through the entry it found.
   */
  getCached(ref: RefInput): Resource | undefined {
    if (this.#closed) throw new StoreError('CLOSED', 'the store is closed');
    return typeof ref === 'object' && ref !== null ? this.#cache.resourceOf(ref, cacheKeyOf) : this.#cache.resource(cacheKeyOf(ref));
  }

  /**
   * Runs several writes as one: they apply in order, as if one after another, and land together at
   * consecutive revisions, or none does. The error of a failed operation names its index
   * (`details.index`). Returns each operation's result: a resource (the last state, for a delete),
   * a relationship, or undefined for an `unrelate` of an absent relationship with `ignoreMissing`.
   */
  batch(operations: readonly BatchOperation[]): Promise<BatchResult[]> {
    return this.#run('batch', async () => {
      if (!Array.isArray(operations)) throw invalidArgument('operations', 'must be an array');
      if (operations.length > MAX_BATCH) throw invalidArgument('operations', `must hold at most ${MAX_BATCH} operations`);
      const prepared = operations.map((operation, index) => atIndex(index, () => this.#prepareOperation(operation)));
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
      const fingerprint = queryFingerprint(plan.fingerprint);
      const from = query.continue === undefined ? undefined : this.#tokens.open(query.continue, fingerprint);
      if (from && from.scan >= plan.scans.length) throw invalidArgument('continue', 'does not fit this query');
      const snapshot = this.#engine.snapshot();
      try {
        const revision = await this.#engine.revisionAt(snapshot);
        const page = await readPage(plan.scans, {
          engine: this.#engine,
          snapshot,
          limit,
          from,
          load: (key, bytes) => this.#loadCandidate(key, bytes, (ref, labels) => matchesQuery(normalized, ref, labels)),
        });
        return { items: page.items, revision, ...(page.next ? { continue: this.#tokens.mint(fingerprint, page.next) } : {}) };
      } finally {
        await snapshot.close();
      }
    });
  }

  /**
   * Registers a predicate type of your own under its protobuf full name: any protobufjs message
   * type (a generated class or a reflected `protobuf.Type`). `OwnerReference` and
   * `PodNodeBinding` are always registered.
   */
  registerPredicate(fullName: string, type: PredicateType): void {
    this.#predicates.register(fullName, type);
    // Relationships of the type read before were decoded without it: what is held of them goes.
    this.#relationCache?.forgetAll();
  }

  /**
   * Registers a derivation rule of your own (see `DerivationRule`): from then on, every write of a
   * resource of the kinds it reads keeps the relationships it derives true, in the same
   * transaction. Resources stored before are derived when next written (or by `verify --repair`).
   * Its predicate type must be registered first. INVALID_ARGUMENT when the rule is malformed, or
   * its name or predicate type is taken.
   */
  registerRule(rule: DerivationRule): void {
    if (this.#closed) throw new StoreError('CLOSED', 'the store is closed');
    this.#rules.register(rule, 'rule');
  }

  /**
   * Adds relationships, all or none, each taking a revision. Adding a triple that exists (same
   * subject, predicate type and object) replaces its payload and `updatedAt`. Either end may name
   * a resource that is not stored.
   */
  addRelationships(...relationships: RelationshipInput[]): Promise<Relationship[]> {
    return this.#run('addRelationships', () => this.#relations.add(relationships));
  }

  /**
   * Deletes relationships, all or none; NOT_FOUND for an absent one unless the last argument is
   * `{ ignoreMissing: true }` (its result is then undefined). Returns their last states.
   */
  deleteRelationships(...args: Array<RelationshipInput | { ignoreMissing?: boolean }>): Promise<Array<Relationship | undefined>> {
    return this.#run('deleteRelationships', () => {
      const last = args.at(-1);
      const options = isObject(last) && !('subject' in (last as object)) ? (args.pop() as { ignoreMissing?: boolean }) : {};
      return this.#relations.delete(args as RelationshipInput[], options.ignoreMissing === true);
    });
  }

  /** Relationships by any combination of subject, predicate type and object, a page at a time. */
  getRelationships(query: RelationshipQuery = {}): Promise<RelationshipPage> {
    return this.#run('getRelationships', () => this.#relations.query(query));
  }

  /** The neighbourhood of a resource: nodes breadth first with their resources, and the edges between them. */
  traverse(options: TraverseOptions): Promise<Graph> {
    return this.#run('traverse', () => this.#relations.traverse(options));
  }

  /**
   * Every committed change matching `filter`, as an Observable of events in revision order, once
   * each. With `fromRevision`, the changes after it are replayed from the change log first, then
   * live ones follow with no gap and no duplicate; COMPACTED if the log no longer holds them.
   * Delivery is synchronous as changes commit; for slow asynchronous work, pipe through
   * `concatMapBounded`. Bad filters and options throw INVALID_ARGUMENT at once.
   *
   * @example
   * store.subscribe({ type: { version: 'v1', kind: 'Pod' }, namespace: 'web' }).subscribe((e) => console.log(e.type, e.resource.ref.name));
   */
  subscribe(filter?: WatchFilter, options?: WatchOptions): Observable<StoreEvent> {
    return subscribeEvents(this.#streams, filter, options);
  }

  /**
   * The same stream as an async iterable that the consumer pulls at its own pace: events wait in
   * a bounded buffer (`bufferSize`, default 10,000); past it the iteration throws OVERFLOW with
   * the revision to watch again from. Registers at once: no change after the call is missed.
   * `stopped` settles as soon as the subscription stops taking events (with the OVERFLOW error,
   * if that is why), for a consumer that is blocked elsewhere.
   *
   * @example
   * for await (const event of store.watch({ type: { version: 'v1', kind: 'Pod' } }, { fromRevision: page.revision })) { ... }
   */
  watch(filter?: WatchFilter, options?: WatchOptions): WatchIterator {
    return watchEvents(this.#streams, filter, options);
  }

  /**
   * Writes a consistent snapshot of every resource and relationship, as of one revision, in the
   * versioned, checksummed format of `src/snapshot/snapshot-format.ts`, line by line to `write`.
   */
  exportSnapshot(write: (text: string) => Promise<void> | void): Promise<{ revision: number; resources: number; relationships: number }> {
    return this.#run('exportSnapshot', () => exportSnapshot(this.#engine, new SnapshotWriter(write)));
  }

  /** Every type the store holds resources of, with how many, from the per-type counters (no scan). */
  types(): Array<Required<TypeDescriptor> & { readonly count: number }> {
    if (this.#closed) throw new StoreError('CLOSED', 'the store is closed');
    const types: Array<Required<TypeDescriptor> & { readonly count: number }> = [];
    for (const [name, count] of this.#engine.counters()) {
      const type = typeOfCounter(name);
      if (type && count > 0) types.push({ ...type, count });
    }
    return types;
  }

  /**
   * Checks, as of one snapshot (so writers may run), that data, indices, relationships, counters
   * and the change log agree: what `resource-store verify` reports, for a store in use.
   */
  verify(): Promise<VerifyReport> {
    return this.#run('verify', () => this.#atSnapshot((reader) => verifyIntegrity(reader, this.#rules)));
  }

  /** Counts by type and namespace, relationships, change-log size and bytes, as of one snapshot: what `resource-store stats` reports. */
  stats(): Promise<StoreStats> {
    return this.#run('stats', () => this.#atSnapshot(storeStats));
  }

  async #atSnapshot<T>(read: (reader: EngineReader) => Promise<T>): Promise<T> {
    const snapshot = this.#engine.snapshot();
    try {
      return await read(await readerAt(this.#engine, snapshot));
    } finally {
      await snapshot.close();
    }
  }

  /** Compacts the change log to its retention now (it also runs in the background); resolves to the entries removed. */
  compact(): Promise<number> {
    return this.#run('compact', () => this.#log.compact());
  }

  /**
   * Closes the store: calls made before it finish (their writes land), event streams end after
   * delivering every change committed, and every later call fails with CLOSED. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
      this.#router.close();
      await this.#log.close();
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
    return this.#run(operation, () => this.#execute([this.#resourceOperation(prepare())], false).then(([result]) => share(result as Resource)));
  }

  /** A resource write with what its content derives (content rules run here, before anything is read), and the keys it queues behind. */
  #resourceOperation(prepared: PreparedWrite): PreparedOperation {
    if (prepared.content === undefined) return { kind: 'resource', write: prepared, locks: [prepared.key], reads: () => [endCountKey(prepared.ref)] }; // a delete reads the count that guards the relationships it deletes
    const derivation = planDerivation(this.#rules, prepared.ref, prepared.content, jsonReader());
    const { labels } = prepared.content;
    return {
      kind: 'resource',
      write: { ...prepared, derivation },
      locks: [prepared.key, ...planLockKeys(derivation)],
      reads: () => planReadKeys(this.#rules, prepared.ref, labels, derivation),
    };
  }

  #prepareOperation(operation: BatchOperation): PreparedOperation {
    if (!isObject(operation)) throw invalidArgument('operation', 'must be an object');
    const resourceOp = (write: PreparedWrite): PreparedOperation => this.#resourceOperation(write);
    switch (operation.op) {
      case 'add':
      case 'update':
      case 'apply':
        return resourceOp(prepareWrite(operation.op, operation.resource, this.#maxDataBytes));
      case 'delete':
        return resourceOp(prepareDelete(operation.ref, operation));
      case 'relate': {
        const rel = this.#relations.prepare(operation.relationship, 'relationship');
        return {
          kind: 'relate',
          locks: this.#relations.lockKeys(rel),
          reads: () => this.#relations.readKeys({ subject: rel.subject, type: rel.predicate.type, object: rel.object }),
          run: (txn, now) => addRelationship(txn, rel, this.#predicates, now),
        };
      }
      case 'unrelate': {
        const triple = this.#relations.prepareTriple(operation.relationship, 'relationship');
        const ignore = operation.ignoreMissing === true;
        return {
          kind: 'unrelate',
          locks: this.#relations.lockKeys(triple),
          reads: () => this.#relations.readKeys(triple),
          run: (txn) => deleteRelationship(txn, triple, this.#predicates, ignore),
        };
      }
      default:
        throw invalidArgument('op', `must be add, update, apply, delete, relate or unrelate, got ${JSON.stringify((operation as { op: unknown }).op)}`);
    }
  }

  /**
   * Runs prepared operations in order in one transaction. A resource's outcome is read once the
   * transaction has committed, since the state it returns carries the revision of its change.
   */
  async #execute(operations: readonly PreparedOperation[], inBatch: boolean): Promise<BatchResult[]> {
    const outcomes = await this.#runner.run(
      operations.flatMap((operation) => operation.locks),
      () => operations.flatMap((operation) => operation.reads()),
      (txn, now) => {
        const ctx = this.#writeContext(now);
        const outcomes: Array<() => BatchResult> = [];
        const ran = eachInTurn(operations, (operation, index) => {
          const run = (): MaybePromise<() => BatchResult> => {
            switch (operation.kind) {
              case 'resource':
                return writeResource(txn, operation.write, ctx);
              case 'relate':
                return andThen(operation.run(txn, now), (relationship) => () => relationship);
              case 'unrelate':
                return operation.run(txn).then((relationship) => () => relationship);
            }
          };
          return andThen(inBatch ? atIndexMaybe(index, run) : run(), (outcome) => {
            outcomes.push(outcome);
          });
        });
        return andThen(ran, () => {
          txn.afterCommit(() => this.#commits++);
          return outcomes;
        });
      },
    );
    return outcomes.map((outcome) => outcome());
  }

  #writeContext(now: number): ResourceWriteContext {
    const ctx: ResourceWriteContext = {
      now,
      load: (txn, key) => {
        const read = txn.read(key);
        return read instanceof Promise ? read.then((bytes) => this.#loaded(key, bytes)) : this.#loaded(key, read);
      },
      remember: (key, entry) => {
        if (entry) this.#cache.set(key, entry);
        else this.#cache.delete(key);
      },
      deleteRelationshipsOf: (txn, ref) =>
        deleteRelationshipsOf(txn, ref, this.#predicates, (triple, derived) => keepOnDelete(this.#rules, ref, triple, derived)),
      derive: (txn, before, after, plan, json) =>
        deriveRelationships(txn, {
          rules: this.#rules,
          predicates: this.#predicates,
          now,
          json,
          labelsAt: async (txn, key) => (ctx.written.get(key)?.record ?? (await ctx.load(txn, key))?.record)?.labels,
        }, before, after, plan),
      written: new Map(),
    };
    return ctx;
  }

  /** The stored state a transaction read at `key` as `bytes`: the cached entry when it holds them, else decoded. */
  #loaded(key: string, bytes: Uint8Array | undefined): StoredResource | undefined {
    const cached = bytes === undefined ? undefined : this.#cache.peek(key);
    if (cached && bytes !== undefined && (cached.bytes === bytes || (this.#engine.shared && sameBytes(cached.bytes, bytes)))) {
      this.#metrics.cacheHits.inc(); // the transaction read these bytes from the cache
      return cached;
    }
    this.#metrics.cacheMisses.inc();
    return bytes === undefined ? undefined : { record: decodeRecord(bytes, key), bytes };
  }

  /**
   * The stored state of a key: from the cache, else from the engine (then cached, unless a commit
   * raced the read). On a shared engine the engine is always read (another process may have
   * written the key), and the cache only saves decoding bytes it already holds.
   */
  async #current(key: string): Promise<StoredResource | undefined> {
    const hit = this.#cache.get(key);
    if (hit && !this.#engine.shared) {
      this.#metrics.cacheHits.inc();
      return hit;
    }
    const commits = this.#commits;
    return this.#readInto(key, commits, hit, await this.#engine.get(key));
  }

  /**
   * The stored state of a key whose engine read, begun when `commits` batches had committed, gave
   * `bytes`: the cache's `hit` if it holds the same bytes, else decoded (and cached, unless a
   * commit raced the read).
   */
  #readInto(key: string, commits: number, hit: StoredResource | undefined, bytes: Uint8Array | undefined): StoredResource | undefined {
    if (hit && bytes !== undefined && sameBytes(hit.bytes, bytes)) {
      this.#metrics.cacheHits.inc();
      return hit;
    }
    this.#metrics.cacheMisses.inc();
    if (bytes === undefined) return undefined;
    if (commits !== this.#commits) return { record: decodeRecord(bytes, key), bytes };
    const owned = ownedBytes(bytes);
    const entry = { record: decodeRecord(owned, key), bytes: owned };
    this.#cache.set(key, entry);
    return entry;
  }

  /**
   * Other processes committed the revisions after `after` up to `upTo` (shared engines): their
   * changes are read from the change log, dropped from the read cache, and published, in order.
   * If the log no longer holds them (this process fell further behind than the retention), live
   * subscribers are failed with OVERFLOW so that they resume (and relist) rather than miss them.
   */
  async #followOthers(after: number, upTo: number): Promise<void> {
    let events: StoreEvent[];
    try {
      events = await this.#log.read(after, upTo);
    } catch (err) {
      if (!isStoreError(err, 'COMPACTED')) throw err;
      // What changed is lost: no cached state can be told current any more.
      this.#cache.clear();
      this.#relationCache?.forgetAll();
      this.#relationCache?.delivered(upTo);
      this.#router.loseAll();
      return;
    }
    for (const event of events) if (event.kind === 'resource') this.#cache.delete(resourceKey(event.resource.ref));
    this.#applyToRelations(events, upTo);
    this.#router.publish(events);
  }

  /** The relationship cache learns of the changes up to `upTo` (of which `events`), before any subscriber does. */
  #applyToRelations(events: readonly StoreEvent[], upTo: number): void {
    const cache = this.#relationCache;
    if (cache === undefined) return;
    if (cache.watching) cache.changed(relationshipsIn(events));
    cache.delivered(upTo);
  }

  /** A scanned resource: from the cached record when its bytes are the ones read, else decoded; undefined unless `accept` takes it. */
  #loadCandidate(
    key: string,
    bytes: Uint8Array,
    accept: (ref: Resource['ref'], labels: Readonly<Record<string, string>>) => boolean,
  ): Resource | undefined {
    const cached = this.#cache.peek(key);
    const record = cached && sameBytes(cached.bytes, bytes) ? cached.record : decodeRecord(bytes, key);
    return accept(record.ref, record.labels) ? toResource(record) : undefined;
  }
}

/** The relationship cache of a store, unless turned off. */
function relationCacheFor(options: RelationCacheOptions | undefined, revision: number): RelationCache | undefined {
  const maxQueries = options?.maxQueries ?? DEFAULT_RELATION_QUERIES;
  return maxQueries === 0 ? undefined : new RelationCache(maxQueries, options?.maxBytes ?? DEFAULT_RELATION_BYTES, revision);
}

/** The relationships a commit's events changed. */
function relationshipsIn(events: readonly StoreEvent[]): Relationship[] {
  const relationships: Relationship[] = [];
  for (const event of events) if (event.kind === 'relationship') relationships.push(event.relationship);
  return relationships;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/** A resource safe to hand to one caller when others hold it too (its events): frozen already, except protobuf bytes, which get a copy. */
function share(resource: Resource): Resource {
  if (!holdsBytes(resource)) return resource;
  const data = resource.data as AnyMessage;
  return Object.freeze({ ...resource, data: Object.freeze({ typeUrl: data.typeUrl, value: Uint8Array.from(data.value) }) });
}
