/**
 * Derivation in the write path: when a resource is added or updated, the relationships its
 * content names are made true in the same transaction, through the ordinary relationship writes
 * (so their events follow the resource's, in the same revision sequence). The content rules run
 * as the write is prepared (they read the new content only), so a failing rule fails the write
 * before anything is read, and the write queues behind writes to the same other ends (whose
 * relationship counts it changes) instead of racing them. For each rule that reads the
 * resource's kind, the relationships it derives are compared with those stored as derived
 * by that rule at the resource's end (read through an exact prefix scan, guarded by the
 * resource's relationship count as every scan of its relationships is): stale ones are deleted,
 * new or changed ones written; a caller's own relationship of the same triple is left alone.
 * ServiceSelects is made from both ends: a Service write lists the Pods of its namespace with its
 * selector's first pair (label index, guarded as selector-index.ts says) and checks each; a Pod
 * write finds the Services filed under its labels in the selector index and checks each; a range
 * whose guard is absent is empty and is not scanned (selector-index.ts), and one whose guard
 * only this transaction wrote is listed from its own writes (`Transaction.keysWithPrefix`). Each
 * side skips the work when what it decides on (labels, selector) did not change. A delete needs
 * no derivation: it deletes the relationships naming the resource (`keepOnDelete` spares those
 * derived from the other end's content, which still names it).
 */
import { labelPrefix, refOfIndexKey } from '../indices/index-keys.js';
import {
  isSelected,
  isSelecting,
  labelGuardKey,
  refOfSelectsKey,
  sameSelector,
  SELECTED_TYPE,
  selectorOf,
  selectorOfEntry,
  selects,
  selectsGuardKey,
  selectsPrefix,
  type JsonReader,
  type Selector,
} from '../indices/selector-index.js';
import { encodeKey } from '../storage/key-codec.js';
import { deepFreeze, unpackData, type ResourceRecord } from '../model/resource-codec.js';
import { refFields } from '../model/refs.js';
import { resourceKey } from '../model/resource-keys.js';
import { andThen, eachInTurn, type MaybePromise } from '../txn/maybe-promise.js';
import type { Transaction } from '../txn/transaction.js';
import type { ResourceData, ResourceRef } from '../model/types.js';
import { SERVICE_SELECTS_RULE, type ContentRule, type PlannedEdge, type RuleSet } from './derivation-rules.js';
import type { PredicateRegistry } from './predicates.js';
import { timesOf } from './relation-codec.js';
import { endCountKey, POS, SPO, spoKey, tripleOfKey, type Triple } from './relation-keys.js';
import { addRelationship, deleteRelationship, listedRecord } from './relation-writes.js';

/** A resource state as a write sees it (its revision is made at commit). */
export type ResourceState = Omit<ResourceRecord, 'revision'>;

/** What derivation needs from the write around it. */
export interface DerivationContext {
  readonly rules: RuleSet;
  readonly predicates: PredicateRegistry;
  readonly now: number;
  readonly json: JsonReader;
  /** The labels of the resource at `key` as this transaction sees it (its own writes included), if stored. */
  labelsAt(txn: Transaction, key: string): Promise<Readonly<Record<string, string>> | undefined>;
}

/** What the content rules derive from a resource's new content: worked out before its transaction runs, since it depends on nothing stored. */
export type DerivationPlan = ReadonlyArray<{ readonly rule: ContentRule; readonly edges: readonly PlannedEdge[] }>;

/**
 * The plan of a resource written with `content`: each rule reading its kind, with what it derives.
 * Throws INVALID_ARGUMENT naming a rule that fails.
 */
export function planDerivation(rules: RuleSet, ref: ResourceRef, content: Pick<ResourceState, 'data' | 'labels' | 'annotations'>, json: JsonReader): DerivationPlan {
  const contentRules = rules.forKind(ref);
  if (contentRules.length === 0) return [];
  const parsed = json(content.data);
  const data = parsed === undefined ? unpackData(content.data) : deepFreeze(parsed as ResourceData);
  const source = Object.freeze({ ref, labels: content.labels, annotations: content.annotations, data });
  return contentRules.map((rule) => ({ rule, edges: rules.plan(rule, source) }));
}

/** The keys a write with this plan queues behind: the resource keys of the other ends (as relationship writes do). */
export function planLockKeys(plan: DerivationPlan): string[] {
  return plan.flatMap(({ edges }) => edges.flatMap((edge) => [resourceKey(edge.subject), resourceKey(edge.object)]));
}

