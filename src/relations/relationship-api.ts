/**
 * The relationship half of the store's API: validating relationship input, adding and deleting
 * triples as one transaction, paged queries by any combination of subject, predicate and object,
 * and traversal. The ResourceStore exposes these methods; batches mix them with resource writes.
 */
import type { ContinuePosition, ContinueTokens } from '../indices/continue-token.js';
import { queryFingerprint } from '../indices/continue-token.js';
import type { Engine, EngineSnapshot } from '../storage/engine.js';
import { invalidArgument } from '../storage/errors.js';
import { REVISION_KEY } from '../storage/key-catalogue.js';
import { decodeNumber } from '../storage/number-codec.js';
import { readPage } from '../indices/paged-scan.js';
import { resourceKey } from '../model/resource-keys.js';
import { andThen, eachInTurn } from '../txn/maybe-promise.js';
import type { TransactionRunner } from '../txn/transaction-runner.js';
import type { Resource } from '../model/types.js';
import { isRecord, normalizeCount, normalizeRef } from '../model/validate.js';
import type { PredicateRegistry } from './predicates.js';
import { decodeRelationship } from './relation-codec.js';
import { endCountKey, spoKey, type Triple } from './relation-keys.js';
import { planRelationshipQuery } from './relation-query.js';
import type { RelationCache, ScanAnswer } from './relation-cache.js';
import { addRelationship, deleteRelationship, type PreparedRelationship } from './relation-writes.js';
import { traverse } from './traverse.js';
import type { Graph, Relationship, RelationshipInput, RelationshipPage, RelationshipQuery, TraverseOptions } from '../model/relationship-types.js';

/** What the relationship API works with. */
export interface RelationshipDeps {
  readonly engine: Engine;
  readonly runner: TransactionRunner;
  readonly tokens: ContinueTokens;
  readonly predicates: PredicateRegistry;
  readonly maxListLimit: number;
  /** A resource from bytes read under its key (the cached object when the bytes match). */
  readonly loadResource: (key: string, bytes: Uint8Array) => Resource;
  /** The answers of recent scans one resource bounds; none when turned off. */
  readonly cache: RelationCache | undefined;
}

/** The revision the database is at now: one read (a round trip on PostgreSQL). */
async function databaseRevision(engine: Engine): Promise<number> {
  return decodeNumber(await engine.get(REVISION_KEY), 'the store revision');
}

/**
 * A page of a held answer, as `readPage` would read it from the scan: from after the continue
 * position, at most `limit` items, and where the next page starts if more remain. Undefined when
 * the position is not a key of the answer (it was read from an earlier state of the scan): the
 * scan answers it.
 */
function pageOfAnswer(answer: ScanAnswer, limit: number | undefined, from: ContinuePosition | undefined): { items: Relationship[]; next?: ContinuePosition } | undefined {
  let start = 0;
  if (from !== undefined && from.after !== '') {
    start = answer.keys.indexOf(from.after) + 1;
    if (start === 0) return undefined;
  }
  const end = limit === undefined ? answer.items.length : Math.min(answer.items.length, start + limit);
  const items = answer.items.slice(start, end);
  return end < answer.items.length ? { items, next: { scan: 0, after: answer.keys[end - 1]! } } : { items };
}

const DEFAULT_DEPTH = 3;
const MAX_DEPTH = 64;
const DEFAULT_NODES = 1000;
const MAX_NODES = 100_000;
const MAX_RELATIONSHIPS_PER_CALL = 10_000;

export class RelationshipApi {
  readonly #deps: RelationshipDeps;

  constructor(deps: RelationshipDeps) {
    this.#deps = deps;
  }

  /** Validates a relationship to add. */
  prepare(input: RelationshipInput, field: string): PreparedRelationship {
    if (!isRecord(input)) throw invalidArgument(field, 'must be { subject, predicate, object }');
    return {
      subject: normalizeRef(input.subject, `${field}.subject`),
      predicate: this.#deps.predicates.pack(input.predicate, `${field}.predicate`),
      object: normalizeRef(input.object, `${field}.object`),
    };
  }

  /** Validates a relationship to delete: only its ends and its predicate's type matter. */
  prepareTriple(input: RelationshipInput, field: string): Triple {
    if (!isRecord(input)) throw invalidArgument(field, 'must be { subject, predicate, object }');
    const predicate = input.predicate as unknown;
    if (!isRecord(predicate)) throw invalidArgument(`${field}.predicate`, 'must be { type } or a protobuf Any');
    const name = typeof predicate.typeUrl === 'string' ? predicate.typeUrl.slice(predicate.typeUrl.lastIndexOf('/') + 1) : predicate.type;
    return {
      subject: normalizeRef(input.subject, `${field}.subject`),
      type: this.#deps.predicates.resolve(name, `${field}.predicate`),
      object: normalizeRef(input.object, `${field}.object`),
    };
  }

  /** The keys a write of this relationship queues behind: the resource keys of both its ends. */
  lockKeys(rel: { subject: Triple['subject']; object: Triple['object'] }): string[] {
    return [resourceKey(rel.subject), resourceKey(rel.object)];
  }

  /** The keys a write of `triple` is sure to read: its record and its ends' counts (read together first on a shared engine). */
  readKeys(triple: Triple): string[] {
    return [spoKey(triple), endCountKey(triple.subject), endCountKey(triple.object)];
  }

