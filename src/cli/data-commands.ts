/**
 * The CLI commands that work on data: `import` (Kubernetes dumps into a data directory or a
 * running server, with a progress bar on a terminal and a summary), `export` and `restore`
 * (snapshots, streamed a line at a time), `verify` (integrity, and `--repair`) and `stats`
 * (of a data directory or a running server). `--data` is a directory (LevelDB) or a PostgreSQL
 * URL. Only `import` and `restore` (and `serve`) create a store where there is none; the others
 * refuse a directory that holds no store, and a directory a running server holds gets an answer
 * that says what to do (a PostgreSQL store is shared: any number of processes may open it).
 */
import { createReadStream, existsSync, renameSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { importFiles, storeTarget, type ImportSummary, type ImportTarget } from '../import/importer.js';
import { storeStats, type StoreStats } from '../integrity/stats.js';
import { repairIndices } from '../integrity/repair.js';
import { verifyIntegrity, type VerifyReport } from '../integrity/verify.js';
import { checkNoUnfinishedWork, type MarkedWork } from '../storage/work-marker.js';
import { PredicateRegistry } from '../relations/predicates.js';
import { readSnapshot } from '../snapshot/snapshot-format.js';
import { restoreSnapshot } from '../snapshot/snapshot-io.js';
import type { Engine } from '../storage/engine.js';
import { isStoreError, StoreError } from '../storage/errors.js';
import { isPostgresUrl, openEngineAt } from '../storage/open-engine.js';
import { openStore } from '../store/open-store.js';
import type { ResourceStore } from '../store/resource-store.js';
import { storeLocation } from './data-location.js';
import { httpTarget, serverFetch } from './http-target.js';
import { readToken } from './serve-command.js';

const out = (text: string): void => void process.stdout.write(`${text}\n`);

/** Refuses a data directory that holds no store, so a mistyped `--data` never makes an empty one. */
function requireStore(data: string): void {
  if (!isPostgresUrl(data) && !existsSync(join(data, 'CURRENT'))) {
    throw new StoreError('INVALID_ARGUMENT', `--data ${data}: no store there (is the path right?)`, { field: '--data' });
  }
}

/** LOCKED, saying what to do about it: `alternative` is what the command can do instead. */
function explainLocked(err: unknown, data: string, alternative: string): unknown {
  if (!isStoreError(err, 'LOCKED')) return err;
  return new StoreError('LOCKED', `the store in ${data} is open in another process (a running server?): ${alternative}`, { cause: err });
}

/**
 * Runs `work` on the raw engine of an existing data directory, closing it after. A directory whose
 * restore or repair did not finish is refused (INCOMPLETE), but for the work that finishes it.
 */
async function withEngine<T>(data: string, options: { sync?: boolean; finishes?: MarkedWork; whenLocked: string }, work: (engine: Engine) => Promise<T>): Promise<T> {
  requireStore(data);
  const engine = await openEngineAt(data, { sync: options.sync ?? false }).catch((err: unknown) => Promise.reject(explainLocked(err, data, options.whenLocked)));
  try {
    await checkNoUnfinishedWork(engine, options.finishes);
    return await work(engine);
  } finally {
    await engine.close();
  }
}

/** Opens the store of an existing data directory. */
async function openExisting(data: string, whenLocked: string): Promise<ResourceStore> {
  requireStore(data);
  return openStore(storeLocation(data)).catch((err: unknown) => Promise.reject(explainLocked(err, data, whenLocked)));
}

function printSummary(summary: ImportSummary): void {
  out(`objects read:       ${summary.objects}`);
  out(`created:            ${summary.created}`);
  out(`updated:            ${summary.updated}`);
  out(`replaced (new uid): ${summary.replaced}`);
  out(`unchanged:          ${summary.unchanged}`);
  out(`rejected:           ${summary.rejected.length}`);
  for (const { origin, reason } of summary.rejected) {
    out(`  ${origin.file} document ${origin.document}${origin.item === undefined ? '' : ` item ${origin.item}`}: ${reason}`);
  }
}

/** A progress bar on stderr when it is a terminal: `update(done, total)` and `stop()`; silent otherwise. */
function progressBar(what: string): { update: (done: number, total: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: `${what} [{bar}] {value}/{total}` }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      if (!started) bar.start(total, done);
      else {
        bar.setTotal(total); // an import learns its total as it reads
        bar.update(done);
      }
      started = true;
    },
    stop: () => started && bar.stop(),
  };
}

export async function importCommand(files: string[], options: { data: string; server?: string; tokenFile?: string; json?: boolean }): Promise<number> {
  for (const name of files) if (!existsSync(name)) throw new StoreError('INVALID_ARGUMENT', `${name}: no such file`, { field: 'files' });
  const inputs = files.map((name) => ({ name, path: name }));
  const bar = progressBar('importing objects');
  const progress = bar.update;
  let summary: ImportSummary;
  if (options.server !== undefined) {
    const token = readToken(options.tokenFile);
    await serverFetch(options.server, '/healthz', token); // one clear failure if the server cannot be reached
    summary = await importFiles(inputs, httpTarget(options.server, token), progress);
  } else {
    const store = await openStore(storeLocation(options.data)).catch((err: unknown) => Promise.reject(explainLocked(err, options.data, `import into it with --server URL`)));
    try {
      summary = await importFiles(inputs, storeTarget(store) as ImportTarget, progress);
    } finally {
      await store.close();
    }
  }
  bar.stop();
  if (options.json) out(JSON.stringify(summary));
  else printSummary(summary);
  return summary.rejected.length === 0 ? 0 : 1;
}

