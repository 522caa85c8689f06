/**
 * PATCH bodies by content type, as kube-apiserver takes them: `application/json-patch+json`
 * (RFC 6902, by fast-json-patch), `application/merge-patch+json` (RFC 7386) and
 * `application/strategic-merge-patch+json` (the subset in `strategic-merge-patch.ts`).
 * Server-side apply (`application/apply-patch+yaml`) and any other type answer
 * UnsupportedMediaType (415), which kubectl reports as the feature being unavailable.
 *
 * The outcome is a value, not a throw: the patched object, or a failure with the reason and code
 * kube-apiserver gives: BadRequest (400) for a patch document of the wrong shape, Invalid (422)
 * for a JSON patch whose operations do not apply (a failed `test`, a path that is not there).
 * Patching never changes the target (stored resources are frozen). The caller still checks the
 * result against the path (`fromManifest`), as for a replace.
 */
import jsonPatch from 'fast-json-patch';
import type { JsonObject } from '../model/types.js';
import { mergePatch, strategicMergePatch } from './strategic-merge-patch.js';
import { REASON_CODES } from './status.js';

/** The patch content types the server applies. */
export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'] as const;

/** A patch content type the server applies. */
export type PatchType = (typeof PATCH_TYPES)[number];

/** What applying a patch came to. */
export type PatchOutcome =
  | { readonly ok: true; readonly value: JsonObject }
  | { readonly ok: false; readonly reason: 'BadRequest' | 'Invalid' | 'UnsupportedMediaType'; readonly code: 400 | 422 | 415; readonly message: string };

function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(reason: 'BadRequest' | 'Invalid' | 'UnsupportedMediaType', message: string): PatchOutcome {
  return { ok: false, reason, code: REASON_CODES[reason], message };
}

/** The patch type a Content-Type header names (parameters such as `charset` ignored), or undefined. */
export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return (PATCH_TYPES as readonly string[]).includes(type) ? (type as PatchType) : undefined;
}

function applyJsonPatch(target: JsonObject, patch: unknown): PatchOutcome {
  if (!Array.isArray(patch) || !patch.every(isRecord)) return fail('BadRequest', 'a JSON patch must be an array of operation objects');
  try {
    const value: unknown = jsonPatch.applyPatch(target, patch as unknown as jsonPatch.Operation[], true, false).newDocument;
    return isRecord(value) ? { ok: true, value } : fail('Invalid', 'the JSON patch must leave an object');
  } catch (err) {
    if (err instanceof jsonPatch.JsonPatchError) return fail('Invalid', `the JSON patch does not apply: ${err.name} at operation ${err.index ?? 0}`);
    throw err;
  }
}

/**
 * Applies a parsed PATCH body of `contentType` to `target` (the manifest as read).
 *
 * @example
 * applyPatch('application/merge-patch+json', pod, { metadata: { labels: { tier: 'web' } } })
 * // { ok: true, value: { ...pod, metadata: { ...pod.metadata, labels: { ..., tier: 'web' } } } }
 */
export function applyPatch(contentType: string | undefined, target: JsonObject, patch: unknown): PatchOutcome {
  const type = patchTypeOf(contentType);
  if (type === undefined) {
    return fail('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`);
  }
  if (type === 'application/json-patch+json') return applyJsonPatch(target, patch);
  if (!isRecord(patch)) return fail('BadRequest', `a ${type === 'application/merge-patch+json' ? 'merge' : 'strategic merge'} patch must be a JSON object`);
  return { ok: true, value: type === 'application/merge-patch+json' ? (mergePatch(target, patch) as JsonObject) : strategicMergePatch(target, patch) };
}
