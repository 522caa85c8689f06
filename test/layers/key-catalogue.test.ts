/**
 * The key catalogue covers the key space: a store that has written every kind of key holds none
 * the catalogue does not describe, every index lives in a section the catalogue calls derived, and
 * a key outside the catalogue is reported by verify as an unknown key and left in place by repair.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { INDICES } from '../../src/indices/index-catalogue.js';
import { repairIndices } from '../../src/integrity/repair.js';
import { UNKNOWN_KEY, verifyIntegrity } from '../../src/integrity/verify.js';
import type { ResourceInput, ResourceRef } from '../../src/model/types.js';
import {
  describeKey,
  KEY_SPACE,
  LABEL_SECTION,
  LEGACY_RESTORE_MARKER_KEY,
  META_KEYS,
  META_SECTION,
  RESOURCE_SECTION,
  SECTIONS,
  WORK_MARKER_KEY,
} from '../../src/storage/key-catalogue.js';
import type { Engine } from '../../src/storage/engine.js';
import { encodeKey, formatKey } from '../../src/storage/key-codec.js';
import { memoryFactory } from '../helpers/stores.js';

const node: ResourceRef = { group: '', version: 'v1', kind: 'Node', namespace: '', name: 'n1' };
const podRef = (name: string): ResourceRef => ({ group: '', version: 'v1', kind: 'Pod', namespace: 'web', name });
const service: ResourceRef = { group: '', version: 'v1', kind: 'Service', namespace: 'web', name: 'web' };
const deployment: ResourceRef = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'web', name: 'web' };

function pod(name: string, labels: Record<string, string>): ResourceInput {
  return { ref: podRef(name), labels, data: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'web', labels }, spec: { nodeName: 'n1' } } };
}

async function allKeys(engine: Engine): Promise<string[]> {
  const keys: string[] = [];
  for await (const chunk of engine.scanKeys(KEY_SPACE)) keys.push(...chunk);
  return keys;
}

describe('the key catalogue', () => {
  it('describes every key a store writes, and the store writes every kind of key it lists but the work markers', async () => {
    const { store, engine } = await memoryFactory.open({ retention: { maxEvents: 3 } });
    const types = protobuf.Root.fromJSON({ nested: { example: { nested: { DependsOn: { fields: { reason: { type: 'string', id: 1 } } } } } } });
    store.registerPredicate('example.DependsOn', types.lookupType('example.DependsOn') as never);
    await store.add({ ref: node, labels: { zone: 'a' } }); // cluster-scoped, labelled
    await store.add(pod('p1', { app: 'web', tier: 'front' })); // derives PodNodeBinding
    await store.add(pod('p2', { app: 'web' }));
    await store.add({ ref: service, data: { apiVersion: 'v1', kind: 'Service', spec: { selector: { app: 'web' } } } }); // derives ServiceSelects to both Pods
    await store.add({ ref: deployment, labels: { app: 'web' }, data: { spec: { replicas: 1 } } });
    await store.addRelationships({ subject: deployment, predicate: { type: 'DependsOn', value: { reason: 'db' } }, object: service });
    await store.update(pod('p1', { app: 'web' })); // a label removed
    await store.delete(podRef('p2'));
    assert.ok((await store.compact()) > 0, 'compaction moves the log start');

    const keys = await allKeys(engine);
    assert.deepEqual(keys.filter((key) => describeKey(key) === undefined).map(formatKey), [], 'no key outside the catalogue');
    const written = new Set(keys.map((key) => describeKey(key)!.name));
    const markers = new Set([WORK_MARKER_KEY, LEGACY_RESTORE_MARKER_KEY].map((key) => META_KEYS.get(key)!.name));
    const listed = [...SECTIONS.map((entry) => entry.name), ...[...META_KEYS.values()].map((entry) => entry.name).filter((name) => !markers.has(name))];
    assert.deepEqual(listed.filter((name) => !written.has(name)), [], 'every kind of key was written, so the scan above covered it');
    assert.deepEqual((await store.verify()).findings, []);
    await store.close();
  });

  it('keeps every index in a section it calls derived, which restore and repair rebuild', () => {
    for (const index of INDICES) assert.equal(SECTIONS.find((entry) => entry.name === index.section)?.kind, 'derived', index.section);
  });

  it('describes no key of an unknown section, of the wrong number of fields for its section, or an unknown meta key', () => {
    assert.equal(describeKey(encodeKey('idx-bogus', 'a')), undefined);
    assert.equal(describeKey(encodeKey(RESOURCE_SECTION, '', 'v1', 'Pod', 'web')), undefined, 'a resource key has five fields');
    assert.equal(describeKey(encodeKey(LABEL_SECTION, 'app', 'web', '', 'v1', 'Pod', 'web', 'p', 'extra')), undefined);
    assert.equal(describeKey(encodeKey(META_SECTION, 'bogus')), undefined);
    assert.equal(describeKey(encodeKey(META_SECTION, 'revision', 'extra')), undefined);
    assert.equal(describeKey('no terminator'), undefined, 'not a key the codec makes');
    assert.equal(describeKey(encodeKey(RESOURCE_SECTION, '', 'v1', 'Pod', 'web', 'p'))?.kind, 'record');
  });

  it('has verify report a key outside the catalogue as an unknown key; repair leaves it in place, but rebuilds a derived section whole', async () => {
    const { store, engine } = await memoryFactory.open();
    await store.add(pod('p1', { app: 'web' }));
    const strays = [encodeKey('idx-bogus', 'a'), encodeKey(META_SECTION, 'bogus'), 'no terminator'];
    const misshapen = encodeKey(LABEL_SECTION, 'app');
    const one = new Uint8Array([1]);
    await engine.commit({ checks: [], puts: [...strays, misshapen].map((key) => [key, one]), dels: [], counters: [], changes: 0 });
    const unknown = async (): Promise<string[]> => (await verifyIntegrity(engine)).findings.filter((f) => f.problem === UNKNOWN_KEY).map((f) => f.key).sort();
    assert.deepEqual(await unknown(), ['"no terminator"', '/idx-bogus/a', '/idx-label/app', '/meta/bogus']);
    await repairIndices(engine);
    assert.deepEqual(await unknown(), ['"no terminator"', '/idx-bogus/a', '/meta/bogus'], 'left in place, and still reported');
    assert.deepEqual((await engine.getMany(strays)).map((value) => value && [...value]), strays.map(() => [1]));
    assert.equal(await engine.get(misshapen), undefined, 'the label index is deleted and rebuilt from the resources');
    await store.close();
  });
});