/**
 * Keys a write of `ref` (with `labels`) and this plan is sure to read, for an engine on which
 * each read is a round trip (the write reads them together first): each planned edge's record
 * and both ends' relationship counts, and for a Pod, the guards of the selector entries its
 * labels may match.
 */
export function planReadKeys(rules: RuleSet, ref: ResourceRef, labels: Readonly<Record<string, string>>, plan: DerivationPlan): string[] {
  const keys = [endCountKey(ref)];
  for (const { rule, edges } of plan) {
    for (const edge of edges) keys.push(spoKey({ subject: edge.subject, type: rule.predicate, object: edge.object }), endCountKey(edge.subject), endCountKey(edge.object));
  }
  if (rules.selects && isSelected(ref)) for (const [key, value] of Object.entries(labels)) keys.push(selectsGuardKey(ref.namespace, key, value));
  return keys;
}

/**
 * Makes the derived relationships of a resource written from `before` (absent for an add) to
 * `after` true: those of `plan` (made from `after`'s content), and ServiceSelects. At once when
 * the transaction reads what it needs at once (a Pod's add, most often).
 */
export function deriveRelationships(
  txn: Transaction,
  ctx: DerivationContext,
  before: ResourceState | undefined,
  after: ResourceState,
  plan: DerivationPlan,
): MaybePromise<void> {
  const ref = after.ref;
  // A new resource has no derived edge at its end yet: its delete took every edge it derived. So
  // a rule that derives nothing from it has nothing to reconcile (most of a Pod's rules).
  const fresh = before === undefined;
  const planned = eachInTurn(plan, ({ rule, edges }) => (!fresh || edges.length > 0 ? reconcile(txn, ctx, ref, rule.predicate, rule.direction, rule.name, edges, fresh) : undefined));
  return ctx.rules.selects ? andThen(planned, () => deriveSelects(txn, ctx, before, after)) : planned;
}

/** ServiceSelects, made from the end `after` is: a Service's Pods, or a Pod's Services, when what decides it changed. */
function deriveSelects(txn: Transaction, ctx: DerivationContext, before: ResourceState | undefined, after: ResourceState): MaybePromise<void> {
  const ref = after.ref;
  const fresh = before === undefined;
  const predicate = ctx.rules.get(SERVICE_SELECTS_RULE)!.predicate;
  if (isSelecting(ref)) {
    const selector = selectorOf(after.data, ctx.json);
    if (before !== undefined && sameSelector(selectorOf(before.data, ctx.json), selector)) return;
    return andThen(selector === undefined ? [] : selectedBy(txn, ctx, ref.namespace, selector), (pods) =>
      reconcile(txn, ctx, ref, predicate, 'out', SERVICE_SELECTS_RULE, pods.map((pod) => selectsEdge(ctx, predicate, ref, selector!, pod)), fresh),
    );
  }
  if (!isSelected(ref) || (before !== undefined && sameLabels(before.labels, after.labels))) return;
  return andThen(selecting(txn, ref.namespace, after.labels), (services) =>
    !fresh || services.length > 0 ? reconcile(txn, ctx, ref, predicate, 'in', SERVICE_SELECTS_RULE, services.map(([service, selector]) => selectsEdge(ctx, predicate, service, selector, ref)), fresh) : undefined,
  );
}

/**
 * Whether deleting `deleted` keeps a relationship naming it: one derived by a content rule from
 * the other end, whose content still names the deleted resource.
 */
export function keepOnDelete(rules: RuleSet, deleted: ResourceRef, triple: Triple, derived: string | undefined): boolean {
  const rule = derived === undefined ? undefined : rules.get(derived);
  if (rule?.rule === undefined) return false;
  const producer = rule.direction === 'out' ? triple.subject : triple.object;
  return resourceKey(producer) !== resourceKey(deleted);
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && b[key] === a[key]);
}

function selectsEdge(ctx: DerivationContext, predicate: string, service: ResourceRef, selector: Selector, pod: ResourceRef): PlannedEdge {
  return { subject: service, predicate: ctx.predicates.pack({ type: predicate, value: { selector } }), object: pod };
}

/** The Pods of `namespace` that `selector` selects: those with its first pair, checked whole. */
async function selectedBy(txn: Transaction, ctx: DerivationContext, namespace: string, selector: Selector): Promise<ResourceRef[]> {
  const [key, value] = Object.entries(selector)[0]!;
  // No guard: no Pod of the namespace ever carried the pair, so the range is empty.
  const guard = labelGuardKey(SELECTED_TYPE, namespace, key, value);
  if (!(await txn.guard(guard))) return [];
  const pods: ResourceRef[] = [];
  for (const entry of (await txn.keysWithPrefix(labelPrefix(key, value, SELECTED_TYPE, namespace), guard)).sort()) {
    const pod = refOfIndexKey(entry);
    const labels = await ctx.labelsAt(txn, resourceKey(pod));
    if (labels !== undefined && selects(selector, labels)) pods.push(pod);
  }
  return pods;
}

