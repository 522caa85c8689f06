/**
 * Recomputing derived relationships from the stored resources, for `verify` and `repair`, with
 * point reads and prefix scans only (memory stays small): what a resource's content derives now
 * (its content rules, and for a Service the Pods its selector selects, through the label index),
 * and whether the producer of a stored derived relationship still derives it as stored. Rules the
 * checking process does not run (a caller's own, registered in another process) are not checked.
 */
import { labelPrefix, refOfIndexKey } from '../indices/index-keys.js';
import { isSelecting, jsonReader, SELECTED_TYPE, selectorOf, selects, type Selector } from '../indices/selector-index.js';
import { planDerivation } from '../relations/derivation.js';
import { SERVICE_SELECTS_RULE, type RuleSet } from '../relations/derivation-rules.js';
import { tripleKeys, type Triple } from '../relations/relation-keys.js';
import type { EngineReader } from '../storage/engine-reader.js';
import { prefixRange } from '../storage/key-codec.js';
import { decodeRecord, type ResourceRecord } from '../model/resource-codec.js';
import { resourceKey } from '../model/resource-keys.js';
import type { ResourceRef } from '../model/types.js';

/** The reads a check makes. */
export type Reader = Pick<EngineReader, 'get' | 'scanKeys'>;

/** A relationship a rule derives: its triple, its subject-order key, its rule, and its predicate's bytes. */
export interface ExpectedEdge {
  readonly triple: Triple;
  readonly key: string;
  readonly rule: string;
  readonly value: Uint8Array;
}

/** What a stored resource derives, or the message of the rule that fails on it. */
export async function derivedFrom(record: ResourceRecord, rules: RuleSet, reader: Reader): Promise<{ edges: ExpectedEdge[]; failure?: string }> {
  const json = jsonReader();
  const edges: ExpectedEdge[] = [];
  try {
    for (const { rule, edges: planned } of planDerivation(rules, record.ref, record, json)) {
      for (const edge of planned) edges.push(expected({ subject: edge.subject, type: rule.predicate, object: edge.object }, rule.name, edge.predicate.value));
    }
  } catch (err) {
    return { edges, failure: (err as Error).message };
  }
  const selectsRule = rules.selects ? rules.get(SERVICE_SELECTS_RULE)! : undefined;
  const selector = selectsRule !== undefined && isSelecting(record.ref) ? selectorOf(record.data, json) : undefined;
  if (selectsRule !== undefined && selector !== undefined) {
    const [key, value] = Object.entries(selector)[0]!;
    for await (const chunk of reader.scanKeys(prefixRange(labelPrefix(key, value, SELECTED_TYPE, record.ref.namespace)))) {
      for (const entry of chunk) {
        const pod = refOfIndexKey(entry);
        const labels = (await load(reader, pod))?.labels;
        if (labels !== undefined && selects(selector, labels)) {
          edges.push(expected({ subject: record.ref, type: selectsRule.predicate, object: pod }, SERVICE_SELECTS_RULE, selectsValue(rules, selector)));
        }
      }
    }
  }
  return { edges };
}

/**
 * Whether the producer of a stored relationship derived by `rule` still derives it with the
 * stored predicate bytes: `yes`, `no`, or `unknown` when this process does not run the rule.
 */
export async function stillDerived(triple: Triple, rule: string, value: Uint8Array, rules: RuleSet, reader: Reader): Promise<'yes' | 'no' | 'unknown'> {
  const active = rules.get(rule);
  if (active === undefined || active.predicate !== triple.type) return active === undefined ? 'unknown' : 'no';
  if (active.rule === undefined) {
    const [service, pod] = await Promise.all([load(reader, triple.subject), load(reader, triple.object)]);
    if (service === undefined || pod === undefined || !isSelecting(service.ref) || pod.ref.namespace !== service.ref.namespace) return 'no';
    if (pod.ref.group !== SELECTED_TYPE.group || pod.ref.version !== SELECTED_TYPE.version || pod.ref.kind !== SELECTED_TYPE.kind) return 'no';
    const selector = selectorOf(service.data, jsonReader());
    return selector !== undefined && selects(selector, pod.labels) && sameBytes(selectsValue(rules, selector), value) ? 'yes' : 'no';
  }
  const producer = await load(reader, active.direction === 'out' ? triple.subject : triple.object);
  if (producer === undefined) return 'no';
  const { edges } = await derivedFrom(producer, rules, reader);
  const [key] = tripleKeys(triple);
  return edges.some((edge) => edge.key === key && edge.rule === rule && sameBytes(edge.value, value)) ? 'yes' : 'no';
}

function expected(triple: Triple, rule: string, value: Uint8Array): ExpectedEdge {
  return { triple, key: tripleKeys(triple)[0], rule, value };
}

function selectsValue(rules: RuleSet, selector: Selector): Uint8Array {
  return rules.predicates.pack({ type: rules.get(SERVICE_SELECTS_RULE)!.predicate, value: { selector } }).value;
}

async function load(reader: Reader, ref: ResourceRef): Promise<ResourceRecord | undefined> {
  const key = resourceKey(ref);
  const bytes = await reader.get(key);
  if (bytes === undefined) return undefined;
  try {
    return decodeRecord(bytes, key);
  } catch {
    return undefined;
  }
}

export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.compare(a, b) === 0;
}
