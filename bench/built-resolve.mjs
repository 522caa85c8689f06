/**
 * The resolve hook `built-code.mjs` registers: a module under `src/` (tsx has mapped `x.js` to
 * `x.ts` there) is loaded from the same path under `dist/` instead. Registered after tsx's, so
 * it runs first and asks tsx where a specifier leads.
 */
const SRC = new URL('../src/', import.meta.url).href;
const DIST = new URL('../dist/', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith(SRC)) return resolved;
  const path = resolved.url.slice(SRC.length).replace(/\.ts$/, '.js');
  return { url: DIST + path, format: 'module', shortCircuit: true };
}
