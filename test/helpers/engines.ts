/**
 * Test helpers: the engines the engine conformance suite runs against, each opened on fresh,
 * empty data, with a way to open another engine on the same data. That second engine is what
 * a shared engine is tested with (two processes on one store) and what a persistent engine is
 * reopened with (commits that were acknowledged are still there).
 */
import { join } from 'node:path';
import type { Engine } from '../../src/storage/engine.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { openPostgresEngine } from '../../src/storage/pg-engine.js';
import { freshLocation } from './postgres.js';
import { tempDir } from './stores.js';

/** An engine on fresh data, and how to open another on the same data. */
export interface OpenedEngine {
  readonly engine: Engine;
  /**
   * Opens another engine on the same data: alongside the first when the engine is shared, once
   * the first is closed when it is not; undefined when the data lives only in the first (memory).
   */
  readonly openAgain: (() => Promise<Engine>) | undefined;
}

/** Opens engines of one kind. */
export interface EngineFactory {
  readonly name: string;
  /** Whether its engines say they are `shared` (other processes may commit to the same data). */
  readonly shared: boolean;
  /** Opens an engine on fresh, empty data. */
  open(): Promise<OpenedEngine>;
}

export const memoryEngineFactory: EngineFactory = {
  name: 'memory-level',
  shared: false,
  async open() {
    return { engine: await openLevelEngine(), openAgain: undefined };
  },
};

export const diskEngineFactory: EngineFactory = {
  name: 'classic-level',
  shared: false,
  async open() {
    const path = join(tempDir(), 'db');
    return { engine: await openLevelEngine({ path }), openAgain: () => openLevelEngine({ path }) };
  },
};

export const postgresEngineFactory: EngineFactory = {
  name: 'postgresql',
  shared: true,
  async open() {
    const location = await freshLocation();
    return { engine: await openPostgresEngine({ ...location }), openAgain: () => openPostgresEngine({ ...location }) };
  },
};

export const engineFactories: readonly EngineFactory[] = [memoryEngineFactory, diskEngineFactory, postgresEngineFactory];
