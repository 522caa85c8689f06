/**
 * The marker of unfinished maintenance: the one catalogue of the work that rewrites a data
 * directory in many batches (a restore, a repair), and what the one key that says such work is
 * under way (`/meta/unfinished-work`, declared with every other key in key-catalogue.ts) holds.
 * The work writes the marker in a batch of its own before its first destructive batch and removes
 * it in its last batch; every batch is atomic and batches land in order, so after a crash at any
 * instant the directory holds either no marker (the work did not start, or finished) or the marker
 * (the work is partly done). A marked directory refuses to open with INCOMPLETE, and the message
 * names the command that finishes the work; that command, run again, starts over and completes it.
 */
import type { Engine } from './engine.js';
import { StoreError } from './errors.js';
import { LEGACY_RESTORE_MARKER_KEY, WORK_MARKER_KEY } from './key-catalogue.js';

/** Every kind of work that marks the directory, with the command that finishes it. */
export const MARKED_WORK = {
  restore: { what: 'a restore into this store', rerun: 'run `resource-store restore FILE --force` again with the snapshot file' },
  repair: { what: 'a repair of this store', rerun: 'run `resource-store verify --repair` again' },
} as const;

/** A kind of marked work. */
export type MarkedWork = keyof typeof MARKED_WORK;

function isMarkedWork(text: string): text is MarkedWork {
  return Object.hasOwn(MARKED_WORK, text);
}

/** The put that marks the directory: commit it alone, before the work's first destructive batch. */
export function markerPut(work: MarkedWork): readonly [string, Uint8Array] {
  return [WORK_MARKER_KEY, new TextEncoder().encode(work)];
}

/** The deletes that unmark the directory: part of the work's last batch. */
export const MARKER_DELS: readonly string[] = [WORK_MARKER_KEY, LEGACY_RESTORE_MARKER_KEY];

/** The work the directory is marked with, or undefined when none is under way. */
export async function markedWork(engine: Pick<Engine, 'getMany'>): Promise<MarkedWork | undefined> {
  const [bytes, legacy] = await engine.getMany([WORK_MARKER_KEY, LEGACY_RESTORE_MARKER_KEY]);
  if (bytes === undefined) return legacy === undefined ? undefined : 'restore';
  const text = new TextDecoder().decode(bytes);
  if (!isMarkedWork(text)) throw new StoreError('CORRUPTED', `the unfinished-work marker holds ${JSON.stringify(text.slice(0, 64))}, which names no known work`);
  return text;
}

/** The INCOMPLETE error for a directory marked with `work`. */
export function incompleteError(work: MarkedWork): StoreError {
  const { what, rerun } = MARKED_WORK[work];
  return new StoreError('INCOMPLETE', `${what} was interrupted, so it holds part of its data; ${rerun} to finish it`);
}

/**
 * Refuses a directory whose maintenance did not finish, with INCOMPLETE naming the command to run
 * again; `except` is the work the caller is about to run again (which may open it).
 */
export async function checkNoUnfinishedWork(engine: Engine, except?: MarkedWork): Promise<void> {
  const work = await markedWork(engine);
  if (work !== undefined && work !== except) throw incompleteError(work);
}
