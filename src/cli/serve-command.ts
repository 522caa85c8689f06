/**
 * `serve`: opens the store (on disk in `--data`, or in memory) and serves it over HTTP until
 * SIGINT or SIGTERM, then stops accepting, ends the event streams, lets requests in flight finish,
 * closes the store and exits 0. It listens on 127.0.0.1 unless told otherwise, and refuses to
 * listen on any other address without a bearer token. It answers to the Host names `localhost`,
 * IP addresses, its `--host`, and those given with `--allow-host` (see server/allowed-hosts.ts).
 * Pages on the origins given with `--cors-origin` may use its API and watches (server/cors.ts).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { normalizeOrigin } from '../server/cors.js';
import { buildServer } from '../server/http-server.js';
import { openStore } from '../store/open-store.js';
import { printableLocation, storeLocation } from './data-location.js';

export interface ServeOptions {
  readonly data: string;
  readonly memory?: boolean;
  readonly host: string;
  readonly port: string;
  readonly tokenFile?: string;
  readonly log?: boolean;
  /** More Host names to answer to, each comma-separated list as given (`--allow-host`, repeatable). */
  readonly allowHost?: string | readonly string[];
  /** Origins whose pages may use the API and the watches (`--cors-origin`, repeatable). */
  readonly corsOrigin?: string | readonly string[];
  /** Serve HTTPS with this PEM certificate and the key in `tlsKeyFile`. */
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
}

/** The certificate and key of `--tls-cert-file` and `--tls-key-file`: both or neither. */
function readTls(options: Pick<ServeOptions, 'tlsCertFile' | 'tlsKeyFile'>): { cert: Buffer; key: Buffer } | undefined {
  if (options.tlsCertFile === undefined && options.tlsKeyFile === undefined) return undefined;
  if (options.tlsCertFile === undefined || options.tlsKeyFile === undefined) throw new Error('--tls-cert-file and --tls-key-file go together');
  return { cert: readFileSync(options.tlsCertFile), key: readFileSync(options.tlsKeyFile) };
}

/** The Host names `serve` answers to besides localhost and IP addresses: its `--host`, and every `--allow-host`. */
export function allowedHostsOf(options: Pick<ServeOptions, 'host' | 'allowHost'>): string[] {
  const given = options.allowHost === undefined ? [] : typeof options.allowHost === 'string' ? [options.allowHost] : options.allowHost;
  return [options.host, ...given.flatMap((list) => list.split(','))].map((name) => name.trim()).filter((name) => name !== '');
}

/** The token from `--token-file`, else from RESOURCE_STORE_TOKEN; undefined when neither is set. */
export function readToken(tokenFile: string | undefined): string | undefined {
  if (tokenFile !== undefined) {
    const token = readFileSync(tokenFile, 'utf8').trim();
    if (token === '') throw new Error(`token file ${tokenFile} is empty`);
    return token;
  }
  const fromEnv = process.env.RESOURCE_STORE_TOKEN?.trim();
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

export async function serve(options: ServeOptions): Promise<void> {
  const token = readToken(options.tokenFile);
  if (!isLoopback(options.host) && token === undefined) {
    throw new Error(
      `refusing to listen on ${options.host} without a token: anyone who can reach it could read and change the store. ` +
        'Pass --token-file FILE or set RESOURCE_STORE_TOKEN, or listen on 127.0.0.1.',
    );
  }
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got ${options.port}`);
  const tls = readTls(options);
  const corsOrigins = (options.corsOrigin === undefined ? [] : typeof options.corsOrigin === 'string' ? [options.corsOrigin] : options.corsOrigin).map(normalizeOrigin);
  const store = await openStore(options.memory ? {} : storeLocation(options.data));
  const server = buildServer({
    store,
    ...(token === undefined ? {} : { token }),
    ...(tls === undefined ? {} : { tls }),
    allowedHosts: allowedHostsOf(options),
    corsOrigins,
    logger: options.log ?? false,
  });
  try {
    await server.app.listen({ host: options.host, port });
  } catch (err) {
    await server.shutdown();
    throw err;
  }
  const address = server.app.server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  const where = options.memory ? 'an in-memory store' : `the store in ${printableLocation(options.data)}`;
  process.stdout.write(`resource-store serving ${where} at ${tls ? 'https' : 'http'}://${options.host}:${actualPort} (revision ${store.revision})\n`);
  const stop = (signal: string): void => {
    process.stdout.write(`${signal}: shutting down\n`);
    server.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
