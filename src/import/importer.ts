/**
 * Importing Kubernetes dumps into a store, local or behind the HTTP server: reads every file,
 * applies each object as a resource (so importing twice changes nothing), then adds the
 * relationships each object implies. An object stored under the same ref with another uid was
 * recreated in its cluster: the stored one is replaced (deleted with its relationships, then the
 * new one added, in one batch). It counts what was created, updated, replaced and left unchanged, and
 * rejects single documents with their file, index and reason, never the whole import.
 */
import { isStoreError } from '../store/errors.js';
import type { RelationshipInput } from '../relations/types.js';
import type { BatchOperation, BatchResult, Resource, ResourceInput, ResourceRef } from '../store/types.js';
import { deriveRelationships, toResourceInput } from './derive.js';
import { readKubernetesObjects, type Origin, type Rejection } from './kubernetes-objects.js';

/** Where an import writes. */
export interface ImportTarget {
  get(ref: ResourceRef): Promise<Resource | undefined>;
  apply(resource: ResourceInput): Promise<Resource>;
  /** Deletes what is stored under the resource's ref (with its relationships) and adds the resource, atomically. */
  replace(resource: ResourceInput): Promise<Resource>;
  addRelationships(relationships: RelationshipInput[]): Promise<void>;
}

/** An import target that is a store in this process. */
export function storeTarget(store: {
  get(ref: ResourceRef): Promise<Resource>;
  apply(resource: ResourceInput): Promise<Resource>;
  batch(operations: BatchOperation[]): Promise<BatchResult[]>;
  addRelationships(...relationships: RelationshipInput[]): Promise<unknown>;
}): ImportTarget {
  return {
    get: (ref) => store.get(ref).catch((err: unknown) => (isStoreError(err, 'NOT_FOUND') ? undefined : Promise.reject(err))),
    apply: (resource) => store.apply(resource),
    replace: async (resource) => {
      const [, added] = await store.batch([{ op: 'delete', ref: resource.ref }, { op: 'add', resource }]);
      return added as Resource;
    },
    addRelationships: async (relationships) => {
      await store.addRelationships(...relationships);
    },
  };
}

/** What an import did. */
export interface ImportSummary {
  readonly objects: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Stored under the same ref with another uid: the old object was deleted (with its relationships) and this one added. */
  readonly replaced: number;
  readonly relationships: number;
  readonly rejected: readonly Rejection[];
}

const CONCURRENCY = 32;

function reason(err: unknown): string {
  return isStoreError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
}

/** Runs `work` over `items` with at most CONCURRENCY in flight. */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * Imports files (name and text). `progress` is called with (done, total) as objects are written.
 *
 * @example const summary = await importFiles([{ name: 'pods.json', text }], storeTarget(store));
 */
export async function importFiles(
  files: ReadonlyArray<{ readonly name: string; readonly text: string }>,
  target: ImportTarget,
  progress: (done: number, total: number) => void = () => undefined,
): Promise<ImportSummary> {
  const rejected: Rejection[] = [];
  const accepted: Array<{ origin: Origin; object: Record<string, unknown>; input: ResourceInput }> = [];
  for (const file of files) {
    const { objects, rejections } = readKubernetesObjects(file.name, file.text);
    rejected.push(...rejections);
    for (const { origin, object } of objects) {
      const input = toResourceInput(object);
      if (typeof input === 'string') rejected.push({ origin, reason: input });
      else accepted.push({ origin, object, input });
    }
  }
  const read = accepted.length + rejected.length;
  const byUid = new Map<string, ResourceRef>();
  for (const { input } of accepted) if (input.uid) byUid.set(input.uid, input.ref as ResourceRef);

  let created = 0;
  let updated = 0;
  let unchanged = 0;
  let replaced = 0;
  let done = 0;
  const total = accepted.length;
  const stored: typeof accepted = [];
  progress(0, total);
  await inParallel(accepted, async (entry) => {
    try {
      const before = await target.get(entry.input.ref as ResourceRef);
      if (before !== undefined && entry.input.uid !== undefined && before.uid !== entry.input.uid) {
        await target.replace(entry.input);
        replaced++;
      } else {
        const after = await target.apply(before === undefined ? entry.input : { ...entry.input, uid: before.uid });
        if (before === undefined) created++;
        else if (after.version === before.version) unchanged++;
        else updated++;
      }
      stored.push(entry);
    } catch (err) {
      rejected.push({ origin: entry.origin, reason: reason(err) });
    }
    progress(++done, total);
  });

  let relationships = 0;
  await inParallel(stored, async ({ origin, object, input }) => {
    const derived = deriveRelationships(object, input.ref as ResourceRef, byUid);
    if (derived.length === 0) return;
    try {
      await target.addRelationships(derived);
      relationships += derived.length;
    } catch (err) {
      rejected.push({ origin, reason: `its relationships: ${reason(err)}` });
    }
  });
  const order = (r: Rejection) => `${r.origin.file}\u0000${String(r.origin.document).padStart(9)}${String(r.origin.item ?? -1).padStart(9)}`;
  rejected.sort((a, b) => (order(a) < order(b) ? -1 : 1));
  return { objects: read, created, updated, unchanged, replaced, relationships, rejected };
}
