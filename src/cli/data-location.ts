/**
 * `--data`: a directory (a LevelDB store, owned by one process) or a PostgreSQL URL (a store that
 * any number of processes share), as `openStore` options, and as messages print it.
 */
import { isPostgresUrl, postgresLocation } from '../storage/open-engine.js';
import type { PostgresEngineOptions } from '../storage/pg-engine.js';

/** `openStore`'s options for `--data`. */
export function storeLocation(data: string): { path: string } | { postgres: PostgresEngineOptions } {
  return isPostgresUrl(data) ? { postgres: postgresLocation(data) } : { path: data };
}

/** `--data` as output may show it: a URL's password hidden. */
export function printableLocation(data: string): string {
  if (!isPostgresUrl(data)) return data;
  const url = new URL(data);
  if (url.password !== '') url.password = '***';
  return url.toString();
}
