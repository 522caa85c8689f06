#!/usr/bin/env node
/**
 * Builds the dashboard into dist/dashboard-page/ (what src/dashboard/dashboard-routes.ts serves):
 * the page's TypeScript (dashboard/src/main.ts) bundled by esbuild with its libraries (cytoscape,
 * cytoscape-dagre, yaml) into one ES module, app.js, beside index.html and style.css. Nothing is
 * fetched at run time: the page works offline. `npm run build` runs it; the browser tests run it
 * before they start a server.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/dashboard-page`;

await mkdir(out, { recursive: true });
await build({
  entryPoints: [`${root}dashboard/src/main.ts`],
  outfile: `${out}/app.js`,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
await copyFile(`${root}dashboard/index.html`, `${out}/index.html`);
await copyFile(`${root}dashboard/style.css`, `${out}/style.css`);
