/** Small builders for resources used across the tests, and a real Kubernetes Pod from the dumps. */
import { readFileSync } from 'node:fs';
import type { RefInput, ResourceInput } from '../../src/model/types.js';

export function podRef(name: string, namespace = 'web'): RefInput {
  return { group: '', version: 'v1', kind: 'Pod', namespace, name };
}

export function pod(name: string, labels: Record<string, string> = {}, namespace = 'web'): ResourceInput {
  return { ref: podRef(name, namespace), labels, data: { spec: { containers: [{ name: 'c', image: `img-${name}` }] } } };
}

export function deployment(name: string, labels: Record<string, string> = {}, namespace = 'web'): ResourceInput {
  return { ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace, name }, labels, data: { spec: { replicas: 1 } } };
}

/** The one Pod of `gpdgpa-kuard-queue-pod.json`, exactly as kubectl printed it. */
export function realPod(): Record<string, unknown> {
  const url = new URL('../fixtures/k8s-dumps/gpdgpa-kuard-queue-pod.json', import.meta.url);
  const list = JSON.parse(readFileSync(url, 'utf8')) as { items: Array<Record<string, unknown>> };
  return list.items[0]!;
}
