/**
 * The resolve hook `built-code.mjs` registers: a module under `src/` (tsx has mapped `x.js` to
 * `x.ts` there) is loaded from the same path under `dist/` instead, its format as Node finds it.
 * Registered after tsx's (on Node 20 tsx registers its hooks with `module.register` too), it runs
 * first and asks tsx where a specifier leads. `run.ts` checks in each workload's process that a
 * store module resolves to `dist/`.
 */
const SRC = new URL('../src/', import.meta.url).href;
const DIST = new URL('../dist/', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith(SRC)) return resolved;
  const path = resolved.url.slice(SRC.length).replace(/\.ts$/, '.js');
  return { url: DIST + path, shortCircuit: true };
}
