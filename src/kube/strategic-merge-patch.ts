/**
 * JSON merge patches (RFC 7386) and the part of Kubernetes' strategic merge patch that kubectl's
 * client-side apply, `kubectl label|annotate|scale|set image` and controllers send for built-in kinds.
 *
 * A merge patch replaces what it names, deletes what it sets to null, and recurses into objects;
 * lists are replaced whole. A strategic merge patch differs where lists are concerned: a list of
 * objects with a merge key (`containers` by `name`, `volumeMounts` by `mountPath`, container
 * `ports` by `containerPort`, Service `ports` by `port`, ...) is merged element by element, and
 * `finalizers` by value; the directives `$patch` (`replace`, `delete`, `merge`), `$retainKeys`,
 * `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` are honoured. Kubernetes takes
 * merge keys from each type's Go schema; this server has none, so they come from a table of the
 * list field names Kubernetes merges by key, whatever the kind. A list not in the table is
 * replaced, as a merge patch does. Neither function changes its arguments, and a `__proto__` key
 * is copied as data, never as a prototype.
 */
import type { JsonObject } from '../model/types.js';

function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets a key as an own property, even `__proto__`. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Applies an RFC 7386 merge patch. A patch that is not an object replaces the target.
 *
 * @example mergePatch({ a: 1, b: { c: 2 } }, { b: { c: null, d: 3 } }) // { a: 1, b: { d: 3 } }
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else put(result, key, mergePatch(result[key], value));
  }
  return result;
}

/** The key by which Kubernetes merges the elements of each list field, by field name. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  schedulingGates: 'name',
};

/** Lists of values Kubernetes merges as sets. */
const SET_LISTS = new Set(['finalizers']);

function mergeKeyOf(field: string, elements: readonly unknown[]): string | undefined {
  if (field === 'ports') return elements.some((e) => isRecord(e) && e.containerPort !== undefined) ? 'containerPort' : 'port';
  return MERGE_KEYS[field];
}

const DELETE = Symbol('delete');

/** A patch object with its directives removed, as stored when nothing is there to merge with. */
function withoutDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((e) => !(isRecord(e) && e.$patch === 'delete')).map(withoutDirectives);
  if (!isRecord(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$')) continue;
    if (item !== null) put(result, key, withoutDirectives(item));
  }
  return result;
}

function sameKey(a: unknown, b: unknown, key: string): boolean {
  return isRecord(a) && isRecord(b) && a[key] !== undefined && a[key] === b[key];
}

function mergeList(field: string, original: unknown, patch: readonly unknown[]): unknown[] {
  const current = Array.isArray(original) ? original : [];
  if (SET_LISTS.has(field) && patch.every((e) => !isRecord(e))) return [...current, ...patch.filter((e) => !current.includes(e))];
  const key = mergeKeyOf(field, [...patch, ...current]);
  if (key === undefined || !patch.every(isRecord) || patch.some((e) => isRecord(e) && e.$patch === 'replace')) {
    return withoutDirectives(patch.filter((e) => !(isRecord(e) && e.$patch === 'replace'))) as unknown[];
  }
  const result = [...current];
  for (const element of patch) {
    const at = result.findIndex((item) => sameKey(item, element, key));
    const merged = mergeObject(at >= 0 ? result[at] : undefined, element as JsonObject);
    if (merged === DELETE) {
      if (at >= 0) result.splice(at, 1);
    } else if (at >= 0) result[at] = merged;
    else result.push(merged);
  }
  return result;
}

/** Orders `list` as `order` says (by merge key, or by value), the elements `order` does not name after, as they were. */
function reorder(list: unknown, order: unknown, field: string): unknown {
  if (!Array.isArray(list) || !Array.isArray(order)) return list;
  const key = mergeKeyOf(field, list);
  const position = (item: unknown): number => {
    const at = order.findIndex((o) => (key !== undefined && isRecord(o) ? sameKey(item, o, key) : o === item));
    return at < 0 ? order.length : at;
  };
  return list.map((item, index) => ({ item, index })).sort((a, b) => position(a.item) - position(b.item) || a.index - b.index).map((e) => e.item);
}

function mergeObject(original: unknown, patch: JsonObject): Record<string, unknown> | typeof DELETE {
  if (patch.$patch === 'delete') return DELETE;
  if (patch.$patch === 'replace') return withoutDirectives(patch) as Record<string, unknown>;
  const result: Record<string, unknown> = isRecord(original) ? { ...original } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const list = result[field];
      if (Array.isArray(list) && Array.isArray(value)) put(result, field, list.filter((item) => !value.includes(item)));
    } else if (key.startsWith('$')) {
      continue;
    } else if (value === null) {
      delete result[key];
    } else if (Array.isArray(value)) {
      put(result, key, mergeList(key, result[key], value));
    } else if (isRecord(value)) {
      const merged = mergeObject(result[key], value);
      if (merged === DELETE) delete result[key];
      else put(result, key, merged);
    } else {
      put(result, key, value);
    }
  }
  for (const [key, order] of Object.entries(patch)) {
    if (key.startsWith('$setElementOrder/')) {
      const field = key.slice('$setElementOrder/'.length);
      if (field in result) put(result, field, reorder(result[field], order, field));
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys);
    for (const key of Object.keys(result)) if (!keep.has(key)) delete result[key];
  }
  return result;
}

/**
 * Applies a strategic merge patch (an object) to an object.
 *
 * @example
 * strategicMergePatch(
 *   { spec: { containers: [{ name: 'a', image: 'x:1', ports: [{ containerPort: 80 }] }] } },
 *   { spec: { containers: [{ name: 'a', image: 'x:2' }] } },
 * ) // { spec: { containers: [{ name: 'a', image: 'x:2', ports: [{ containerPort: 80 }] }] } }
 */
export function strategicMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const merged = mergeObject(target, patch);
  return merged === DELETE ? {} : merged;
}
