/**
 * The two sides of the etcd workload, behind one interface so that one driver runs both: our
 * server (`resource-store serve --data DIR --port 0`, a child process on disk, built as `npm
 * start` runs it, not through tsx, whose loader names every closure as it is made) reached with
 * `node:http` and a keep-alive agent, and etcd 3.4 (`/usr/bin/etcd`, Debian's etcd-server, one
 * member) reached with the `etcd3` npm client (gRPC over one HTTP/2 channel, @grpc/grpc-js). Each
 * server runs on loopback with a data directory of its own, made fresh at start and removed at
 * stop. Objects are Pods: ours are written and read through the Kubernetes paths, etcd's are keys
 * `/registry/pods/{namespace}/{name}` (as kube-apiserver names them) holding the very JSON bytes
 * our server is sent. Each side's server CPU is read from /proc, so a round can say what a
 * request cost the server as well as the client.
 *
 * `RESOURCE_STORE_BENCH_SERVE_PROFILE=DIR` starts our server with `--cpu-prof` into DIR (a
 * profile per server, written when it stops).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';

export const ETCD = '/usr/bin/etcd';
/** Requests each side's client keeps in flight. */
export const IN_FLIGHT = 64;

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The server as `npm start` runs it: built by `npm run build`, which `npm run bench` runs first. */
const MAIN = join(REPO, 'dist/cli/main.js');

/** One object as both sides receive it: where it lives and its manifest's JSON bytes. */
export interface PodBody {
  readonly namespace: string;
  readonly name: string;
  readonly json: Buffer;
}

/** A watch open on one namespace: each object it delivers is decoded and handed on. */
export interface OpenWatch {
  close(): Promise<void>;
}

/** A server with its client: the same calls on both sides, each decoding what it reads. */
export interface Side {
  readonly label: string;
  create(pod: PodBody): Promise<void>;
  get(namespace: string, name: string): Promise<unknown>;
  /** The objects of `namespace`, at most `limit`, decoded. */
  list(namespace: string, limit: number): Promise<unknown[]>;
  /** Resolves once the watch is established: every later create in `namespace` reaches `deliver`. */
  watch(namespace: string, deliver: (manifest: { metadata: { name: string } }) => void): Promise<OpenWatch>;
  /** CPU milliseconds the server process has used so far. */
  serverCpuMs(): number;
  stop(): Promise<void>;
}

