/** Benchmark data: resources with three labels and ~600 bytes of data, and their raw keys and values. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourcestore } from '../src/gen/schema.js';
import { indexEntries } from '../src/indices/index-keys.js';
import { encodeRecord, packData } from '../src/model/resource-codec.js';
import { resourceKey } from '../src/model/resource-keys.js';
import type { ResourceInput, ResourceRef } from '../src/model/types.js';
import { logKey } from '../src/events/change-log.js';

export const NAMESPACES = 50;

export function ref(i: number): ResourceRef {
  return { group: '', version: 'v1', kind: 'Pod', namespace: `ns-${i % NAMESPACES}`, name: `pod-${i}` };
}

export function resource(i: number): ResourceInput {
  return {
    ref: ref(i),
    labels: { app: `app-${i % 50}`, tier: i % 3 === 0 ? 'front' : 'back', 'pod-template-hash': `h${i % 1000}` },
    data: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${i}`, namespace: `ns-${i % NAMESPACES}`, uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}` },
      spec: { nodeName: `node-${i % 100}`, containers: [{ name: 'app', image: 'registry.example.com/team/app:1.25.3', args: ['--port=8080', '--log-level=info'], resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
      status: { phase: 'Running', podIP: `10.0.${(i >> 8) & 255}.${i & 255}`, conditions: [{ type: 'Ready', status: 'True' }] },
    },
  };
}

/** The keys and values the store writes for resource i (record, index entries, log entry), for the raw anchor. */
export function rawEntries(i: number, now: number): Array<[string, Uint8Array]> {
  const input = resource(i);
  const record = {
    ref: input.ref as ResourceRef,
    uid: `uid-${i}`,
    data: packData(input.data, 1 << 30),
    labels: input.labels!,
    annotations: {},
    createdAtMs: now,
    updatedAtMs: now,
    version: 1,
    revision: i + 1,
  };
  const bytes = encodeRecord(record);
  const log = resourcestore.v1.ChangeEvent.encode({ kind: 1, type: 1, object: bytes, timeMs: now }).finish();
  const empty = new Uint8Array(0);
  return [[resourceKey(record.ref), bytes], ...indexEntries(record.ref, record.labels).map((k) => [k, empty] as [string, Uint8Array]), [logKey(i + 1), log]];
}

/** A fresh temporary directory, and a function that removes it. */
export function scratch(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'resource-store-bench-'));
  return { path: join(dir, 'db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A random integer below n (xorshift, seeded, so rounds read the same keys). */
export function randomInts(n: number, count: number, seed = 42): number[] {
  let x = seed;
  return Array.from({ length: count }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  });
}
