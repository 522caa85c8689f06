/**
 * Test helpers: the three engines the behaviour suite runs against (memory-level, classic-level
 * on disk, and PostgreSQL on the machine's server, a schema per store in a database of the test
 * process's own), and a view of the raw key space so tests can prove that a failed call wrote
 * nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { Engine } from '../../src/storage/engine.js';
import { formatKey } from '../../src/storage/key-codec.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { openPostgresEngine } from '../../src/storage/pg-engine.js';
import { freshLocation } from './postgres.js';
import { WrappedEngine } from './wrapped-engine.js';
import { DEFAULT_RETENTION } from '../../src/events/change-log.js';
import { DEFAULT_MAX_DATA_BYTES, openStoreOn, type StoreOptions } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';

/** A store under test with its engine, and (on disk) a way to reopen it. */
export interface OpenedStore {
  readonly store: ResourceStore;
  readonly engine: Engine;
  readonly path: string | undefined;
}

/** Opens stores on one engine kind. */
export interface StoreFactory {
  readonly name: string;
  open(options?: TestStoreOptions, path?: string): Promise<OpenedStore>;
  /** A fresh, empty engine of this kind, with its path on disk if it has one. */
  engine(): Promise<{ readonly engine: Engine; readonly path: string | undefined }>;
}

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'resource-store-test-'));
  tempDirs.push(dir);
  return dir;
}

/** The options tests set. */
export type TestStoreOptions = Pick<StoreOptions, 'cache' | 'maxDataBytes' | 'registry' | 'retention'>;

/** A store on `engine`, with the options tests set. */
export async function openOn(engine: Engine, options: TestStoreOptions = {}): Promise<ResourceStore> {
  return openStoreOn(engine, {
    maxDataBytes: options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES,
    cache: options.cache ?? {},
    registry: options.registry,
    retention: { ...DEFAULT_RETENTION, ...options.retention },
  });
}

export const memoryFactory: StoreFactory = {
  name: 'memory-level',
  async open(options) {
    const engine = await openLevelEngine();
    return { store: await openOn(engine, options), engine, path: undefined };
  },
  async engine() {
    return { engine: await openLevelEngine(), path: undefined };
  },
};

export const diskFactory: StoreFactory = {
  name: 'classic-level',
  async open(options, path = join(tempDir(), 'db')) {
    const engine = await openLevelEngine({ path });
    return { store: await openOn(engine, options), engine, path };
  },
  async engine() {
    const path = join(tempDir(), 'db');
    return { engine: await openLevelEngine({ path }), path };
  },
};

/** PostgreSQL: `path` is unused (each store is a fresh schema); a second engine on the same schema is another process. */
export const postgresFactory: StoreFactory = {
  name: 'postgresql',
  async open(options) {
    const { engine } = await this.engine();
    return { store: await openOn(engine, options), engine, path: undefined };
  },
  async engine() {
    return { engine: await openPostgresEngine({ ...(await freshLocation()), pollIntervalMs: 200 }), path: undefined };
  },
};

export const factories: readonly StoreFactory[] = [memoryFactory, diskFactory, postgresFactory];

/** Opens a store of `factory` on a WrappedEngine, for tests that need to hold scans or fail commits. */
export async function openWrapped(factory: StoreFactory, options?: TestStoreOptions): Promise<OpenedStore & { wrapped: WrappedEngine }> {
  const { engine, path } = await factory.engine();
  const wrapped = new WrappedEngine(engine);
  return { store: await openOn(wrapped, options), engine: wrapped, path, wrapped };
}

/** Every key and value in the engine, keys printed readably, values as hex. */
export async function rawKeySpace(engine: Engine): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  for await (const chunk of engine.scan({ gte: '', lt: '\uffff' })) {
    for (const [key, value] of chunk) entries.set(formatKey(key), Buffer.from(value).toString('hex'));
  }
  return entries;
}
