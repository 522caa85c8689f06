/**
 * Where a store lives, as `openStore` and the CLI's `--data` name it: a LevelDB directory (a
 * path), a PostgreSQL database (a `postgres://` or `postgresql://` URL, optionally with
 * `?schema=name` for a store in a schema of its own), or memory (nothing).
 */
import type { Engine } from './engine.js';
import { openLevelEngine } from './level-engine.js';
import { openPostgresEngine, type PostgresEngineOptions } from './pg-engine.js';

/** True when `location` names a PostgreSQL database rather than a directory. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The engine options of a PostgreSQL URL: `?schema=` is ours, the rest is libpq's. */
export function postgresLocation(url: string): PostgresEngineOptions {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), ...(schema === null ? {} : { schema }) };
}

/** Opens the engine at `location`: PostgreSQL for a URL, LevelDB on disk for a path, in memory for undefined. */
export function openEngineAt(location: string | undefined, options: { readonly sync?: boolean } = {}): Promise<Engine> {
  if (location === undefined) return openLevelEngine();
  if (isPostgresUrl(location)) return openPostgresEngine(postgresLocation(location));
  return openLevelEngine({ path: location, sync: options.sync ?? false });
}
