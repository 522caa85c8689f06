/**
 * kubectl, unchanged, against the real server (`serve --memory` with a token over HTTPS, as a child
 * process: kubectl sends its token only over TLS, see tls-cert.ts): every case runs
 * with each kubectl found (Debian's 1.20, and 1.32 when the machine has it), on real manifests
 * from the fixture dumps. Assertions are on exit codes and parsed output, never on
 * table spacing or messages (but for the Status reason kubectl prints: Conflict, NotFound).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { startServe } from '../helpers/cli.js';
import { dumpObject, dumpObjects, userManifest, type KubeObject } from './dumps.js';
import { findKubectls, KubectlSession, NO_KUBECTL } from './kubectl.js';
import { hasOpenssl, selfSigned } from './tls-cert.js';

const K3D = 'replicatedhq-troubleshoot-k3d-support-bundle.json';
const TOKEN = 'kubectl-test-token';
const binaries = findKubectls();

/** A JSON `List` of manifests, as `kubectl apply -f` takes it. */
const listOf = (items: KubeObject[]): KubeObject => ({ apiVersion: 'v1', kind: 'List', items });

/** stdout lines that are not empty. */
const linesOf = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');

/** The rows of a table (no header), each split on whitespace. */
const rowsOf = (text: string): string[][] => linesOf(text).slice(1).map((line) => line.trim().split(/\s+/));

