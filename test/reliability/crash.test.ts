/**
 * Crash test: a child process writes a mixed load to an on-disk store and reports each
 * acknowledged write; the parent kills it with SIGKILL at a random instant (after a random number
 * of acknowledgements, with writes in flight), reopens the store and checks that every
 * acknowledged write is there and nothing unacknowledged is half there (each writer's namespace
 * is its state after its acknowledged operations, or after one more, whole), that `verify` finds
 * no inconsistency, and that the revision is exactly the number of changes made (the change log
 * contiguous). CRASH_CYCLES sets the number of cycles (default 25; `npm run soak` runs 300).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { verifyIntegrity } from '../../src/integrity/verify.js';
import { openLevelEngine } from '../../src/storage/level-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { tempDir } from '../helpers/stores.js';
import { applyOp, newModel, nextOp, prng, type WriterModel } from './crash-workload.js';

const WRITER = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
const CYCLES = Number(process.env.CRASH_CYCLES ?? 25);
const WRITERS = 3;

/** Runs the writer until `killAfter` acknowledgements, kills it, and returns the acknowledged counts. */
function runAndKill(path: string, seed: number, killAfter: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, String(seed), String(WRITERS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = Array.from({ length: WRITERS }, () => 0);
    let total = 0;
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let cut: number;
      while ((cut = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 1);
        const match = /^ack (\d+) (\d+)$/.exec(line);
        if (!match) continue;
        acked[Number(match[1])] = Number(match[2]);
        if (++total === killAfter) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`the writer exited by itself (${code}): ${stderr}`));
    });
  });
}

/** The model of a writer after `count` operations. */
function modelAfter(seed: number, writer: number, count: number): WriterModel {
  const random = prng(seed * 100 + writer);
  const model = newModel();
  for (let i = 1; i <= count; i++) applyOp(model, nextOp(random, model, i));
  return model;
}

describe('crash at any instant', () => {
  it(`loses no acknowledged write and leaves data and indices consistent over ${CYCLES} SIGKILLs`, async () => {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const seed = 1000 + cycle;
      const path = join(tempDir(), 'db');
      const killAfter = 1 + ((seed * 7919) % 300);
      const acked = await runAndKill(path, seed, killAfter);
      const store = await openStore({ path });
      const candidates: number[][] = [];
      for (let w = 0; w < WRITERS; w++) {
        const namespace = `w${w}`;
        const page = await store.list({ namespace });
        const resources = new Map(page.items.map((r) => [r.ref.name, { value: (r.data as { value: number }).value, version: r.version }]));
        const relationships = new Set(
          (await store.getRelationships({ subject: { version: 'v1', kind: 'Item', namespace } })).items.map((r) => `${r.subject.name}>${r.object.name}`),
        );
        const matching: number[] = [];
        for (const count of [acked[w]!, acked[w]! + 1]) {
          const model = modelAfter(seed, w, count);
          const same =
            resources.size === model.resources.size &&
            [...model.resources].every(([name, state]) => {
              const got = resources.get(name);
              return got !== undefined && got.value === state.value && got.version === state.version;
            }) &&
            relationships.size === model.relationships.size &&
            [...model.relationships].every((rel) => relationships.has(rel));
          if (same) matching.push(model.changes);
        }
        assert.ok(matching.length > 0, `cycle ${cycle}: writer ${w} (acked ${acked[w]}) holds neither its acknowledged state nor that plus one whole operation`);
        candidates.push(matching);
      }
      const sums = candidates.reduce<number[]>((acc, options) => acc.flatMap((a) => options.map((o) => a + o)), [0]);
      assert.ok(sums.includes(store.revision), `cycle ${cycle}: revision ${store.revision} is not the number of changes made (${sums.join(' or ')})`);
      await store.close();
      const engine = await openLevelEngine({ path });
      const report = await verifyIntegrity(engine);
      await engine.close();
      assert.deepEqual(report.findings, [], `cycle ${cycle}`);
    }
  });
});
