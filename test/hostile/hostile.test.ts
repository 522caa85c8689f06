import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, it } from 'node:test';
import { REASON_CODES } from '../../src/kube/status.js';
import { PredicateRegistry } from '../../src/relations/predicates.js';
import { buildServer } from '../../src/server/http-server.js';
import { restoreSnapshot } from '../../src/snapshot/snapshot-io.js';
import { ERROR_CODES, StoreError } from '../../src/storage/errors.js';
import { factories, memoryFactory, rawKeySpace } from '../helpers/stores.js';
import { API_CASES, HTTP_CASES, SNAPSHOT_CASES } from './catalogue.js';

const seed = { ref: { version: 'v1', kind: 'Pod', namespace: 'web', name: 'a' }, labels: { app: 'web' }, data: { keep: true, spec: { nodeName: 'n1' } } };

for (const factory of factories) {
  describe(`hostile input through the API on ${factory.name}`, () => {
    it('turns every entry of the catalogue into a typed error and writes nothing', async () => {
      const { store, engine } = await factory.open();
      await store.add(seed);
      const before = await rawKeySpace(engine);
      for (const entry of API_CASES) {
        let failure: unknown;
        try {
          await entry.call(store);
        } catch (err) {
          failure = err;
        }
        assert.ok(failure instanceof StoreError, `${entry.name}: got ${String(failure)}`);
        assert.ok(entry.codes.includes(failure.code), `${entry.name}: ${failure.code} ${failure.message}`);
        assert.ok(failure.message.length > 0 && failure.message.length < 2000, `${entry.name}: message of ${failure.message.length}`);
      }
      assert.deepEqual(await rawKeySpace(engine), before);
      await store.close();
    });
  });
}

describe('hostile snapshots', () => {
  it('refuses every snapshot of the catalogue with a typed error, even with --force, and leaves the store as it was', async () => {
    const { store, engine } = await memoryFactory.open();
    await store.add(seed);
    await store.add({ ...seed, ref: { ...seed.ref, name: 'b' } });
    await store.addRelationships({ subject: seed.ref, predicate: { type: 'PodNodeBinding', value: { nodeName: 'n' } }, object: { version: 'v1', kind: 'Node', name: 'n' } });
    let good = '';
    await store.exportSnapshot((text) => void (good += text));
    const lines = good.split('\n').filter((line) => line !== '');
    const before = await rawKeySpace(engine);
    for (const entry of SNAPSHOT_CASES) {
      const text = entry.edit(lines);
      const failure = await restoreSnapshot(engine, async function* () { yield text; }, new PredicateRegistry(), { force: true }).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(failure instanceof StoreError, `${entry.name}: got ${String(failure)}`);
      assert.ok(entry.codes.includes(failure.code), `${entry.name}: ${failure.code} ${failure.message}`);
      assert.deepEqual(await rawKeySpace(engine), before, `${entry.name}: the store changed`);
    }
    await store.close();
  });
});

/** Sends a request with its path exactly as written (no client-side normalization of `..` or `%2e`). */
function send(port: number, method: string, path: string, body: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('hostile requests over HTTP', () => {
  it('answers every entry of the catalogue with a 4xx and a Status or {code, message} body, never a 5xx, and stays up', async () => {
    const { store, engine } = await memoryFactory.open();
    await store.add(seed);
    const server = buildServer({ store });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (server.app.server.address() as { port: number }).port;
    const before = await rawKeySpace(engine);
    for (const entry of HTTP_CASES) {
      if (process.env.DEBUG_HOSTILE) console.error(entry.name);
      const answer = await send(port, entry.method, entry.url, entry.body, entry.headers);
      assert.ok(answer.status >= 400 && answer.status < 500, `${entry.name}: ${answer.status} ${answer.text.slice(0, 200)}`);
      const body = JSON.parse(answer.text) as { kind?: string; reason?: string; code: string | number; message: string };
      if (body.kind === 'Status') {
        // The Kubernetes paths: a failure Status whose code is the HTTP status.
        assert.ok(body.reason !== undefined && body.reason in REASON_CODES, `${entry.name}: reason ${body.reason}`);
        assert.equal(body.code, answer.status, entry.name);
      } else {
        assert.ok(String(body.code) in ERROR_CODES, `${entry.name}: code ${body.code}`);
      }
      assert.equal(typeof body.message, 'string');
      assert.equal((await send(port, 'GET', '/healthz', undefined)).status, 200, `${entry.name}: the server died`);
    }
    assert.deepEqual(await rawKeySpace(engine), before);
    await server.shutdown();
  });
});
