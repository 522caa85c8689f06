/**
 * Serves the dashboard: the page at `/` and its built files at `/dashboard/{file}`, from the
 * folder `npm run build` writes (`dist/dashboard-page/`, built by scripts/build-dashboard.mjs from
 * the page's sources in `dashboard/`). The files are static and hold no data, so they are served
 * without the token: the page asks for the token itself and sends it with every API call. Only
 * the files the build wrote are served (a name is looked up in the folder's listing, never joined
 * to a path blindly); a server started before a build answers `/` with NOT_FOUND naming the
 * command that builds it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { StoreError } from '../storage/errors.js';

/** Where the build writes the page, from src/dashboard/ and dist/dashboard/ alike. */
export const DASHBOARD_PAGE_DIR = fileURLToPath(new URL('../../dist/dashboard-page/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The page's own scripts and styles only; inline styles for the graph library's canvas. */
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** True for the paths the dashboard serves (open without the token). */
export function isDashboardPath(path: string): boolean {
  return path === '/' || path === '/index.html' || path.startsWith('/dashboard/');
}

async function builtFile(name: string, dir: string): Promise<Buffer> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new StoreError('NOT_FOUND', 'the dashboard is not built: run `npm run build`');
  }
  if (!names.includes(name)) throw new StoreError('NOT_FOUND', `the dashboard has no file ${JSON.stringify(name.slice(0, 100))}`);
  return readFile(join(dir, name));
}

function typeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return TYPES[dot < 0 ? '' : name.slice(dot)] ?? 'application/octet-stream';
}

/** Registers `/`, `/index.html` and `/dashboard/{file}`, served from `dir` (default: the build's folder). */
export function registerDashboardRoutes(app: FastifyInstance, dir: string = DASHBOARD_PAGE_DIR): void {
  const page = async (_request: unknown, reply: FastifyReply): Promise<unknown> =>
    reply
      .type(TYPES['.html']!)
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .send(await builtFile('index.html', dir));
  app.get('/', page);
  app.get('/index.html', page);
  app.get('/dashboard/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    return reply
      .type(typeOf(file))
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .send(await builtFile(file, dir));
  });
}