/** CPU time (user + system, every thread) of a process, in milliseconds, from /proc/PID/stat. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at `state`; utime and stime are the 12th and 13th after it, in ticks of 1/100 s (Linux's USER_HZ).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the last few KiB a child wrote to a stream, for an error message. */
function tail(stream: NodeJS.ReadableStream | null): () => string {
  let text = '';
  stream?.on('data', (chunk: Buffer) => (text = (text + chunk.toString()).slice(-4096)));
  return () => text;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function failOnEarlyExit(child: ChildProcess, what: string, output: () => string): Promise<never> {
  return new Promise((_, reject) => child.once('exit', (code, signal) => reject(new Error(`${what} exited (${code ?? signal}) before it was ready: ${output()}`))));
}

function call(agent: Agent, port: number, method: string, path: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, agent, headers: body ? { 'content-type': 'application/json', 'content-length': body.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function expectJson(response: Promise<{ status: number; body: Buffer }>, status: number, what: string): Promise<any> {
  const { status: got, body } = await response;
  if (got !== status) throw new Error(`${what}: ${got} ${body.toString().slice(0, 300)}`);
  return JSON.parse(body.toString());
}

/** Our server in a child process on a fresh data directory, and its `node:http` client. */
export async function startStoreSide(): Promise<Side> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-etcd-store-'));
  const profileDir = process.env.RESOURCE_STORE_BENCH_SERVE_PROFILE;
  const child = spawn(process.execPath, [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), MAIN, 'serve', '--data', join(dir, 'db'), '--port', '0'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = tail(child.stderr);
  const port = await Promise.race([
    new Promise<number>((resolve) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /serving .* at http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (found) resolve(Number(found[1]));
      });
    }),
    failOnEarlyExit(child, 'resource-store serve', stderr),
  ]);
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const watches = new Set<IncomingMessage>();
  return {
    label: 'resource-store serve',
    async create(pod) {
      const { status, body } = await call(agent, port, 'POST', `/api/v1/namespaces/${pod.namespace}/pods`, pod.json);
      if (status !== 201) throw new Error(`create ${pod.namespace}/${pod.name}: ${status} ${body.toString().slice(0, 300)}`);
    },
    get: (namespace, name) => expectJson(call(agent, port, 'GET', `/api/v1/namespaces/${namespace}/pods/${name}`), 200, `get ${namespace}/${name}`),
    list: async (namespace, limit) => (await expectJson(call(agent, port, 'GET', `/api/v1/namespaces/${namespace}/pods?limit=${limit}`), 200, `list ${namespace}`)).items,
    watch: (namespace, deliver) =>
      new Promise((resolve, reject) => {
        // The server registers the watch before it answers, so the response's arrival is the watch's start.
        const req = request({ host: '127.0.0.1', port, path: `/watch?version=v1&kind=Pod&namespace=${namespace}`, headers: { accept: 'text/event-stream' } }, (res) => {
          if (res.statusCode !== 200) return reject(new Error(`watch ${namespace}: ${res.statusCode}`));
          watches.add(res);
          res.setEncoding('utf8');
          let buffer = '';
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let cut: number;
            while ((cut = buffer.indexOf('\n\n')) >= 0) {
              const frame = buffer.slice(0, cut);
              buffer = buffer.slice(cut + 2);
              const data = frame.indexOf('\ndata: ');
              if (data >= 0) deliver(JSON.parse(frame.slice(data + 7)).resource.data);
            }
          });
          resolve({
            close: async () => {
              watches.delete(res);
              req.destroy();
            },
          });
        });
        req.on('error', reject);
        req.end();
      }),
    serverCpuMs: () => cpuMsOf(child.pid!),
    async stop() {
      for (const res of watches) res.destroy();
      agent.destroy();
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForHealth(port: number, exited: Promise<never>): Promise<void> {
  const agent = new Agent();
  try {
    for (let attempt = 0; ; attempt++) {
      const healthy = await Promise.race([
        call(agent, port, 'GET', '/health').then(
          (r) => r.status === 200 && JSON.parse(r.body.toString()).health === 'true',
          () => false,
        ),
        exited,
      ]);
      if (healthy) return;
      if (attempt >= 200) throw new Error('etcd did not become healthy in 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    agent.destroy();
  }
}

/** etcd 3.4, one member, in a child process on a fresh data directory, and its `etcd3` client. */
export async function startEtcdSide(): Promise<Side> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    ETCD,
    [
      '--name', 'bench', '--data-dir', join(dir, 'data'),
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `bench=${peer}`, '--initial-cluster-state', 'new',
      '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const stderr = tail(child.stderr);
  await waitForHealth(clientPort, failOnEarlyExit(child, 'etcd', stderr));
  const etcd = new Etcd3({ hosts: client });
  const key = (namespace: string, name = ''): string => `/registry/pods/${namespace}/${name}`;
  return {
    label: 'etcd 3.4',
    async create(pod) {
      await etcd.put(key(pod.namespace, pod.name)).value(pod.json).exec();
    },
    async get(namespace, name) {
      const value = await etcd.get(key(namespace, name)).buffer();
      if (value === null) throw new Error(`get ${namespace}/${name}: absent`);
      return JSON.parse(value.toString());
    },
    async list(namespace, limit) {
      const { kvs } = await etcd.getAll().prefix(key(namespace)).limit(limit).exec();
      return kvs.map((kv) => JSON.parse(kv.value.toString()));
    },
    async watch(namespace, deliver) {
      const watcher = await etcd.watch().prefix(key(namespace)).create();
      watcher.on('put', (kv) => deliver(JSON.parse(kv.value.toString())));
      return { close: () => watcher.cancel() };
    },
    serverCpuMs: () => cpuMsOf(child.pid!),
    async stop() {
      etcd.close();
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
