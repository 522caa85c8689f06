/** Test helpers for the HTTP server: one on a free loopback port, and small request helpers. */
import { buildServer, type ServerOptions } from '../../src/server/http-server.js';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';

export interface RunningServer {
  readonly url: string;
  readonly store: ResourceStore;
  stop(): Promise<void>;
}

/** Starts a server over a fresh in-memory store (or the one given) on a free port. */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const store = options.store ?? (await openStore());
  const server = buildServer({ ...options, store });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, store, stop: () => server.shutdown() };
}

/** A JSON request: its status and parsed body. */
export async function request(url: string, init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any }> {
  const hasBody = init.body !== undefined || init.raw !== undefined;
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(hasBody ? { body: init.raw ?? JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (metrics text)
  }
  return { status: response.status, body };
}