  #checkCount(count: number): void {
    if (count === 0) throw invalidArgument('relationships', 'name at least one relationship');
    if (count > MAX_RELATIONSHIPS_PER_CALL) throw invalidArgument('relationships', `name at most ${MAX_RELATIONSHIPS_PER_CALL}`);
  }

  async add(inputs: readonly RelationshipInput[]): Promise<Relationship[]> {
    this.#checkCount(inputs.length);
    const rels = inputs.map((input, i) => this.prepare(input, `relationships[${i}]`));
    const { runner, predicates } = this.#deps;
    const reads = (): string[] => rels.flatMap((rel) => this.readKeys({ subject: rel.subject, type: rel.predicate.type, object: rel.object }));
    return runner.run(rels.flatMap((rel) => this.lockKeys(rel)), reads, (txn, now) => {
      const added: Relationship[] = [];
      const adding = eachInTurn(rels, (rel) =>
        andThen(addRelationship(txn, rel, predicates, now), (relationship) => {
          added.push(relationship);
        }),
      );
      return andThen(adding, () => added);
    });
  }

  async delete(inputs: readonly RelationshipInput[], ignoreMissing: boolean): Promise<Array<Relationship | undefined>> {
    this.#checkCount(inputs.length);
    const triples = inputs.map((input, i) => this.prepareTriple(input, `relationships[${i}]`));
    const { runner, predicates } = this.#deps;
    return runner.run(triples.flatMap((triple) => this.lockKeys(triple)), () => triples.flatMap((triple) => this.readKeys(triple)), async (txn) => {
      const deleted: Array<Relationship | undefined> = [];
      for (const triple of triples) deleted.push(await deleteRelationship(txn, triple, predicates, ignoreMissing));
      return deleted;
    });
  }

  async query(query: RelationshipQuery): Promise<RelationshipPage> {
    if (!isRecord(query)) throw invalidArgument('query', 'must be an object');
    const { engine, tokens, predicates } = this.#deps;
    const limit = normalizeCount(query.limit, 'limit', this.#deps.maxListLimit);
    const plan = planRelationshipQuery(query, (name, field) => predicates.resolve(name, field));
    const fingerprint = queryFingerprint(plan.fingerprint);
    const from = query.continue === undefined ? undefined : tokens.open(query.continue, fingerprint);
    if (from && from.scan !== 0) throw invalidArgument('continue', 'does not fit this query');
    const cache = plan.end === undefined ? undefined : this.#deps.cache;
    const held = cache?.get(plan.prefix);
    const heldPage = held && pageOfAnswer(held, limit, from);
    // A held answer is the state at the revision the cache has applied changes up to; on a shared
    // engine, the latest committed only if the database is at that revision still.
    if (heldPage !== undefined && (!engine.shared || ((await databaseRevision(engine)) === cache!.upTo && cache!.holds(plan.prefix, held!)))) {
      cache!.answered(true);
      return { items: heldPage.items, revision: cache!.upTo, ...(heldPage.next ? { continue: tokens.mint(fingerprint, heldPage.next) } : {}) };
    }
    cache?.answered(false);
    // A whole answer read from the start is offered to the cache, with the keys its pages continue after.
    const keys: string[] | undefined = cache && from === undefined ? [] : undefined;
    const tick = keys && cache!.startScans();
    let snapshot: EngineSnapshot | undefined;
    try {
      snapshot = engine.snapshot();
      const revision = await engine.revisionAt(snapshot);
      const page = await readPage([{ prefix: plan.prefix }], {
        engine,
        snapshot,
        limit,
        from,
        load: (key, bytes) => {
          keys?.push(key);
          return decodeRelationship(bytes, key, predicates);
        },
      });
      // Kept only once every commit the snapshot holds has been delivered (and so has marked its ends).
      if (keys && page.next === undefined && cache!.upTo >= revision) cache!.keep(plan.prefix, plan.end!, tick!, { keys, items: page.items.slice() });
      return { items: page.items, revision, ...(page.next ? { continue: tokens.mint(fingerprint, page.next) } : {}) };
    } finally {
      if (keys) cache!.endScans();
      await snapshot?.close();
    }
  }

  async traverse(options: TraverseOptions): Promise<Graph> {
    if (!isRecord(options)) throw invalidArgument('options', 'must be an object with from');
    const direction = options.direction ?? 'out';
    if (direction !== 'out' && direction !== 'in' && direction !== 'both') {
      throw invalidArgument('direction', `must be out, in or both, got ${JSON.stringify(direction)}`);
    }
    let predicates: string[] | undefined;
    if (options.predicates !== undefined) {
      if (!Array.isArray(options.predicates)) throw invalidArgument('predicates', 'must be an array of predicate types');
      predicates = [...new Set(options.predicates.map((name, i) => this.#deps.predicates.resolve(name, `predicates[${i}]`)))];
    }
    const maxDepth = options.maxDepth === 0 ? 0 : (normalizeCount(options.maxDepth, 'maxDepth', MAX_DEPTH) ?? DEFAULT_DEPTH);
    return traverse(
      {
        from: normalizeRef(options.from, 'from'),
        out: direction !== 'in',
        in: direction !== 'out',
        predicates,
        maxDepth,
        limit: normalizeCount(options.limit, 'limit', MAX_NODES) ?? DEFAULT_NODES,
      },
      { engine: this.#deps.engine, predicates: this.#deps.predicates, loadResource: this.#deps.loadResource, cache: this.#deps.cache },
    );
  }
}
