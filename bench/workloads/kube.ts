/**
 * kube: the Kubernetes dialect of the server against its own list API, on one store of N Pods
 * served on loopback. Five cases, each in items read per second:
 * - `kubectl get pods -A -o json` (Debian's kubectl 1.20, a child process: pages of 500, decoded
 *   and printed), against the same pages read through our list API (`GET /resources?limit=500`,
 *   `fetch` + `JSON.parse`): the issue's end-to-end figure, kubectl's own work included. kubectl
 *   paces itself: client-go's limiter (5 requests/s after a burst of 10, in kubectl 1.20) holds it
 *   under 2,500 items/s in pages of 500, whatever the server;
 * - the same with `--chunk-size=0` (one request: kubectl's decoding and printing, unpaced);
 * - the reads kubectl makes (`GET /api/v1/pods?limit=500` and its continues, with kubectl's Accept
 *   header, `fetch` + `JSON.parse`) against the same anchor: the dialect alone;
 * - a @kubernetes/client-node 1.4 informer's initial list (`listPodForAllNamespaces`, one
 *   response, decoded into its models, each add delivered) against the same read through our list
 *   API (`GET /resources`, one response); its client's work included;
 * - the read that informer makes (`GET /api/v1/pods`, `fetch` + `JSON.parse`) against that anchor.
 * Server and the Node clients share this process, so each side's figure includes the server.
 * Without kubectl the first two cases are left out, with a note on stderr.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { buildServer, type StoreServer } from '../../src/server/http-server.js';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { type BenchCase } from '../harness.js';
import { resource, scratch } from '../data.js';

const KUBECTL = fileURLToPath(new URL('../../.tools/kubernetes-client/usr/bin/kubectl', import.meta.url));
/** What kubectl get sends as Accept (it takes a plain List). */
const KUBECTL_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const TARGET = { ratio: 1 / 1.5, text: '≥ 0.67× (cost < 1.5× ours)' };

