/**
 * Query planning for `list`: which prefix scans answer a query, and the test every candidate
 * must pass. A query's cost follows the entries its scans read, so the planner picks the
 * narrowest scan the indices allow:
 * 1. a label equality or `in` requirement: one label-index scan per value, narrowed to the type
 *    and namespace when the query names them (`/idx-label/app/web/apps/v1/Deployment/prod/`);
 * 2. else a type: the primary keys of the type, or of the type in the namespace;
 * 3. else a label `exists` requirement: the label-index scan of that key;
 * 4. else a namespace: the namespace index;
 * 5. else every resource.
 * Requirements the scan does not answer (`!=`, `notin`, `!key`, a second equality) are checked on
 * each candidate; those are the only queries whose cost can exceed their answer.
 *
 * A plan is a function of the query's canonical form (the selector's requirements in canonical
 * order, label-selector.ts), so queries that differ only in how they were written get the same
 * scans. A continue token fingerprints the canonical query together with the scans' prefixes:
 * it positions a page within one scan, and only ever continues the very scans it came from.
 */
import type { Scan } from './paged-scan.js';
import { ALL_RESOURCES_PREFIX, resourceKey, typePrefix } from '../model/resource-keys.js';
import type { ResourceRef, TypeDescriptor } from '../model/types.js';
import { labelPrefix, namespacePrefix, refOfIndexKey } from './index-keys.js';
import { canonicalSelector, formatSelector, matchesSelector, type LabelSelector, type SetRequirement } from './label-selector.js';

/** A validated list query. */
export interface NormalizedQuery {
  readonly type?: Required<TypeDescriptor>;
  readonly namespace?: string;
  readonly selector: LabelSelector;
}

/** An index entry's resource key. */
const resourceOfEntry = (indexKey: string): string => resourceKey(refOfIndexKey(indexKey));

/** How a query is answered. */
export interface QueryPlan {
  readonly scans: readonly Scan[];
  /** What continue tokens fingerprint: the canonical form of the query, and the prefixes of its scans. */
  readonly fingerprint: readonly unknown[];
}

/** The `in` requirement with fewest values; of equals, the first of the (canonical) selector. */
function drivingEquality(selector: LabelSelector): SetRequirement | undefined {
  let best: SetRequirement | undefined;
  for (const req of selector.requirements) {
    if (req.op === 'in' && req.values.length > 0 && (best === undefined || req.values.length < best.values.length)) {
      best = req;
    }
  }
  return best;
}

/** Plans a query (see the module comment for the order of preference). */
export function planQuery(query: NormalizedQuery): QueryPlan {
  const { type, namespace } = query;
  const selector = canonicalSelector(query.selector);
  const scans = planScans(type, namespace, selector);
  const canonical = [type?.group, type?.version, type?.kind, namespace, formatSelector(selector)];
  return { scans, fingerprint: [...canonical, scans.map((scan) => scan.prefix)] };
}

function planScans(type: Required<TypeDescriptor> | undefined, namespace: string | undefined, selector: LabelSelector): Scan[] {
  const equality = drivingEquality(selector);
  if (equality) {
    return equality.values.map((value) => ({
      prefix: labelPrefix(equality.key, value, type, type === undefined ? undefined : namespace),
      resolve: resourceOfEntry,
    }));
  }
  if (type) return [{ prefix: typePrefix(type, namespace) }];
  const exists = selector.requirements.find((req) => req.op === 'exists');
  if (exists) return [{ prefix: labelPrefix(exists.key), resolve: resourceOfEntry }];
  if (namespace !== undefined) return [{ prefix: namespacePrefix(namespace), resolve: resourceOfEntry }];
  return [{ prefix: ALL_RESOURCES_PREFIX }];
}

/** True when a resource with this ref and labels answers the query. */
export function matchesQuery(query: NormalizedQuery, ref: ResourceRef, labels: Readonly<Record<string, string>>): boolean {
  const { type, namespace } = query;
  if (type && (ref.kind !== type.kind || ref.version !== type.version || ref.group !== type.group)) return false;
  if (namespace !== undefined && ref.namespace !== namespace) return false;
  return matchesSelector(query.selector, labels);
}
