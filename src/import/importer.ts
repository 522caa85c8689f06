/**
 * Importing Kubernetes dumps into a store, local or behind the HTTP server: reads the files one
 * document at a time (a file given by path is never held whole, unless it is one JSON document),
 * and applies each object as a resource as soon as it is read (so importing twice changes
 * nothing); the store derives the relationships each object's content names as it writes it. An
 * object stored under the same ref with another uid was recreated in its cluster: the stored one
 * is replaced (deleted with its relationships, then the new one added, in one batch). It counts
 * what was created, updated, replaced and left unchanged, and rejects single documents with their
 * file, index and reason, never the whole import.
 */
import { isStoreError } from '../storage/errors.js';
import type { Resource, ResourceInput, ResourceRef } from '../model/types.js';
import type { BatchOperation, BatchResult } from '../store/types.js';
import { toResourceInput } from './resource-input.js';
import { readKubernetesFile, readKubernetesObjects, type ReadObjects, type Origin, type Rejection } from './kubernetes-objects.js';

/** Where an import writes. */
export interface ImportTarget {
  get(ref: ResourceRef): Promise<Resource | undefined>;
  apply(resource: ResourceInput): Promise<Resource>;
  /** Deletes what is stored under the resource's ref (with its relationships) and adds the resource, atomically. */
  replace(resource: ResourceInput): Promise<Resource>;
}

/** An import target that is a store in this process. */
export function storeTarget(store: {
  get(ref: ResourceRef): Promise<Resource>;
  apply(resource: ResourceInput): Promise<Resource>;
  batch(operations: BatchOperation[]): Promise<BatchResult[]>;
}): ImportTarget {
  return {
    get: (ref) => store.get(ref).catch((err: unknown) => (isStoreError(err, 'NOT_FOUND') ? undefined : Promise.reject(err))),
    apply: (resource) => store.apply(resource),
    replace: async (resource) => {
      const [, added] = await store.batch([{ op: 'delete', ref: resource.ref }, { op: 'add', resource }]);
      return added as Resource;
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
  readonly rejected: readonly Rejection[];
}

/** A file to import: its text, or its path (read a document at a time). */
export type ImportFile = { readonly name: string; readonly text: string } | { readonly name: string; readonly path: string };

const CONCURRENCY = 32;

function reason(err: unknown): string {
  return isStoreError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
}

/** Runs tasks with at most CONCURRENCY in flight; `submit` waits for room. Tasks handle their own errors. */
class WorkPool {
  readonly #running = new Set<Promise<void>>();
  async submit(task: () => Promise<void>): Promise<void> {
    while (this.#running.size >= CONCURRENCY) await Promise.race(this.#running);
    const running: Promise<void> = task().finally(() => this.#running.delete(running));
    this.#running.add(running);
  }
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
  }
}

async function* documentsOf(file: ImportFile): AsyncGenerator<ReadObjects> {
  if ('text' in file) yield readKubernetesObjects(file.name, file.text);
  else yield* readKubernetesFile(file.path, file.name);
}

/**
 * Imports files, each given by its text or its path. `progress` is called with (done, read) as
 * objects are written: how many were written, of how many read so far.
 *
 * @example const summary = await importFiles([{ name: 'pods.yaml', path: './pods.yaml' }], storeTarget(store));
 */
export async function importFiles(
  files: readonly ImportFile[],
  target: ImportTarget,
  progress: (done: number, total: number) => void = () => undefined,
): Promise<ImportSummary> {
  const rejected: Rejection[] = [];
  let read = 0;
  let created = 0;
  let updated = 0;
  let unchanged = 0;
  let replaced = 0;
  let done = 0;
  let accepted = 0;
  const pool = new WorkPool();
  const write = async (origin: Origin, input: ResourceInput): Promise<void> => {
    try {
      const before = await target.get(input.ref as ResourceRef);
      if (before !== undefined && input.uid !== undefined && before.uid !== input.uid) {
        await target.replace(input);
        replaced++;
      } else {
        const after = await target.apply(before === undefined ? input : { ...input, uid: before.uid });
        if (before === undefined) created++;
        else if (after.version === before.version) unchanged++;
        else updated++;
      }
    } catch (err) {
      rejected.push({ origin, reason: reason(err) });
    }
    progress(++done, accepted);
  };
  progress(0, 0);
  for (const file of files) {
    for await (const { objects, rejections } of documentsOf(file)) {
      read += objects.length + rejections.length;
      rejected.push(...rejections);
      for (const { origin, object } of objects) {
        const input = toResourceInput(object);
        if (typeof input === 'string') {
          rejected.push({ origin, reason: input });
          continue;
        }
        accepted++;
        await pool.submit(() => write(origin, input));
      }
    }
  }
  await pool.drain();
  const order = (r: Rejection) => `${r.origin.file}\u0000${String(r.origin.document).padStart(9)}${String(r.origin.item ?? -1).padStart(9)}`;
  rejected.sort((a, b) => (order(a) < order(b) ? -1 : 1));
  return { objects: read, created, updated, unchanged, replaced, rejected };
}
