/**
 * `npm run bench [-- --quick] [-- WORKLOAD...] [-- --n N]`: runs the workloads (ingest, get,
 * list, relations, derive, events, kube, scale, postgres, etcd), each case against its anchor in the same
 * process, several rounds alternating, prints the table, writes `bench/results.json`, and
 * rewrites the results section of `bench/RESULTS.md` with the machine and the date. A run of some
 * workloads replaces their rows and keeps the others', each row saying which run measured it. Each workload
 * runs in a process of its own, so one workload's garbage and heap never weigh on the next (and
 * the scale workload's peak RSS is its own). `BENCH_NODE_FLAGS` (space-separated) is passed to each
 * workload's process, to measure under node or V8 flags (e.g. `--no-allocation-site-pretenuring`);
 * each runs with `--expose-gc`, so that a workload can measure live memory after a full collection.
 * The store's code is loaded as built (`dist/`, see `built-code.mjs`), as its users run it; the
 * run refuses to start when a source file is newer than what was built from it (`npm run bench`
 * builds first). Processes a workload starts run with its flags (the postgres workload's writers
 * among them: a `--cpu-prof` or `--inspect` in `BENCH_NODE_FLAGS` reaches them too).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, totalmem } from 'node:os';
import { runCase, table, type BenchCase, type CaseResult } from './harness.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const nIndex = args.indexOf('--n');
const chosenN = nIndex >= 0 ? Number(args[nIndex + 1]) : undefined;
const wanted = new Set(args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--n'));
const n = chosenN ?? (quick ? 10_000 : 100_000);
const rounds = quick ? 3 : 5;

/** Each workload's cases; its module is loaded only in the process that runs it (a workload's peak RSS counts no other's code). */
const all: Record<string, () => Promise<BenchCase[]>> = {
  ingest: async () => (await import('./workloads/ingest.js')).ingestCases(n),
  get: async () => (await import('./workloads/reads.js')).readCases(n, quick ? 10_000 : 50_000).filter((c) => c.workload === 'get'),
  list: async () => (await import('./workloads/reads.js')).readCases(n, 1).filter((c) => c.workload === 'list'),
  relations: async () => (await import('./workloads/relations.js')).relationCases(n, quick ? 100 : 1000),
  derive: async () => (await import('./workloads/derive.js')).deriveCases(n),
  events: async () => (await import('./workloads/events.js')).eventCases(quick ? 200_000 : 1_000_000, quick ? 5_000 : 20_000, quick ? 1 : 3),
  kube: async () => (await import('./workloads/kube.js')).kubeCases(n),
  scale: async () => (await import('./workloads/scale.js')).scaleCases(chosenN ? [10_000, chosenN] : quick ? [10_000, 50_000] : [10_000, 100_000, 1_000_000]),
  // On PostgreSQL a write costs round trips, not microseconds: a smaller N keeps a run in minutes.
  postgres: async () => (await import('./workloads/postgres.js')).postgresCases(chosenN ?? (quick ? 1_000 : 5_000), quick),
  // The real server against etcd 3.4 (Debian's etcd-server; left out, with a note, without it).
  etcd: async () => (await import('./workloads/etcd.js')).etcdCases(chosenN ?? (quick ? 2_000 : 20_000), quick),
};

const childIndex = args.indexOf('--child');
if (childIndex >= 0) {
  const workload = args[childIndex + 1]!;
  const store = import.meta.resolve('../src/store/open-store.js');
  if (!store.includes('/dist/')) throw new Error(`bench: the store's modules load from ${store}, not as built (see built-code.mjs)`);
  const out: CaseResult[] = [];
  for (const c of await all[workload]!()) {
    const result = await runCase(c, c.workload === 'scale' ? 1 : rounds);
    out.push(result);
    process.stderr.write(`${table([result]).split('\n').at(-1)}\n`);
  }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

/** The first module under `src` (TypeScript, or generated JavaScript) with no build in `dist` at least as new, if any. */
function staleSource(src: string, dist: string): string | undefined {
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.[jt]s$/.test(entry.name) || entry.name.endsWith('.d.ts')) continue;
    // `parentPath` from Node 20.12; `path` before it.
    const source = join(entry.parentPath ?? (entry as { path?: string }).path ?? src, entry.name);
    const built = join(dist, relative(src, source)).replace(/\.ts$/, '.js');
    let builtAt: number;
    try {
      builtAt = statSync(built).mtimeMs;
    } catch {
      return source;
    }
    if (builtAt < statSync(source).mtimeMs) return source;
  }
  return undefined;
}

const stale = staleSource(fileURLToPath(new URL('../src/', import.meta.url)), fileURLToPath(new URL('../dist/', import.meta.url)));
if (stale !== undefined) {
  process.stderr.write(`bench: ${stale} is newer than its build in dist/: run \`npm run build\` first (\`npm run bench\` does)\n`);
  process.exit(2);
}
const builtCode = fileURLToPath(new URL('./built-code.mjs', import.meta.url));
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
const results: CaseResult[] = [];
const self = fileURLToPath(import.meta.url);
for (const workload of Object.keys(all)) {
  if (wanted.size > 0 && !wanted.has(workload)) continue;
  const childArgs = [...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), '--expose-gc', '--import', 'tsx', '--import', builtCode, self, '--child', workload, ...(quick ? ['--quick'] : []), ...(chosenN ? ['--n', String(chosenN)] : [])];
  const output = execFileSync(process.execPath, childArgs, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  results.push(...(JSON.parse(output.toString()) as CaseResult[]));
}
const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
const run = `${date} UTC, \`npm run bench${quick ? ' -- --quick' : ''}\`${wanted.size ? ` (${[...wanted].join(', ')})` : ''}, N = ${n.toLocaleString('en-US')}, ${rounds} rounds (scale: 1), on ${machine}`;
// A run of some workloads keeps the rows of the others from the runs that measured them.
const resultsPath = new URL('results.json', import.meta.url);
type Stored = { date: string; run?: string; machine: string; results: Array<CaseResult & { run?: string }> };
const previous: Stored | undefined = wanted.size === 0 ? undefined : (JSON.parse(readFileSync(resultsPath, 'utf8')) as Stored);
const kept = (previous?.results ?? []).filter((r) => !wanted.has(r.workload)).map((r) => ({ ...r, run: r.run ?? previous?.run ?? `${previous!.date} UTC, on ${previous!.machine}` }));
const merged = [...kept, ...results.map((r) => ({ ...r, run }))].sort((a, b) => Object.keys(all).indexOf(a.workload) - Object.keys(all).indexOf(b.workload));
const summary = table(merged);
process.stdout.write(`\n${table(results)}\n`);
writeFileSync(resultsPath, `${JSON.stringify({ date, run, machine, quick, n, rounds, results: merged }, null, 2)}\n`);
const runs = [...new Set(merged.map((r) => r.run))];
const path = new URL('RESULTS.md', import.meta.url);
const doc = readFileSync(path, 'utf8');
const section = `<!-- results:start -->\n${runs.map((r) => `Run: ${r}: ${[...new Set(merged.filter((m) => m.run === r).map((m) => m.workload))].join(', ')}.`).join('\n')}\n\n${summary}\n<!-- results:end -->`;
writeFileSync(path, doc.replace(/<!-- results:start -->[\s\S]*<!-- results:end -->/, section));
