/**
 * Reading Kubernetes objects as `kubectl get -o json|yaml` and `kubectl cluster-info dump` write
 * them: a JSON `List`, a typed list (`PodList`, whose items may carry no `kind` or `apiVersion`),
 * a bare JSON array, a single object, or multi-document YAML mixing all of these. Each object
 * comes with where it was found (document and item index), and each document that cannot be read
 * becomes a rejection with its reason, so one bad document never loses the good ones.
 */
import { parseAllDocuments } from 'yaml';

/** Where an object was found in a file. */
export interface Origin {
  readonly file: string;
  /** The document's index in the file (0 for a JSON file). */
  readonly document: number;
  /** The item's index in its list, when it came from one. */
  readonly item?: number;
}

/** A Kubernetes object read from a file. */
export interface KubernetesObject {
  readonly origin: Origin;
  readonly object: Record<string, unknown>;
}

/** A document or item that could not be read, and why. */
export interface Rejection {
  readonly origin: Origin;
  readonly reason: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Flattens one parsed document into objects, filling in the kind and apiVersion of typed-list items. */
function flatten(value: unknown, origin: Origin, objects: KubernetesObject[], rejections: Rejection[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => flattenItem(item, { ...origin, item: i }, undefined, objects, rejections));
    return;
  }
  if (!isObject(value)) {
    if (value !== null && value !== undefined) rejections.push({ origin, reason: 'the document is not an object' });
    return;
  }
  const kind = value.kind;
  if (Array.isArray(value.items) && (kind === undefined || (typeof kind === 'string' && kind.endsWith('List')))) {
    const itemKind = typeof kind === 'string' && kind !== 'List' ? kind.slice(0, -'List'.length) : undefined;
    const defaults = { kind: itemKind, apiVersion: typeof value.apiVersion === 'string' ? value.apiVersion : undefined };
    value.items.forEach((item, i) => flattenItem(item, { ...origin, item: i }, defaults, objects, rejections));
    return;
  }
  flattenItem(value, origin, undefined, objects, rejections);
}

function flattenItem(
  item: unknown,
  origin: Origin,
  defaults: { kind: string | undefined; apiVersion: string | undefined } | undefined,
  objects: KubernetesObject[],
  rejections: Rejection[],
): void {
  if (!isObject(item)) {
    rejections.push({ origin, reason: 'the item is not an object' });
    return;
  }
  if (defaults && (item.kind === undefined || item.apiVersion === undefined)) {
    item = {
      ...(item.apiVersion === undefined && defaults.apiVersion !== undefined ? { apiVersion: defaults.apiVersion } : {}),
      ...(item.kind === undefined && defaults.kind !== undefined ? { kind: defaults.kind } : {}),
      ...item,
    };
  }
  objects.push({ origin, object: item as Record<string, unknown> });
}

/** Reads the objects of one file's text. JSON is tried first; anything else is read as YAML. */
export function readKubernetesObjects(file: string, text: string): { objects: KubernetesObject[]; rejections: Rejection[] } {
  const objects: KubernetesObject[] = [];
  const rejections: Rejection[] = [];
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      flatten(JSON.parse(text), { file, document: 0 }, objects, rejections);
      return { objects, rejections };
    } catch {
      // Not one JSON value: it may be a YAML stream whose first document is JSON text.
    }
  }
  parseAllDocuments(text).forEach((doc, document) => {
    const origin = { file, document };
    if ('errors' in doc && doc.errors.length > 0) {
      rejections.push({ origin, reason: `not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}` });
      return;
    }
    try {
      flatten(doc.toJS({ maxAliasCount: 1000 }), origin, objects, rejections);
    } catch (err) {
      rejections.push({ origin, reason: `cannot be read: ${(err as Error).message}` });
    }
  });
  return { objects, rejections };
}
