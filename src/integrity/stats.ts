/**
 * Store statistics for `stats`: the revision, resources by type (from the persisted counters) and
 * by namespace (a pass over the namespace index), relationships, change-log entries, and the bytes
 * the data takes.
 */
import type { EngineReader } from '../storage/engine-reader.js';
import { LOG_START_KEY, NAMESPACE_SECTION, SPO_SECTION } from '../storage/key-catalogue.js';
import { decodeKey, encodeKey, prefixRange } from '../storage/key-codec.js';
import { decodeNumber } from '../storage/number-codec.js';
import { typeOfCounter } from '../model/resource-keys.js';

export interface StoreStats {
  readonly revision: number;
  readonly resources: number;
  readonly byType: Record<string, number>;
  readonly byNamespace: Record<string, number>;
  readonly relationships: number;
  readonly logEntries: number;
  readonly logFirstRevision: number;
  readonly storageBytes: number;
}

export async function storeStats(engine: EngineReader): Promise<StoreStats> {
  const byType: Record<string, number> = {};
  let resources = 0;
  for (const [name, count] of engine.counters()) {
    const type = typeOfCounter(name);
    if (!type) continue;
    byType[`${type.group === '' ? '' : `${type.group}/`}${type.version}/${type.kind}`] = count;
    resources += count;
  }
  const byNamespace: Record<string, number> = {};
  for await (const chunk of engine.scanKeys(prefixRange(encodeKey(NAMESPACE_SECTION)))) {
    for (const key of chunk) {
      const namespace = decodeKey(key).fields[0] ?? '';
      byNamespace[namespace] = (byNamespace[namespace] ?? 0) + 1;
    }
  }
  let relationships = 0;
  for await (const chunk of engine.scanKeys(prefixRange(encodeKey(SPO_SECTION)))) relationships += chunk.length;
  const logFirstRevision = decodeNumber(await engine.get(LOG_START_KEY), 'the log start') || 1;
  return {
    revision: engine.revision,
    resources,
    byType,
    byNamespace,
    relationships,
    logEntries: Math.max(0, engine.revision - logFirstRevision + 1),
    logFirstRevision,
    storageBytes: await engine.storageBytes(),
  };
}
