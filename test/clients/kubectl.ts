/**
 * Real kubectl for the tests: the binaries found on this machine (Debian's kubectl 1.20 unpacked
 * by scripts/install-test-tools.sh, and /usr/bin/kubectl when it is another version), and a
 * session that points one of them at a server: a kubeconfig with the server's URL and token, and
 * a HOME and cache directory of its own in a temporary directory, so no run shares a discovery
 * cache with another and no KUBECONFIG of the environment leaks in. Commands run as child
 * processes; a watch (`get -w`) is a child whose output lines can be awaited.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A kubectl binary and its client version (`v1.20.2`). */
export interface KubectlBinary {
  readonly path: string;
  readonly version: string;
}

/** Debian's kubectl 1.20, where scripts/install-test-tools.sh unpacks it. */
export const DEBIAN_KUBECTL = fileURLToPath(new URL('../../.tools/kubernetes-client/usr/bin/kubectl', import.meta.url));

/** What the tests skip with when no kubectl is found. */
export const NO_KUBECTL = 'no kubectl: run `bash scripts/install-test-tools.sh` as root (CI does)';

function clientVersion(path: string): string | undefined {
  try {
    const home = mkdtempSync(join(tmpdir(), 'kubectl-version-'));
    try {
      const out = execFileSync(path, ['version', '--client', '-o', 'json'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home }, timeout: 20_000 });
      return (JSON.parse(out.toString()) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  } catch {
    return undefined;
  }
}

const minor = (version: string): string => /^v?(\d+\.\d+)/.exec(version)?.[1] ?? version;

/**
 * The kubectl binaries to test with: Debian's 1.20 when installed, and /usr/bin/kubectl when it
 * runs and is another minor version (1.32 behind gcloud's dispatcher, here).
 */
export function findKubectls(): KubectlBinary[] {
  const found: KubectlBinary[] = [];
  for (const path of [DEBIAN_KUBECTL, '/usr/bin/kubectl']) {
    if (!existsSync(path)) continue;
    const version = clientVersion(path);
    if (version !== undefined && !found.some((other) => minor(other.version) === minor(version))) found.push({ path, version });
  }
  return found;
}

/** Debian's kubectl 1.20 alone (no dispatcher, so the fastest), or undefined. */
export function debianKubectl(): KubectlBinary | undefined {
  if (!existsSync(DEBIAN_KUBECTL)) return undefined;
  const version = clientVersion(DEBIAN_KUBECTL);
  return version === undefined ? undefined : { path: DEBIAN_KUBECTL, version };
}

/** How a kubectl command ended. */
export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A `kubectl get -w` running: its output so far, a wait for a line, and a stop. */
export interface KubectlWatch {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line (already printed or to come) that `match` accepts; rejects if kubectl exits first. */
  line(match: (line: string) => boolean): Promise<string>;
  /** Kills kubectl and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * A kubeconfig (JSON is YAML) naming one server, its bearer token, and for an `https://` server
 * the PEM certificate to trust. kubectl sends the token only over TLS.
 */
export function kubeconfigText(server: string, token: string | undefined, certificate?: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'store', cluster: { server, ...(certificate === undefined ? {} : { 'certificate-authority-data': Buffer.from(certificate).toString('base64') }) } }],
    users: [{ name: 'store', user: token === undefined ? {} : { token } }],
    contexts: [{ name: 'store', context: { cluster: 'store', user: 'store' } }],
    'current-context': 'store',
  });
}

/** One kubectl pointed at one server, with its own kubeconfig, HOME and cache in a temporary directory. */
export class KubectlSession {
  readonly #binary: KubectlBinary;
  readonly #dir: string;
  readonly #env: Record<string, string>;
  readonly #flags: string[];
  readonly #watches = new Set<KubectlWatch>();

  constructor(binary: KubectlBinary, server: string, token?: string, certificate?: string) {
    this.#binary = binary;
    this.#dir = mkdtempSync(join(tmpdir(), 'kubectl-session-'));
    const home = join(this.#dir, 'home');
    mkdirSync(home);
    const kubeconfig = join(this.#dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigText(server, token, certificate));
    this.#env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home };
    this.#flags = ['--kubeconfig', kubeconfig, '--cache-dir', join(this.#dir, 'cache'), '--request-timeout', '30s'];
  }

  /** The session's temporary directory (for manifest files). */
  get dir(): string {
    return this.#dir;
  }

  /** Writes `content` (an object as JSON, or text) to a file in the session's directory; returns its path. */
  file(name: string, content: unknown): string {
    const path = join(this.#dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  }

  /** Runs `kubectl ...args` to its end. */
  run(args: readonly string[]): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#binary.path, [...this.#flags, ...args], { env: this.#env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    });
  }

  /** Runs kubectl and parses its stdout as JSON; throws with its stderr unless it exits 0. */
  async json(args: readonly string[]): Promise<any> {
    const result = await this.run([...args, '-o', 'json']);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout);
  }

  /** Starts a long-running kubectl (`get -w`). */
  watch(args: readonly string[]): KubectlWatch {
    const child = spawn(this.#binary.path, [...this.#flags, ...args], { env: this.#env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const waiters = new Set<{ match: (line: string) => boolean; resolve: (line: string) => void; reject: (err: Error) => void }>();
    let partial = '';
    let stderr = '';
    let exit: Error | undefined;
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        for (const waiter of waiters) {
          if (waiter.match(line)) {
            waiters.delete(waiter);
            waiter.resolve(line);
          }
        }
      }
    });
    const exited = new Promise<void>((resolve) =>
      child.on('close', (code, signal) => {
        exit = new Error(`kubectl ${args.join(' ')} exited (${code ?? signal}) before the line awaited; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`);
        for (const waiter of waiters) waiter.reject(exit);
        waiters.clear();
        resolve();
      }),
    );
    const watch: KubectlWatch = {
      child,
      line: (match) => {
        const seen = lines.find(match);
        if (seen !== undefined) return Promise.resolve(seen);
        if (exit) return Promise.reject(exit);
        return new Promise((resolve, reject) => waiters.add({ match, resolve, reject }));
      },
      stop: async () => {
        this.#watches.delete(watch);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
    this.#watches.add(watch);
    return watch;
  }

  /** Stops any watch still running and removes the temporary directory. */
  async close(): Promise<void> {
    await Promise.all([...this.#watches].map((watch) => watch.stop()));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