export function kubeCases(n: number): BenchCase[] {
  let store: ResourceStore | undefined;
  let server: StoreServer | undefined;
  let url = '';
  let dir: { path: string; remove: () => void } | undefined;
  let kubectlDir = '';

  const setup = async (): Promise<void> => {
    if (server) return;
    dir = scratch();
    store = await openStore({ path: dir.path });
    for (let b = 0; b < n; b += 1000) await store.batch(Array.from({ length: Math.min(1000, n - b) }, (_, j) => ({ op: 'add' as const, resource: resource(b + j) })));
    server = buildServer({ store });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`;
    kubectlDir = mkdtempSync(join(tmpdir(), 'bench-kubectl-'));
    mkdirSync(join(kubectlDir, 'home'));
    writeFileSync(
      join(kubectlDir, 'kubeconfig'),
      JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 's', cluster: { server: url } }], users: [{ name: 's', user: {} }], contexts: [{ name: 's', context: { cluster: 's', user: 's' } }], 'current-context': 's' }),
    );
  };
  const teardown = async (): Promise<void> => {
    await server?.shutdown();
    server = undefined;
    dir?.remove();
    rmSync(kubectlDir, { recursive: true, force: true });
  };

  /** Items per second of `work`, which returns how many items it read; each must read all N. */
  const itemsPerSecond = async (work: () => Promise<number>): Promise<number> => {
    const start = performance.now();
    const items = await work();
    const seconds = (performance.now() - start) / 1000;
    if (items !== n) throw new Error(`read ${items} items, expected ${n}`);
    return items / seconds;
  };
  const getJson = async (path: string, headers: Record<string, string> = {}): Promise<any> => {
    const response = await fetch(url + path, { headers });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  /** Our list API, pages of 500 (as kubectl pages). */
  const ourPages = (): Promise<number> =>
    itemsPerSecond(async () => {
      let items = 0;
      let token: string | undefined;
      do {
        const page = await getJson(`/resources?limit=500${token === undefined ? '' : `&continue=${encodeURIComponent(token)}`}`);
        items += page.items.length;
        token = page.continue;
      } while (token);
      return items;
    });
  /** Our list API, everything in one response (as an informer lists). */
  const ourWhole = (): Promise<number> => itemsPerSecond(async () => (await getJson('/resources')).items.length);
  const kubectl = (...flags: string[]) => (): Promise<number> =>
    itemsPerSecond(
      () =>
        new Promise((resolve, reject) => {
          const child = spawn(KUBECTL, ['--kubeconfig', join(kubectlDir, 'kubeconfig'), '--cache-dir', join(kubectlDir, 'cache'), 'get', 'pods', '-A', '-o', 'json', ...flags], {
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(kubectlDir, 'home') },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          // Count the items as they stream by, without holding the output: `-o json` indents each item's kind by 12 spaces.
          const marker = '\n            "kind": "Pod",';
          let items = 0;
          let tail = '';
          let stderr = '';
          child.stdout.on('data', (chunk: Buffer) => {
            const text = tail + chunk.toString('latin1');
            items += text.split(marker).length - 1;
            tail = text.slice(-(marker.length - 1)); // too short to hold a whole marker, so none is counted twice
          });
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          child.on('error', reject);
          child.on('close', (code) => (code === 0 ? resolve(items) : reject(new Error(`kubectl exited ${code}: ${stderr}`))));
        }),
    );
  const kubePages = (): Promise<number> =>
    itemsPerSecond(async () => {
      let items = 0;
      let token: string | undefined;
      do {
        const page = await getJson(`/api/v1/pods?limit=500${token === undefined ? '' : `&continue=${encodeURIComponent(token)}`}`, { accept: KUBECTL_ACCEPT });
        items += page.items.length;
        token = page.metadata.continue || undefined;
      } while (token);
      return items;
    });
  const informer = (): Promise<number> =>
    itemsPerSecond(async () => {
      const kc = new KubeConfig();
      kc.loadFromOptions({ clusters: [{ name: 's', server: url, skipTLSVerify: true }], users: [{ name: 's' }], contexts: [{ name: 's', cluster: 's', user: 's' }], currentContext: 's' });
      const core = kc.makeApiClient(CoreV1Api);
      const pods = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
      let added = 0;
      pods.on('add', () => added++);
      await pods.start(); // resolves once the list is delivered and the watch is open
      await pods.stop();
      return added;
    });
  const kubeWhole = (): Promise<number> => itemsPerSecond(async () => (await getJson('/api/v1/pods', { accept: 'application/json, */*;q=0.8' })).items.length);

  const size = n.toLocaleString('en-US');
  const cases: BenchCase[] = [];
  if (existsSync(KUBECTL)) {
    cases.push({
      workload: 'kube',
      name: `kubectl get pods -A -o json, ${size} Pods`,
      unit: 'items/s',
      setup,
      project: kubectl(),
      anchor: ourPages,
      anchorName: 'our list API, pages of 500 (fetch + JSON.parse)',
      target: TARGET,
    }, {
      workload: 'kube',
      name: `kubectl get pods -A -o json --chunk-size=0, ${size} Pods`,
      unit: 'items/s',
      setup,
      project: kubectl('--chunk-size=0'),
      anchor: ourWhole,
      anchorName: 'our list API, one response (fetch + JSON.parse)',
      target: TARGET,
    });
  } else {
    process.stderr.write(`kube: no kubectl at ${KUBECTL} (bash scripts/install-test-tools.sh): the kubectl cases are left out\n`);
  }
  cases.push(
    {
      workload: 'kube',
      name: `the list pages kubectl reads (GET /api/v1/pods?limit=500…), ${size} Pods`,
      unit: 'items/s',
      setup,
      project: kubePages,
      anchor: ourPages,
      anchorName: 'our list API, pages of 500 (fetch + JSON.parse)',
      target: TARGET,
    },
    {
      workload: 'kube',
      name: `client-node informer's initial list, ${size} Pods`,
      unit: 'items/s',
      setup,
      project: informer,
      anchor: ourWhole,
      anchorName: 'our list API, one response (fetch + JSON.parse)',
      target: TARGET,
    },
    {
      workload: 'kube',
      name: `the list an informer reads (GET /api/v1/pods), ${size} Pods`,
      unit: 'items/s',
      setup,
      teardown,
      project: kubeWhole,
      anchor: ourWhole,
      anchorName: 'our list API, one response (fetch + JSON.parse)',
      target: TARGET,
    },
  );
  return cases;
}