/** A label pair under which some selector is filed, with the guard of its range (read). */
interface FiledPair {
  readonly key: string;
  readonly value: string;
  readonly guard: string;
}

/**
 * The Services of `namespace` whose selectors `labels` match: those filed under one of the
 * labels, checked whole. At once when no selector was ever filed under any of them.
 */
function selecting(txn: Transaction, namespace: string, labels: Readonly<Record<string, string>>): MaybePromise<Array<[ResourceRef, Selector]>> {
  const filed: FiledPair[] = [];
  // No guard: no selector was ever filed under the pair, so there is nothing to scan (and no
  // empty range scanned, which in LevelDB can walk the tombstones of whatever follows it).
  const guarded = eachInTurn(Object.entries(labels), ([key, value]) => {
    const guard = selectsGuardKey(namespace, key, value);
    return andThen(txn.guard(guard), (present) => {
      if (present) filed.push({ key, value, guard });
    });
  });
  return andThen(guarded, () => (filed.length === 0 ? [] : selectorsFiledUnder(txn, namespace, labels, filed)));
}

/** The Services filed under the label pairs `filed` (in `namespace`) whose selectors `labels` match. */
async function selectorsFiledUnder(txn: Transaction, namespace: string, labels: Readonly<Record<string, string>>, filed: readonly FiledPair[]): Promise<Array<[ResourceRef, Selector]>> {
  const found: Array<[ResourceRef, Selector]> = [];
  for (const { key, value, guard } of filed) {
    for (const entry of (await txn.keysWithPrefix(selectsPrefix(namespace, key, value), guard)).sort()) {
      const stored = await txn.read(entry);
      if (stored === undefined) continue;
      const selector = selectorOfEntry(stored);
      if (selects(selector, labels)) found.push([refOfSelectsKey(entry), selector]);
    }
  }
  return found;
}

/**
 * Makes the relationships `rule` derived at `ref`'s end (`out`: as subject, `in`: as object) be
 * exactly `planned`: deletes the stored ones it no longer derives, then writes the planned ones.
 */
function reconcile(
  txn: Transaction,
  ctx: DerivationContext,
  ref: ResourceRef,
  predicate: string,
  direction: 'out' | 'in',
  rule: string,
  planned: readonly PlannedEdge[],
  fresh: boolean,
): MaybePromise<void> {
  const add = (): MaybePromise<void> => eachInTurn(planned, (edge) => addRelationship(txn, edge, ctx.predicates, ctx.now, rule));
  return fresh ? add() : deleteStale(txn, ctx, ref, predicate, direction, rule, planned).then(add);
}

/** Deletes the relationships `rule` derived at `ref`'s end that are not in `planned`. */
async function deleteStale(txn: Transaction, ctx: DerivationContext, ref: ResourceRef, predicate: string, direction: 'out' | 'in', rule: string, planned: readonly PlannedEdge[]): Promise<void> {
  const wanted = new Set(planned.map((edge) => spoKey({ subject: edge.subject, type: predicate, object: edge.object })));
  for (const triple of await storedDerived(txn, ref, predicate, direction, rule)) {
    if (!wanted.has(spoKey(triple))) await deleteRelationship(txn, triple, ctx.predicates, false, false);
  }
}

/** The relationships stored as derived by `rule` at `ref`'s end, in key order. */
async function storedDerived(txn: Transaction, ref: ResourceRef, predicate: string, direction: 'out' | 'in', rule: string): Promise<Triple[]> {
  // The count guards the scan: any change to a relationship naming `ref` gives it a new value
  // (end-count.ts), so a relationship deleted since the scan fails the commit.
  const countKey = endCountKey(ref);
  const count = txn.read(countKey);
  if ((count instanceof Promise ? await count : count) === undefined) return [];
  const prefix = direction === 'out' ? encodeKey(SPO, ...refFields(ref), predicate) : encodeKey(POS, predicate, ...refFields(ref));
  const triples: Triple[] = [];
  for (const key of (await txn.keysWithPrefix(prefix, countKey)).sort()) {
    const triple = tripleOfKey(key);
    const spo = spoKey(triple);
    const stored = await listedRecord(txn, spo, countKey, key);
    if (stored !== undefined && timesOf(stored, spo).derived === rule) triples.push(triple);
  }
  return triples;
}
