/** Test helpers for the HTTP server: one on a free loopback port, small request helpers, and a Kubernetes watch reader. */
import { get as httpGet, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
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

/** A Kubernetes watch stream as a test reads it: its events as they arrive, line by line. */
export interface WatchStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly response: IncomingMessage;
  /** The next event, or undefined when the stream ended. */
  next(): Promise<{ type: string; object: any } | undefined>;
  /** How the stream ended: `ended` when the server ended it, `cut` when the connection broke first. */
  readonly ending: Promise<'ended' | 'cut'>;
  close(): void;
}

/** Opens a Kubernetes watch (`?watch=true` on a collection) over node:http. */
export function openWatch(url: string, headers: Record<string, string> = {}): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers: { accept: 'application/json', ...headers } }, (response) => {
      response.setEncoding('utf8');
      let buffer = '';
      let ended = false;
      const events: Array<{ type: string; object: any }> = [];
      let waiting: (() => void) | undefined;
      let settle!: (how: 'ended' | 'cut') => void;
      const ending = new Promise<'ended' | 'cut'>((r) => (settle = r));
      const wake = (): void => {
        waiting?.();
        waiting = undefined;
      };
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 1);
          if (line !== '') events.push(JSON.parse(line) as { type: string; object: any });
        }
        wake();
      });
      response.on('end', () => {
        ended = true;
        settle('ended');
        wake();
      });
      response.on('close', () => {
        ended = true;
        settle('cut'); // after 'end', the first settle stands
        wake();
      });
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        response,
        ending,
        async next() {
          while (events.length === 0 && !ended) await new Promise<void>((r) => (waiting = r));
          return events.shift();
        },
        close() {
          req.destroy();
        },
      });
    });
    req.on('error', reject);
  });
}
