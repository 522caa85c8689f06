/**
 * The crash test's child process: opens the store at argv[2] and runs WRITERS writers, each the
 * seeded operation stream of its own namespace, one operation at a time; after each
 * acknowledged operation it prints `ack {writer} {count}`. The parent kills it at a random instant.
 */
import { openStore } from '../../src/store/open-store.js';
import { applyOp, newModel, nextOp, prng, storeCall } from './crash-workload.js';

const [path, seedText, writersText] = process.argv.slice(2);
const seed = Number(seedText);
const writers = Number(writersText);
const store = await openStore({ path: path! });
process.stdout.write('ready\n');
await Promise.all(
  Array.from({ length: writers }, async (_, w) => {
    const random = prng(seed * 100 + w);
    const model = newModel();
    for (let count = 1; ; count++) {
      const op = nextOp(random, model, count);
      const { method, args } = storeCall(`w${w}`, op);
      await (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args);
      applyOp(model, op);
      process.stdout.write(`ack ${w} ${count}\n`);
    }
  }),
);
