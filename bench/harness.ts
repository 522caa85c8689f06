/**
 * The benchmark harness: runs each case's project and anchor alternately, several rounds, in the
 * same process, and reports medians, min–max and the ratio project/anchor, with the target each
 * case is held to. Machines here are shared and noisy (±25% between runs): only the ratio within
 * one run is a claim.
 */

/** One measured side: each call runs one round and returns its figure (higher is better unless `lowerIsBetter`). */
export type Round = () => Promise<number>;

export interface BenchCase {
  readonly workload: string;
  readonly name: string;
  readonly unit: string;
  readonly project: Round;
  /** The same work done directly on the library, with no store logic. */
  readonly anchor?: Round;
  readonly anchorName?: string;
  /** The least acceptable ratio project/anchor (or, with `absolute`, the figure itself). */
  readonly target?: { readonly ratio?: number; readonly absolute?: number; readonly lowerIsBetter?: boolean; readonly text: string };
  readonly setup?: () => Promise<void>;
  readonly teardown?: () => Promise<void>;
}

export interface CaseResult {
  readonly workload: string;
  readonly name: string;
  readonly unit: string;
  readonly anchorName?: string;
  readonly project: { median: number; min: number; max: number; rounds: number[] };
  readonly anchor?: { median: number; min: number; max: number; rounds: number[] };
  readonly ratio?: number;
  readonly target?: string;
  readonly met?: boolean;
}

function stats(rounds: number[]): { median: number; min: number; max: number; rounds: number[] } {
  const sorted = [...rounds].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, rounds };
}

/** Runs one case: `rounds` rounds, project and anchor alternating (the first side alternates too). */
export async function runCase(c: BenchCase, rounds: number): Promise<CaseResult> {
  await c.setup?.();
  const project: number[] = [];
  const anchor: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ['project', 'anchor'] : ['anchor', 'project'];
      for (const side of order) {
        if (side === 'project') project.push(await c.project());
        else if (c.anchor) anchor.push(await c.anchor());
      }
    }
  } finally {
    await c.teardown?.();
  }
  const p = stats(project);
  const a = c.anchor ? stats(anchor) : undefined;
  const ratio = a ? (c.target?.lowerIsBetter ? a.median / p.median : p.median / a.median) : undefined;
  let met: boolean | undefined;
  if (c.target?.ratio !== undefined && ratio !== undefined) met = ratio >= c.target.ratio;
  if (c.target?.absolute !== undefined) met = c.target.lowerIsBetter ? p.median <= c.target.absolute : p.median >= c.target.absolute;
  return {
    workload: c.workload,
    name: c.name,
    unit: c.unit,
    ...(c.anchorName ? { anchorName: c.anchorName } : {}),
    project: p,
    ...(a ? { anchor: a } : {}),
    ...(ratio === undefined ? {} : { ratio }),
    ...(c.target ? { target: c.target.text } : {}),
    ...(met === undefined ? {} : { met }),
  };
}

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** A Markdown table of results. */
export function table(results: readonly CaseResult[]): string {
  const lines = [
    '| workload | case | project (median, min–max) | anchor (median, min–max) | ratio | target | met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const side = (s: CaseResult['project'] | undefined) => (s ? `${fmt(s.median)} ${r.unit} (${fmt(s.min)}–${fmt(s.max)})` : '–');
    lines.push(
      `| ${r.workload} | ${r.name} | ${side(r.project)} | ${r.anchor ? `${side(r.anchor)}: ${r.anchorName}` : '–'} | ${r.ratio === undefined ? '–' : `${r.ratio.toFixed(2)}×`} | ${r.target ?? '–'} | ${r.met === undefined ? '–' : r.met ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

/** Times `work` and returns operations per second for `count` operations. */
export async function rate(count: number, work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return count / ((performance.now() - start) / 1000);
}
