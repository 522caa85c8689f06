/**
 * The writes of the Kubernetes paths, as kube-apiserver does them for an object without
 * finalizers, admission or field management:
 *
 * - create (POST): the manifest as written (`generateName` honoured); 201 with the stored object.
 * - replace (PUT): `metadata.resourceVersion`, when given, is a precondition: Conflict unless it
 *   is the object's current resourceVersion. Without one the replace is unconditional.
 * - patch (PATCH): JSON patch, merge patch and strategic merge patch (src/kube/patch.ts), applied
 *   to the object as read; a `metadata.resourceVersion` the patch sets is a precondition as for a
 *   replace. Server-side apply is not served (415).
 * - delete (DELETE): `preconditions.uid` and `preconditions.resourceVersion` of the DeleteOptions
 *   body; the object goes at once (no finalizers, no cascade to dependents or a namespace's
 *   contents) and the answer is its last state.
 *
 * A replace or patch reads the object, checks the precondition against its resourceVersion, and
 * writes with the version read as the store's precondition, so a write that lands in between is
 * still caught: the request fails with Conflict when it named a resourceVersion, and is tried
 * again on the new state (a few times) when it did not, as kube-apiserver retries unconditional
 * updates. Writing what is already stored writes nothing (the resourceVersion stays). Each answers
 * the object as JSON text (`manifestText`).
 */
import { fromManifest, toManifest, type ManifestTarget } from '../kube/manifest.js';
import type { ManifestTexts } from '../kube/manifest-texts.js';
import { applyPatch, patchTypeOf } from '../kube/patch.js';
import { failure, type Status } from '../kube/status.js';
import { StoreError, brief, invalidArgument, isStoreError } from '../storage/errors.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { Resource, ResourceInput, ResourceRef } from '../model/types.js';
import { isRecord } from '../model/validate.js';

/** A request the Kubernetes paths refuse with a Status no store error stands for (405, 415, a patch that does not apply). */
export class StatusFailure extends Error {
  readonly status: Status;

  constructor(status: Status) {
    super(status.message);
    this.status = status;
  }
}

/** Times an unconditional replace or patch is tried again when another write lands between its read and its write. */
const RETRIES = 5;

const modified = (): StoreError => new StoreError('CONFLICT', 'the object has been modified; please apply your changes to the latest version and try again');

function refOf(target: ManifestTarget & { name: string }): ResourceRef {
  return { group: target.group, version: target.version, kind: target.kind, namespace: target.namespace, name: target.name };
}

/** Refuses `dryRun`: the server cannot try a write without making it. */
export function refuseDryRun(query: Record<string, string | undefined>): void {
  if (query.dryRun !== undefined && query.dryRun !== '') throw invalidArgument('dryRun', 'is not supported by this server');
}

/**
 * Reads the object, builds the write from it, and applies it with the version read as the
 * precondition; again on a conflict when `conditional` is false.
 */
async function writeOver(store: ResourceStore, ref: ResourceRef, conditional: boolean, build: (current: Resource) => { input: ResourceInput; resourceVersion?: string }): Promise<Resource> {
  for (let attempt = 0; ; attempt++) {
    const current = await store.get(ref);
    const { input, resourceVersion } = build(current);
    if (resourceVersion !== undefined && resourceVersion !== String(current.revision)) throw modified();
    if (input.uid !== undefined && input.uid !== current.uid) {
      throw new StoreError('CONFLICT', `Precondition failed: UID in precondition: ${brief(input.uid)}, UID in object meta: ${current.uid}`);
    }
    try {
      // The uid too: an object deleted and created again in between starts again at version 1.
      return await store.apply({ ...input, version: current.version, uid: current.uid });
    } catch (err) {
      // The version read is the only precondition left: another write landed in between.
      if (!isStoreError(err, 'CONFLICT')) throw err;
      if (conditional || attempt >= RETRIES) throw modified();
    }
  }
}

