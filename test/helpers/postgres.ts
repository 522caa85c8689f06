/**
 * The PostgreSQL server tests run against: the machine's own (trust authentication on
 * 127.0.0.1:5432; `RESOURCE_STORE_TEST_POSTGRES` names another). Each test process creates a
 * database of its own on first use and drops it when it ends; each store a test opens gets a
 * schema of its own in it, so stores never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';

/** The server tests use, as a connection string to its `postgres` database. */
export const ADMIN_URL = process.env.RESOURCE_STORE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let database: Promise<string> | undefined;
let schemas = 0;

// Registered as the module loads, so it belongs to the test file, not to whichever test first asks for the database.
after(async () => {
  const name = await database?.catch(() => undefined);
  if (name !== undefined) await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
});

/** A connection string to `name` on the test server. */
export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** This process's test database (created on first call, dropped when the process's tests end). */
export function testDatabase(): Promise<string> {
  database ??= (async () => {
    const name = `resource_store_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await admin((client) => client.query(`CREATE DATABASE ${name}`));
    return name;
  })();
  return database;
}

/** Where a fresh, empty store lives: this process's test database and a schema no one has used. */
export async function freshLocation(): Promise<{ readonly connectionString: string; readonly schema: string }> {
  const name = await testDatabase();
  return { connectionString: databaseUrl(name), schema: `store_${++schemas}` };
}
