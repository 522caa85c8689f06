/**
 * The CLI commands that work on data: `import` (Kubernetes dumps into a data directory or a
 * running server, with a progress bar on a terminal and a summary), `export` and `restore`
 * (snapshots), `verify` (integrity) and `stats`.
 */
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { importFiles, storeTarget, type ImportSummary, type ImportTarget } from '../import/importer.js';
import { storeStats } from '../integrity/stats.js';
import { repairIndices } from '../integrity/repair.js';
import { verifyIntegrity } from '../integrity/verify.js';
import { PredicateRegistry } from '../relations/predicates.js';
import { parseSnapshot } from '../snapshot/snapshot-format.js';
import { restoreSnapshot } from '../snapshot/snapshot-io.js';
import { openLevelEngine } from '../store/level-engine.js';
import { openStore } from '../store/open-store.js';
import { httpTarget } from './http-target.js';
import { readToken } from './serve-command.js';

const out = (text: string): void => void process.stdout.write(`${text}\n`);

/** Runs `work` on the raw engine of a data directory, closing it after. */
async function withEngine<T>(data: string, work: (engine: Awaited<ReturnType<typeof openLevelEngine>>) => Promise<T>): Promise<T> {
  const engine = await openLevelEngine({ path: data });
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
}

function printSummary(summary: ImportSummary): void {
  out(`objects read:       ${summary.objects}`);
  out(`created:            ${summary.created}`);
  out(`updated:            ${summary.updated}`);
  out(`replaced (new uid): ${summary.replaced}`);
  out(`unchanged:          ${summary.unchanged}`);
  out(`relationships:      ${summary.relationships}`);
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
      else bar.update(done);
      started = true;
    },
    stop: () => started && bar.stop(),
  };
}

export async function importCommand(files: string[], options: { data: string; server?: string; tokenFile?: string; json?: boolean }): Promise<number> {
  const inputs = files.map((name) => ({ name, text: readFileSync(name, 'utf8') }));
  const bar = progressBar('importing objects');
  const progress = bar.update;
  let summary: ImportSummary;
  if (options.server !== undefined) {
    summary = await importFiles(inputs, httpTarget(options.server, readToken(options.tokenFile)), progress);
  } else {
    const store = await openStore({ path: options.data });
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

export async function exportCommand(options: { data: string; out: string; server?: string; tokenFile?: string }): Promise<number> {
  const partial = `${options.out}.partial`;
  const file = await open(partial, 'w');
  try {
    let result: { revision: number; resources: number; relationships: number };
    if (options.server !== undefined) {
      const token = readToken(options.tokenFile);
      const response = await fetch(`${options.server.replace(/\/+$/, '')}/snapshot`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (!response.ok || !response.body) throw new Error(`the server answered ${response.status}: ${await response.text()}`);
      for await (const chunk of response.body) await file.write(chunk);
      const text = readFileSync(partial, 'utf8');
      const parsed = parseSnapshot(text);
      result = { revision: parsed.revision, resources: parsed.entries.filter((e) => 'resource' in e).length, relationships: parsed.entries.filter((e) => 'relationship' in e).length };
    } else {
      const store = await openStore({ path: options.data });
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
        await store.close();
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
  }
}

export async function restoreCommand(snapshotFile: string, options: { data: string; force?: boolean }): Promise<number> {
  const parsed = parseSnapshot(readFileSync(snapshotFile, 'utf8'));
  const bar = progressBar('restoring records');
  const result = await withEngine(options.data, (engine) =>
    restoreSnapshot(engine, parsed, new PredicateRegistry(), { force: options.force ?? false, progress: bar.update }),
  ).finally(() => bar.stop());
  out(`restored ${result.resources} resources and ${result.relationships} relationships; the store is at revision ${result.revision}`);
  return 0;
}

export async function verifyCommand(options: { data: string; json?: boolean; repair?: boolean }): Promise<number> {
  if (options.repair) {
    const repaired = await withEngine(options.data, repairIndices);
    if (!options.json) {
      out(`repair: rebuilt ${repaired.indexEntries} index entries and ${repaired.relationshipEntries} relationship entries from the data`);
      for (const key of repaired.undecodable) out(`  ${key}: cannot be decoded; left in place`);
    }
  }
  const report = await withEngine(options.data, verifyIntegrity);
  if (options.json) out(JSON.stringify(report));
  else {
    out(`checked ${report.resources} resources, ${report.indexEntries} index entries, ${report.relationships} relationships, ${report.logEntries} change-log entries`);
    for (const finding of report.findings) out(`  ${finding.key}: ${finding.problem}`);
    out(report.findings.length === 0 ? 'no problems found' : `${report.findings.length} problems found`);
  }
  return report.findings.length === 0 ? 0 : 1;
}

export async function statsCommand(options: { data: string; json?: boolean }): Promise<number> {
  const stats = await withEngine(options.data, storeStats);
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