/** The chunks of `body`, each written to `file` before it is passed on. */
async function* writtenTo(file: FileHandle, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    await file.write(chunk);
    yield chunk;
  }
}

export async function exportCommand(options: { data: string; out: string; server?: string; tokenFile?: string }): Promise<number> {
  const store = options.server === undefined ? await openExisting(options.data, 'export from the server with --server URL') : undefined;
  const partial = `${options.out}.partial`;
  const file = await open(partial, 'w');
  try {
    let result: { revision: number; resources: number; relationships: number };
    if (store === undefined) {
      const response = await serverFetch(options.server!, '/snapshot', readToken(options.tokenFile));
      result = await readSnapshot(writtenTo(file, response.body!)); // checked as it is written, a line at a time
    } else {
      const bar = progressBar('exporting records');
      const counts = (await store.metrics.getMetricsAsJSON()).find((m) => m.name === 'resourcestore_resources_total');
      const total = (counts?.values ?? []).reduce((sum, v) => sum + Number(v.value), 0); // resources; relationships follow
      let written = 0;
      try {
        result = await store.exportSnapshot((text) => {
          bar.update(written++, total);
          return file.write(text).then(() => undefined);
        });
      } finally {
        bar.stop();
      }
    }
    await file.sync();
    await file.close();
    renameSync(partial, options.out);
    out(`exported ${result.resources} resources and ${result.relationships} relationships at revision ${result.revision} to ${options.out}`);
    return 0;
  } catch (err) {
    await file.close().catch(() => undefined);
    rmSync(partial, { force: true });
    throw err;
  } finally {
    await store?.close();
  }
}

export async function restoreCommand(snapshotFile: string, options: { data: string; force?: boolean }): Promise<number> {
  if (!existsSync(snapshotFile)) throw new StoreError('INVALID_ARGUMENT', `${snapshotFile}: no such file`, { field: 'file' });
  const bar = progressBar('restoring records');
  const engine = await openEngineAt(options.data, { sync: true }).catch((err: unknown) =>
    Promise.reject(explainLocked(err, options.data, 'stop it first: a restore replaces what the store holds')),
  );
  try {
    const result = await restoreSnapshot(engine, () => createReadStream(snapshotFile), new PredicateRegistry(), { force: options.force ?? false, progress: bar.update });
    out(`restored ${result.resources} resources and ${result.relationships} relationships; the store is at revision ${result.revision}`);
    return 0;
  } finally {
    bar.stop();
    await engine.close();
  }
}

export async function verifyCommand(options: { data: string; json?: boolean; repair?: boolean; server?: string; tokenFile?: string }): Promise<number> {
  if (options.repair && options.server !== undefined) {
    throw new StoreError('INVALID_ARGUMENT', '--repair rewrites the directory: stop the server and repair its --data', { field: '--repair' });
  }
  const whenLocked = options.repair ? 'stop it to repair the directory' : 'ask the server instead: resource-store verify --server URL';
  if (options.repair) {
    const repaired = await withEngine(options.data, { sync: true, finishes: 'repair', whenLocked }, repairIndices);
    if (!options.json) {
      out(`repair: rebuilt ${repaired.indexEntries} index entries and ${repaired.relationshipEntries} relationship entries from the data`);
      for (const key of repaired.undecodable) out(`  ${key}: cannot be decoded; left in place`);
    }
  }
  const report =
    options.server === undefined
      ? await withEngine(options.data, { whenLocked }, verifyIntegrity)
      : ((await (await serverFetch(options.server, '/verify', readToken(options.tokenFile))).json()) as VerifyReport);
  if (options.json) out(JSON.stringify(report));
  else {
    out(`checked ${report.resources} resources, ${report.indexEntries} index entries, ${report.relationships} relationships, ${report.logEntries} change-log entries`);
    for (const finding of report.findings) out(`  ${finding.key}: ${finding.problem}`);
    out(report.findings.length === 0 ? 'no problems found' : `${report.findings.length} problems found`);
  }
  return report.findings.length === 0 ? 0 : 1;
}

export async function statsCommand(options: { data: string; json?: boolean; server?: string; tokenFile?: string }): Promise<number> {
  const stats =
    options.server === undefined
      ? await withEngine(options.data, { whenLocked: 'ask the server instead: resource-store stats --server URL' }, storeStats)
      : ((await (await serverFetch(options.server, '/stats', readToken(options.tokenFile))).json()) as StoreStats);
  if (options.json) {
    out(JSON.stringify(stats));
    return 0;
  }
  out(`revision:        ${stats.revision}`);
  out(`resources:       ${stats.resources}`);
  for (const [type, count] of Object.entries(stats.byType).sort()) out(`  ${type}: ${count}`);
  out('by namespace:');
  for (const [namespace, count] of Object.entries(stats.byNamespace).sort()) out(`  ${namespace === '' ? '(cluster)' : namespace}: ${count}`);
  out(`relationships:   ${stats.relationships}`);
  out(`change log:      ${stats.logEntries} entries from revision ${stats.logFirstRevision}`);
  out(`storage bytes:   ${stats.storageBytes}`);
  return 0;
}
