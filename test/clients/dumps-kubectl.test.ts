/**
 * Every real dump of test/fixtures/k8s-dumps, imported into a served store (in this process, on
 * loopback, no token: kubectl sends one only over TLS, which kubectl.test.ts covers), comes back through
 * kubectl 1.20 (`kubectl get <every kind of the dump> -A -o json`, one call naming each resource
 * as `plural.version.group`, the plural found by discovery) object for object, equal to the dump
 * but for what the server owns: `metadata.resourceVersion` (the store's revision) and
 * `metadata.generation` (the store's version), and a `uid` or `creationTimestamp` the dump lacks
 * or has as null (the server assigns them).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { importFiles, storeTarget } from '../../src/import/importer.js';
import { startServer } from '../helpers/server.js';
import { dumpFiles, dumpObjects, DUMPS_DIR, identity, lastOfEach, type KubeObject } from './dumps.js';
import { debianKubectl, KubectlSession, NO_KUBECTL } from './kubectl.js';

const kubectl = debianKubectl();

/** The resource names discovery gives each kind of an apiVersion (subresources left out). */
async function pluralsOf(url: string, apiVersion: string): Promise<Map<string, string>> {
  const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const response = await fetch(url + path);
  assert.equal(response.status, 200, `discovery of ${path}`);
  const list = (await response.json()) as { resources: Array<{ name: string; kind: string }> };
  return new Map(list.resources.filter((r) => !r.name.includes('/')).map((r) => [r.kind, r.name]));
}

/** What is compared: the object less what the server owns, and less what it assigns where the dump had none. */
function comparable(object: KubeObject, dumped: KubeObject): KubeObject {
  const { resourceVersion: _rv, generation: _generation, ...metadata } = object.metadata as KubeObject;
  if (dumped.metadata.uid == null) delete metadata.uid;
  if (dumped.metadata.creationTimestamp == null) delete metadata.creationTimestamp; // ComponentStatus objects have none (null)
  return { ...object, metadata };
}

/** The paths at which two JSON values differ (at most `max`). */
function differences(a: unknown, b: unknown, path = '', out: string[] = [], max = 5): string[] {
  if (out.length >= max) return out;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) differences((a as KubeObject)[key], (b as KubeObject)[key], `${path}.${key}`, out, max);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(`${path || '.'}: served ${JSON.stringify(a)?.slice(0, 120)}, dumped ${JSON.stringify(b)?.slice(0, 120)}`);
  }
  return out;
}

describe('every real dump, imported, comes back from kubectl get -A -o json', () => {
  if (kubectl === undefined) {
    it('reads the dumps back with kubectl', (t) => t.skip(NO_KUBECTL));
    return;
  }
  for (const file of dumpFiles()) {
    it(`returns every object of ${file}, equal to the dump`, { timeout: 60_000 }, async () => {
      const server = await startServer();
      const session = new KubectlSession(kubectl, server.url);
      try {
        const summary = await importFiles([{ name: file, path: DUMPS_DIR + file }], storeTarget(server.store));
        assert.deepEqual(summary.rejected, []);
        const expected = lastOfEach(dumpObjects(file));

        const kindsByApiVersion = new Map<string, Set<string>>();
        for (const object of expected.values()) {
          const kinds = kindsByApiVersion.get(object.apiVersion) ?? new Set<string>();
          kindsByApiVersion.set(object.apiVersion, kinds.add(object.kind));
        }
        const resources: string[] = [];
        for (const [apiVersion, kinds] of kindsByApiVersion) {
          const plurals = await pluralsOf(server.url, apiVersion);
          const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
          for (const kind of kinds) {
            const plural = plurals.get(kind);
            assert.ok(plural, `discovery of ${apiVersion} names ${kind}: ${[...plurals.keys()].join(', ')}`);
            resources.push(group === '' ? plural : `${plural}.${version}.${group}`);
          }
        }

        const list = await session.json(['get', resources.join(','), '-A']);
        const served = new Map<string, KubeObject>((list.items as KubeObject[]).map((o) => [identity(o), o]));
        const missing = [...expected.keys()].filter((id) => !served.has(id));
        const extra = [...served.keys()].filter((id) => !expected.has(id));
        assert.deepEqual({ missing: missing.slice(0, 10), extra: extra.slice(0, 10) }, { missing: [], extra: [] }, `${served.size} served, ${expected.size} dumped`);

        const unequal: string[] = [];
        for (const [id, dumped] of expected) {
          const diff = differences(comparable(served.get(id)!, dumped), comparable(dumped, dumped));
          if (diff.length > 0) unequal.push(`${id}: ${diff.join('; ')}`);
        }
        assert.deepEqual(unequal.slice(0, 10), [], `${unequal.length} of ${expected.size} objects differ`);
      } finally {
        await session.close();
        await server.stop();
      }
    });
  }
});
