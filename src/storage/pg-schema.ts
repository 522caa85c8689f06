/**
 * The PostgreSQL schema of a store, created and migrated by the store itself when it opens.
 *
 * A store is one table of its ordered key space, `resource_store_kv (key bytea PRIMARY KEY, value
 * bytea)`, holding exactly the keys a LevelDB store holds (the revision and counters included), so
 * every layer above the engine, every tool over the key space and the snapshot format are the
 * same on both engines. Keys are stored as their UTF-8 bytes: bytea compares bytes, which is
 * LevelDB's order, whatever the database's collation. `resource_store_schema` records which
 * migrations ran. A store lives in a PostgreSQL schema of its own choosing (default `public`), so
 * one database can hold several stores. Migrations run in one transaction under an advisory lock,
 * so processes opening a new store at once create it once.
 */
import type pg from 'pg';
import { StoreError } from './errors.js';

/** The names a store's SQL uses, qualified by its schema. */
export interface SchemaNames {
  readonly schema: string;
  /** The key-space table. */
  readonly kv: string;
  /** The table of applied migrations. */
  readonly version: string;
  /** The NOTIFY channel commits are announced on. */
  readonly channel: string;
  /** The advisory lock every commit takes: the one place where commits of all processes serialize. */
  readonly commitLock: string;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;

/** The SQL names of a store in `schema`; INVALID_ARGUMENT for a name that is not a plain identifier. */
export function schemaNames(schema: string): SchemaNames {
  if (!SCHEMA_NAME.test(schema)) {
    throw new StoreError('INVALID_ARGUMENT', `schema: must be a plain identifier (letters, digits, _; at most 40), got ${JSON.stringify(schema)}`, {
      field: 'schema',
    });
  }
  const q = `"${schema}"`;
  return {
    schema,
    kv: `${q}.resource_store_kv`,
    version: `${q}.resource_store_schema`,
    channel: `resource_store.${schema}`,
    commitLock: `hashtext('resource_store.commit.${schema}')`,
  };
}

/** The migrations, oldest first; the schema's version is how many have run. Never edit one that shipped: add another. */
const MIGRATIONS: ReadonlyArray<(names: SchemaNames) => string> = [
  (n) => `CREATE TABLE ${n.kv} (key bytea PRIMARY KEY, value bytea NOT NULL)`,
];

/** Creates the store's schema and tables, or migrates them to this version; refuses a schema newer than this code knows. */
export async function migrate(client: pg.ClientBase, names: SchemaNames): Promise<void> {
  await client.query(`BEGIN; SELECT pg_advisory_xact_lock(hashtext('resource_store.migrate.${names.schema}'))`);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${names.schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${names.version} (version integer NOT NULL)`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${names.version}`);
    const version = rows[0]?.version ?? 0;
    if (version > MIGRATIONS.length) {
      throw new StoreError('INTERNAL', `the store in schema ${names.schema} is at schema version ${version}, newer than this resource-store knows (${MIGRATIONS.length}): upgrade resource-store`);
    }
    for (const migration of MIGRATIONS.slice(version)) await client.query(migration(names));
    if (rows.length === 0) await client.query(`INSERT INTO ${names.version} (version) VALUES ($1)`, [MIGRATIONS.length]);
    else if (version < MIGRATIONS.length) await client.query(`UPDATE ${names.version} SET version = $1`, [MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