/** POST: creates the object a manifest describes. */
export async function createObject(store: ResourceStore, texts: ManifestTexts, target: ManifestTarget, body: unknown): Promise<string> {
  const { input } = fromManifest(body, target);
  const { uid: _ignored, ...fresh } = input; // the server gives a created object its uid, as kube-apiserver does
  const added = await store.add(fresh);
  return texts.of(added, added.revision);
}

/** PUT: replaces the object with the manifest. */
export async function replaceObject(store: ResourceStore, texts: ManifestTexts, target: ManifestTarget & { name: string }, body: unknown): Promise<string> {
  const write = fromManifest(body, target);
  const written = await writeOver(store, refOf(target), write.resourceVersion !== undefined, () => write);
  return texts.of(written, written.revision);
}

/** Whether a patch names `metadata.resourceVersion` (then it is a precondition, and a conflict is not retried). */
function namesResourceVersion(patch: unknown): boolean {
  if (Array.isArray(patch)) return patch.some((op) => isRecord(op) && typeof op.path === 'string' && /^(\/metadata(\/resourceVersion)?)?$/.test(op.path));
  return isRecord(patch) && (patch.metadata === null || (isRecord(patch.metadata) && 'resourceVersion' in patch.metadata));
}

/** PATCH: applies a patch of `contentType` to the object as read. */
export async function patchObject(store: ResourceStore, texts: ManifestTexts, target: ManifestTarget & { name: string }, contentType: string | undefined, patch: unknown): Promise<string> {
  if (patchTypeOf(contentType) === undefined) {
    // Refused before the object is read, as kube-apiserver does: the UnsupportedMediaType outcome.
    const refused = applyPatch(contentType, {}, patch);
    if (!refused.ok) throw new StatusFailure(failure(refused.reason, refused.message));
  }
  const written = await writeOver(store, refOf(target), namesResourceVersion(patch), (current) => {
    const outcome = applyPatch(contentType, toManifest(current, current.revision), patch);
    if (!outcome.ok) throw new StatusFailure(failure(outcome.reason, outcome.message, { name: target.name }));
    return fromManifest(outcome.value, target);
  });
  return texts.of(written, written.revision);
}

/** DELETE: deletes the object, with the preconditions of a DeleteOptions body; returns its last state. */
export async function deleteObject(store: ResourceStore, texts: ManifestTexts, target: ManifestTarget & { name: string }, body: unknown): Promise<string> {
  if (body !== undefined && !isRecord(body)) throw invalidArgument('body', 'must be a DeleteOptions object');
  const preconditions = body?.preconditions ?? {};
  if (!isRecord(preconditions)) throw invalidArgument('preconditions', 'must be an object');
  const { uid, resourceVersion } = preconditions;
  if (uid !== undefined && uid !== null && typeof uid !== 'string') throw invalidArgument('preconditions.uid', 'must be a string');
  if (resourceVersion !== undefined && resourceVersion !== null && typeof resourceVersion !== 'string') throw invalidArgument('preconditions.resourceVersion', 'must be a string');
  if (body?.dryRun !== undefined && !(Array.isArray(body.dryRun) && body.dryRun.length === 0)) throw invalidArgument('dryRun', 'is not supported by this server');
  const ref = refOf(target);
  let read: { version: number; uid: string } | undefined;
  if (typeof resourceVersion === 'string' && resourceVersion !== '') {
    const current = await store.get(ref);
    if (String(current.revision) !== resourceVersion) throw modified();
    read = { version: current.version, uid: current.uid }; // the uid too: a recreated object starts again at version 1
  }
  const version = read?.version;
  const expectedUid = typeof uid === 'string' && uid !== '' ? uid : read?.uid;
  try {
    const deleted = await store.delete(ref, { ...(version === undefined ? {} : { version }), ...(expectedUid === undefined ? {} : { uid: expectedUid }) });
    return texts.of(deleted, deleted.revision);
  } catch (err) {
    if (version !== undefined && isStoreError(err, 'CONFLICT')) throw modified();
    throw err;
  }
}
