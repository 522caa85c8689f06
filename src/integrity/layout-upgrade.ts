/**
 * Upgrading a store kept in an older key layout (`CURRENT_LAYOUT` in storage/key-catalogue.ts)
 * as it opens. Layout 1 to 2: stores that earlier versions restored or repaired lack the guards
 * of ranges that hold entries, and a write now takes an absent guard to prove its range empty
 * (indices/selector-index.ts), so the upgrade writes the guard of every index entry stored. Each
 * batch is atomic and a guard written twice is as good as once, so an upgrade cut short by a
 * crash runs again from the start at the next open; the layout key is written last. Processes
 * sharing an engine may run it at once: their guards are all valid ones. Layout 2 to 3: a
 * relationship count's value also carries fresh bytes (relations/end-count.ts); a count as layout
 * 2 stored it still reads, and its next write makes it fresh, so the step rewrites nothing. The
 * version moves so that an earlier version refuses a store whose counts it cannot read.
 */
import { GuardSet, INDICES } from '../indices/index-catalogue.js';
import type { Engine } from '../storage/engine.js';
import { StoreError } from '../storage/errors.js';
import { CURRENT_LAYOUT, describeKey, LAYOUT_KEY } from '../storage/key-catalogue.js';
import { encodeKey, prefixRange } from '../storage/key-codec.js';
import { decodeNumber, encodeNumber } from '../storage/number-codec.js';

const BATCH = 1000;

/** The layout a store is kept in: 1 for a store no version has marked. */
export async function storedLayout(engine: Pick<Engine, 'get'>): Promise<number> {
  const bytes = await engine.get(LAYOUT_KEY);
  return bytes === undefined ? 1 : decodeNumber(bytes, LAYOUT_KEY);
}

/**
 * Brings the store to the current layout; refuses (CORRUPTED) one kept in a newer layout than this
 * version knows, which it could not keep true.
 */
export async function upgradeLayout(engine: Engine): Promise<void> {
  const layout = await storedLayout(engine);
  if (layout === CURRENT_LAYOUT) return;
  if (layout > CURRENT_LAYOUT) {
    throw new StoreError('CORRUPTED', `the store is kept in key layout ${layout}, newer than this version's (${CURRENT_LAYOUT}): open it with the version that wrote it`);
  }
  if (layout < 2) await writeGuards(engine);
  await engine.commit({ checks: [], puts: [[LAYOUT_KEY, encodeNumber(CURRENT_LAYOUT)]], dels: [], counters: [], changes: 0 });
}

/** Layout 1 to 2: the guard of every index entry stored. */
async function writeGuards(engine: Engine): Promise<void> {
  const guards = new GuardSet();
  let noted = 0;
  const flush = async (): Promise<void> => {
    const puts = guards.take();
    if (puts.length > 0) await engine.commit({ checks: [], puts, dels: [], counters: [], changes: 0 });
    noted = 0;
  };
  for (const index of INDICES) {
    for await (const chunk of engine.scanKeys(prefixRange(encodeKey(index.section)))) {
      for (const entry of chunk) {
        if (describeKey(entry) === undefined) continue; // a key of no known shape names no range; verify reports it
        guards.add(index, entry, index.refOf(entry));
        if (++noted >= BATCH) await flush();
      }
    }
  }
  await flush();
}