describe('kubectl against the server', () => {
  if (binaries.length === 0 || !hasOpenssl()) {
    it('runs kubectl', (t) => t.skip(binaries.length === 0 ? NO_KUBECTL : 'no openssl for the certificate kubectl needs to send its token'));
    return;
  }
  for (const binary of binaries) {
    describe(`kubectl ${binary.version}`, () => {
      let server: Awaited<ReturnType<typeof startServe>>;
      let kubectl: KubectlSession;

      before(async () => {
        const tls = selfSigned();
        server = await startServe(['--memory', '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile], { RESOURCE_STORE_TOKEN: TOKEN });
        kubectl = new KubectlSession(binary, server.url, TOKEN, tls.certificate);
      });
      after(async () => {
        await kubectl?.close();
        server?.child.kill('SIGTERM');
        await server?.exited;
      });

      it('sends no token to an http:// server, which answers 401 (so a token needs TLS)', async () => {
        const plainServer = await startServe(['--memory'], { RESOURCE_STORE_TOKEN: TOKEN });
        const plain = new KubectlSession(binary, plainServer.url, TOKEN);
        try {
          const result = await plain.run(['get', 'pods']);
          assert.equal(result.code, 1);
          assert.match(result.stderr, /logged in/);
        } finally {
          await plain.close();
          plainServer.child.kill('SIGTERM');
          await plainServer.exited;
        }
      });

      it('lists the Kubernetes resources with their short names (api-resources)', async () => {
        const result = await kubectl.run(['api-resources']);
        assert.equal(result.code, 0, result.stderr);
        const rows = new Map(linesOf(result.stdout).map((line) => [line.trim().split(/\s+/)[0]!, line.trim().split(/\s+/)]));
        for (const [name, short, kind] of [
          ['pods', 'po', 'Pod'],
          ['services', 'svc', 'Service'],
          ['deployments', 'deploy', 'Deployment'],
          ['namespaces', 'ns', 'Namespace'],
          ['nodes', 'no', 'Node'],
          ['configmaps', 'cm', 'ConfigMap'],
          ['ingresses', 'ing', 'Ingress'],
        ] as const) {
          const row = rows.get(name);
          assert.ok(row, `api-resources lists ${name}:\n${result.stdout}`);
          assert.ok(row.includes(short), `${name} has short name ${short}: ${row.join(' ')}`);
          assert.ok(row.includes(kind), `${name} is kind ${kind}: ${row.join(' ')}`);
        }
        const clusterScoped = await kubectl.run(['api-resources', '--namespaced=false', '-o', 'name']);
        assert.equal(clusterScoped.code, 0, clusterScoped.stderr);
        assert.ok(linesOf(clusterScoped.stdout).includes('nodes'));
        assert.ok(!linesOf(clusterScoped.stdout).includes('pods'));
      });

      it('creates, then configures, then leaves unchanged real manifests (apply -f)', async () => {
        const deployment = userManifest(dumpObject(K3D, 'Deployment', 'default', 'nginx-deployment'));
        const service = userManifest(dumpObject(K3D, 'Service', 'kube-system', 'metrics-server'));
        const file = kubectl.file('apply.json', listOf([deployment, service]));

        const created = await kubectl.run(['apply', '-f', file]);
        assert.equal(created.code, 0, created.stderr);
        assert.deepEqual(linesOf(created.stdout).map((line) => line.split(' ').at(-1)), ['created', 'created'], created.stdout);

        const changed = structuredClone(deployment);
        changed.spec.replicas = 3;
        changed.metadata.labels.tier = 'front';
        kubectl.file('apply.json', listOf([changed, service]));
        const configured = await kubectl.run(['apply', '-f', file]);
        assert.equal(configured.code, 0, configured.stderr);
        assert.deepEqual(linesOf(configured.stdout).map((line) => line.split(' ').at(-1)), ['configured', 'unchanged'], configured.stdout);

        const again = await kubectl.run(['apply', '-f', file]);
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(linesOf(again.stdout).map((line) => line.split(' ').at(-1)), ['unchanged', 'unchanged'], again.stdout);

        const stored = await kubectl.json(['get', 'deployment', 'nginx-deployment', '-n', 'default']);
        assert.equal(stored.kind, 'Deployment');
        assert.equal(stored.spec.replicas, 3);
        assert.equal(stored.metadata.labels.tier, 'front');
        assert.deepEqual(stored.spec.template, deployment.spec.template);
        assert.match(stored.metadata.resourceVersion, /^\d+$/);
        assert.ok(stored.metadata.uid);
        assert.ok(stored.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
      });

      it('gets pods as a table, JSON and YAML, in all namespaces and by label', async () => {
        const pods = dumpObjects(K3D).filter((o) => o.kind === 'Pod');
        const applied = await kubectl.run(['apply', '-f', kubectl.file('pods.json', listOf(pods.map(userManifest)))]);
        assert.equal(applied.code, 0, applied.stderr);
        const inKubeSystem = pods.filter((p) => p.metadata.namespace === 'kube-system').map((p) => p.metadata.name).sort();

        const table = await kubectl.run(['get', 'pods', '-n', 'kube-system']);
        assert.equal(table.code, 0, table.stderr);
        assert.equal(linesOf(table.stdout)[0]!.trim().split(/\s+/)[0], 'NAME');
        assert.deepEqual(rowsOf(table.stdout).map((row) => row[0]).sort(), inKubeSystem);

        const json = await kubectl.json(['get', 'pods', '-n', 'kube-system']);
        assert.deepEqual(json.items.map((p: KubeObject) => p.metadata.name).sort(), inKubeSystem);
        assert.ok(json.items.every((p: KubeObject) => p.kind === 'Pod' && p.metadata.namespace === 'kube-system'));

        const yaml = await kubectl.run(['get', 'pods', '-n', 'kube-system', '-o', 'yaml']);
        assert.equal(yaml.code, 0, yaml.stderr);
        assert.deepEqual(parseYaml(yaml.stdout).items, json.items);

        const all = await kubectl.run(['get', 'pods', '-A']);
        assert.equal(all.code, 0, all.stderr);
        assert.equal(linesOf(all.stdout)[0]!.trim().split(/\s+/)[0], 'NAMESPACE');
        assert.deepEqual(
          rowsOf(all.stdout).map((row) => `${row[0]}/${row[1]}`).sort(),
          pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort(),
        );

        const selected = await kubectl.json(['get', 'pods', '-A', '-l', 'k8s-app in (kube-dns,metrics-server)']);
        assert.deepEqual(
          selected.items.map((p: KubeObject) => p.metadata.name).sort(),
          pods.filter((p) => ['kube-dns', 'metrics-server'].includes(p.metadata.labels?.['k8s-app'])).map((p) => p.metadata.name).sort(),
        );
        const none = await kubectl.json(['get', 'pods', '-A', '-l', 'app=nginx,pod-template-hash!=7986654d4']);
        assert.deepEqual(none.items, []);
      });

      it('streams the changes after its list to a running get -w', async () => {
        const pod = (name: string): KubeObject => ({ ...userManifest(dumpObjects('gpdgpa-kuard-queue-pod.json')[0]!), metadata: { name, namespace: 'watched', labels: { app: 'queue' } } });
        assert.equal((await kubectl.run(['apply', '-f', kubectl.file('w1.json', pod('w-1'))])).code, 0);
        const watch = kubectl.watch(['get', 'pods', '-n', 'watched', '-w']);
        try {
          await watch.line((line) => line.startsWith('w-1 '));
          assert.equal((await kubectl.run(['apply', '-f', kubectl.file('w2.json', pod('w-2'))])).code, 0);
          await watch.line((line) => line.startsWith('w-2 '));
          const labelled = await kubectl.run(['label', 'pod', 'w-1', '-n', 'watched', 'seen=yes']);
          assert.equal(labelled.code, 0, labelled.stderr);
          let rows = 0;
          await watch.line((line) => line.startsWith('w-1 ') && ++rows === 2);
        } finally {
          await watch.stop();
        }
      });

      it('labels an object (label), and overwrites a label only with --overwrite', async () => {
        const pod = userManifest(dumpObjects('gpdgpa-kuard-queue-pod.json')[0]!);
        assert.equal((await kubectl.run(['apply', '-f', kubectl.file('kuard.json', pod)])).code, 0);
        const { name, namespace } = pod.metadata;
        const before = await kubectl.json(['get', 'pod', name, '-n', namespace]);

        const labelled = await kubectl.run(['label', 'pod', name, '-n', namespace, 'tier=queue']);
        assert.equal(labelled.code, 0, labelled.stderr);
        const after = await kubectl.json(['get', 'pod', name, '-n', namespace]);
        assert.deepEqual(after.metadata.labels, { ...pod.metadata.labels, tier: 'queue' });
        assert.ok(Number(after.metadata.resourceVersion) > Number(before.metadata.resourceVersion));

        assert.equal((await kubectl.run(['label', 'pod', name, '-n', namespace, 'tier=other'])).code, 1);
        assert.equal((await kubectl.run(['label', 'pod', name, '-n', namespace, 'tier=other', '--overwrite'])).code, 0);
        assert.equal((await kubectl.json(['get', 'pod', name, '-n', namespace])).metadata.labels.tier, 'other');
        assert.equal((await kubectl.run(['label', 'pod', name, '-n', namespace, 'tier-'])).code, 0);
        assert.equal((await kubectl.json(['get', 'pod', name, '-n', namespace])).metadata.labels.tier, undefined);
      });

      it('refuses a replace from a stale resourceVersion with Conflict, and takes a fresh one', async () => {
        const deployment = userManifest(dumpObject(K3D, 'Deployment', 'kube-system', 'coredns'));
        assert.equal((await kubectl.run(['apply', '-f', kubectl.file('coredns.json', deployment)])).code, 0);
        const read = await kubectl.json(['get', 'deployment', 'coredns', '-n', 'kube-system']);
        assert.equal((await kubectl.run(['label', 'deployment', 'coredns', '-n', 'kube-system', 'changed=yes'])).code, 0);

        const stale = await kubectl.run(['replace', '-f', kubectl.file('stale.json', { ...read, spec: { ...read.spec, replicas: 5 } })]);
        assert.equal(stale.code, 1, stale.stdout);
        assert.match(stale.stderr, /Conflict/);
        assert.equal((await kubectl.json(['get', 'deployment', 'coredns', '-n', 'kube-system'])).spec.replicas, read.spec.replicas);

        const fresh = await kubectl.json(['get', 'deployment', 'coredns', '-n', 'kube-system']);
        const replaced = await kubectl.run(['replace', '-f', kubectl.file('fresh.json', { ...fresh, spec: { ...fresh.spec, replicas: 5 } })]);
        assert.equal(replaced.code, 0, replaced.stderr);
        const now = await kubectl.json(['get', 'deployment', 'coredns', '-n', 'kube-system']);
        assert.equal(now.spec.replicas, 5);
        assert.equal(now.metadata.labels.changed, 'yes');
      });

      it('deletes an object, which get then does not find (NotFound)', async () => {
        const service = userManifest(dumpObject(K3D, 'Service', 'kube-system', 'kube-dns'));
        assert.equal((await kubectl.run(['apply', '-f', kubectl.file('kube-dns.json', service)])).code, 0);
        const deleted = await kubectl.run(['delete', 'service', 'kube-dns', '-n', 'kube-system']);
        assert.equal(deleted.code, 0, deleted.stderr);
        assert.match(deleted.stdout, /deleted/);
        const gone = await kubectl.run(['get', 'service', 'kube-dns', '-n', 'kube-system']);
        assert.equal(gone.code, 1, gone.stdout);
        assert.match(gone.stderr, /NotFound/);
        const again = await kubectl.run(['delete', 'service', 'kube-dns', '-n', 'kube-system']);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /NotFound/);
      });
    });
  }
});
