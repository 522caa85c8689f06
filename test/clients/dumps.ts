/**
 * The real cluster dumps of test/fixtures/k8s-dumps as the client tests use them: every object of
 * a dump (read on its own, with the `yaml` package, not with the importer under test), the last
 * object under each identity, and an object turned back into the manifest a `kubectl apply` user
 * would write (no status, no fields the server owns).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The directory of the dumps. */
export const DUMPS_DIR = fileURLToPath(new URL('../fixtures/k8s-dumps/', import.meta.url));

/** A Kubernetes object, as parsed. */
export type KubeObject = Record<string, any>;

/** The dump files (JSON and YAML), by name. */
export function dumpFiles(): string[] {
  return readdirSync(DUMPS_DIR)
    .filter((name) => /\.(json|ya?ml)$/.test(name))
    .sort();
}

function flatten(value: unknown, into: KubeObject[]): void {
  if (Array.isArray(value)) {
    for (const item of value) flatten(item, into);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const object = value as KubeObject;
  if (Array.isArray(object.items) && (object.kind === undefined || String(object.kind).endsWith('List'))) {
    const itemKind = typeof object.kind === 'string' && object.kind !== 'List' ? object.kind.slice(0, -'List'.length) : undefined;
    for (const item of object.items as KubeObject[]) {
      into.push({ ...(item.apiVersion === undefined ? { apiVersion: object.apiVersion } : {}), ...(item.kind === undefined ? { kind: itemKind } : {}), ...item });
    }
    return;
  }
  into.push(object);
}

/** Every object of a dump, in file order. */
export function dumpObjects(name: string): KubeObject[] {
  const text = readFileSync(DUMPS_DIR + name, 'utf8');
  const objects: KubeObject[] = [];
  if (name.endsWith('.json')) flatten(JSON.parse(text), objects);
  else for (const document of parseAllDocuments(text)) flatten(document.toJS(), objects);
  return objects;
}

/** `apiVersion/kind/namespace/name`: an object's identity in a store. */
export function identity(object: KubeObject): string {
  return `${object.apiVersion}/${object.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;
}

/** The objects of a dump with the last one kept where several share an identity (as an import keeps it). */
export function lastOfEach(objects: readonly KubeObject[]): Map<string, KubeObject> {
  const byIdentity = new Map<string, KubeObject>();
  for (const object of objects) {
    byIdentity.delete(identity(object));
    byIdentity.set(identity(object), object);
  }
  return byIdentity;
}

/** One object of a dump, found by kind, namespace and name. */
export function dumpObject(file: string, kind: string, namespace: string, name: string): KubeObject {
  const found = dumpObjects(file).find((o) => o.kind === kind && o.metadata?.namespace === namespace && o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${namespace}/${name} in ${file}`);
  return found;
}

/**
 * The manifest a `kubectl apply` user keeps for a live object: no status, none of the metadata the
 * server owns (uid, resourceVersion, generation, creationTimestamp, managedFields, selfLink), no
 * annotations written by controllers or by an earlier apply.
 */
export function userManifest(object: KubeObject): KubeObject {
  const { status: _status, ...rest } = structuredClone(object);
  const { uid: _uid, resourceVersion: _rv, generation: _generation, creationTimestamp: _created, managedFields: _managed, selfLink: _self, ownerReferences: _owners, ...metadata } = rest.metadata;
  const annotations = Object.fromEntries(
    Object.entries((metadata.annotations ?? {}) as Record<string, string>).filter(([key]) => !key.startsWith('kubectl.kubernetes.io/') && !key.startsWith('deployment.kubernetes.io/')),
  );
  return { ...rest, metadata: { ...metadata, annotations } };
}
