/**
 * When a resource's content is unchanged, for `apply`: equal content is equal whatever order its
 * keys were written in. Labels and annotations are compared as maps; JSON data as JSON values, in
 * which objects are maps too (arrays keep their order); any other data by its bytes. The common
 * cases stay cheap: identical bytes are equal at once, and JSON texts of different lengths are
 * never equal (reordering an object's members does not change the length of its text), so only
 * texts of one length that differ are parsed.
 */
import { JSON_TYPE_URL, jsonText, type PackedData } from './resource-codec.js';

/** What apply compares: a resource's data, labels and annotations. */
export interface ResourceContent {
  readonly data: PackedData;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** True when `a` and `b` hold equal content (see the module comment). */
export function sameContent(a: ResourceContent, b: ResourceContent): boolean {
  return sameMap(a.labels, b.labels) && sameMap(a.annotations, b.annotations) && sameData(a.data, b.data);
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

function sameData(a: PackedData, b: PackedData): boolean {
  if (a.typeUrl !== b.typeUrl) return false;
  if (sameBytes(a.value, b.value)) return true;
  if (a.typeUrl !== JSON_TYPE_URL) return false;
  const textA = jsonText(a);
  const textB = jsonText(b);
  return textA.length === textB.length && sameJson(JSON.parse(textA), JSON.parse(textB));
}

/** Deep equality of parsed JSON values, objects compared as maps; iterative, so any depth is safe. */
function sameJson(left: unknown, right: unknown): boolean {
  const pending: Array<[unknown, unknown]> = [[left, right]];
  while (pending.length > 0) {
    const [a, b] = pending.pop()!;
    if (a === b) continue;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a)) {
      const other = b as unknown[];
      if (a.length !== other.length) return false;
      for (let i = 0; i < a.length; i++) pending.push([a[i], other[i]]);
    } else {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const keys = Object.keys(x);
      if (keys.length !== Object.keys(y).length) return false;
      for (const key of keys) {
        if (!Object.hasOwn(y, key)) return false;
        pending.push([x[key], y[key]]);
      }
    }
  }
  return true;
}
