/** The bytes a data directory's files hold, for a store's storage gauge and stats. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The sum of the sizes of the files directly in `dir`. LevelDB deletes files while the directory
 * is being read (a compaction, a log switch): a file gone between the listing and its stat counts
 * as nothing rather than failing the scrape.
 */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile()) total += await sizeOf(join(dir, entry.name));
  }
  return total;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return 0;
    throw err;
  }
}
