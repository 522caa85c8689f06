/** Runs every shell example of docs/http-api.md, in order, against a fresh server. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startServer } from '../helpers/server.js';

const doc = readFileSync(new URL('../../docs/http-api.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/http-api.md', () => {
  it('has examples, and every one of them runs', async () => {
    assert.ok(examples.length >= 8, `found ${examples.length} examples`);
    const server = await startServer();
    try {
      for (const example of examples) {
        const { stdout } = await promisify(execFile)('bash', ['-e', '-c', example], { env: { ...process.env, STORE: server.url } }).catch((err: { stdout?: string; stderr?: string; code?: number }) => {
          assert.fail(`example failed (exit ${err.code}):\n${example}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
        });
        assert.ok(stdout.length > 0, `example printed nothing:\n${example}`);
        assert.doesNotMatch(stdout, /"code":"(INTERNAL|INVALID_ARGUMENT|NOT_FOUND)"/, example);
      }
      const graph = await (await fetch(`${server.url}/graph?from=apps/v1/Deployment/web/nginx&maxDepth=3`)).json() as { nodes: Array<{ ref: { kind: string } }> };
      assert.deepEqual(graph.nodes.map((n) => n.ref.kind), ['Deployment', 'Pod', 'Node']);
    } finally {
      await server.stop();
    }
  });
});
