import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '../../src/storage/errors.js';
import type { ResourceInput } from '../../src/model/types.js';
import { factories, rawKeySpace } from '../helpers/stores.js';
import { pod, podRef } from '../helpers/fixtures.js';

const ref = podRef('a');
const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;

/** Each bad input, the code it must fail with, and the field its error must name. */
const badWrites: Array<[string, unknown, string, string]> = [
  ['no ref', { data: {} }, 'INVALID_ARGUMENT', 'ref'],
  ['missing version', { ref: { kind: 'Pod', name: 'a' } }, 'INVALID_ARGUMENT', 'ref.version'],
  ['empty version', { ref: { ...ref, version: '' } }, 'INVALID_ARGUMENT', 'ref.version'],
  ['empty kind', { ref: { ...ref, kind: '' } }, 'INVALID_ARGUMENT', 'ref.kind'],
  ['missing name', { ref: { version: 'v1', kind: 'Pod' } }, 'INVALID_ARGUMENT', 'ref.name'],
  ['empty name', { ref: { ...ref, name: '' } }, 'INVALID_ARGUMENT', 'ref.name'],
  ['name too long', { ref: { ...ref, name: 'n'.repeat(254) } }, 'INVALID_ARGUMENT', 'ref.name'],
  ['namespace too long', { ref: { ...ref, namespace: 'n'.repeat(64) } }, 'INVALID_ARGUMENT', 'ref.namespace'],
  ['kind not a string', { ref: { ...ref, kind: 7 } }, 'INVALID_ARGUMENT', 'ref.kind'],
  ['NUL in a name', { ref: { ...ref, name: 'a\x00b' } }, 'INVALID_ARGUMENT', 'ref.name'],
  ['control character in a namespace', { ref: { ...ref, namespace: 'we\nb' } }, 'INVALID_ARGUMENT', 'ref.namespace'],
  ['lone surrogate in a group', { ref: { ...ref, group: 'a\ud800' } }, 'INVALID_ARGUMENT', 'ref.group'],
  ['bad label key', { ref, labels: { 'bad key': 'x' } }, 'INVALID_ARGUMENT', 'labels["bad key"]'],
  ['bad label value', { ref, labels: { app: '-x' } }, 'INVALID_ARGUMENT', 'labels["app"]'],
  ['label value too long', { ref, labels: { app: 'v'.repeat(64) } }, 'INVALID_ARGUMENT', 'labels["app"]'],
  ['label value not a string', { ref, labels: { app: 1 } }, 'INVALID_ARGUMENT', 'labels["app"]'],
  ['bad annotation key', { ref, annotations: { '/x': 'y' } }, 'INVALID_ARGUMENT', 'annotations["/x"]'],
  ['annotations over 256 KiB', { ref, annotations: { big: 'x'.repeat(256 * 1024) } }, 'TOO_LARGE', 'annotations'],
  ['data over the limit', { ref, data: { blob: 'x'.repeat(1.5 * 1024 * 1024) } }, 'TOO_LARGE', 'data'],
  ['data an array', { ref, data: [1, 2] }, 'INVALID_ARGUMENT', 'data'],
  ['data a string', { ref, data: 'text' }, 'INVALID_ARGUMENT', 'data'],
  ['data cyclic', { ref, data: cyclic }, 'INVALID_ARGUMENT', 'data'],
  ['data with a BigInt', { ref, data: { n: 1n } }, 'INVALID_ARGUMENT', 'data'],
  ['Any without a type URL', { ref, data: { typeUrl: '', value: new Uint8Array(1) } }, 'INVALID_ARGUMENT', 'data.typeUrl'],
  ['uid empty', { ref, uid: '' }, 'INVALID_ARGUMENT', 'uid'],
  ['version on add', { ref, version: 3 }, 'INVALID_ARGUMENT', 'version'],
  ['resource not an object', 'pod', 'INVALID_ARGUMENT', 'resource'],
];

const fails = (code: string, field: string) => (err: unknown) =>
  err instanceof StoreError && err.code === code && err.details.field === field && err.message.includes(field);

for (const factory of factories) {
  describe(`bad input on ${factory.name}`, () => {
    it('fails every bad write with a typed error naming the field, and writes nothing', async () => {
      const { store, engine } = await factory.open();
      await store.add(pod('a', { app: 'web' }));
      const before = await rawKeySpace(engine);
      const revision = store.revision;
      for (const [name, input, code, field] of badWrites) {
        await assert.rejects(store.add(input as ResourceInput), fails(code, field), `add: ${name}`);
        if (name !== 'version on add') {
          await assert.rejects(store.update(input as ResourceInput), fails(code, field), `update: ${name}`);
          await assert.rejects(store.apply(input as ResourceInput), fails(code, field), `apply: ${name}`);
        }
      }
      await assert.rejects(store.update({ ...pod('a'), version: 0 }), fails('INVALID_ARGUMENT', 'version'));
      await assert.rejects(store.update({ ...pod('a'), version: 1.5 }), fails('INVALID_ARGUMENT', 'version'));
      await assert.rejects(store.delete(podRef('a'), { version: -1 }), fails('INVALID_ARGUMENT', 'version'));
      await assert.rejects(store.delete({ ...ref, name: '' }), fails('INVALID_ARGUMENT', 'ref.name'));
      await assert.rejects(store.get({ ...ref, kind: '' }), fails('INVALID_ARGUMENT', 'ref.kind'));
      assert.deepEqual(await rawKeySpace(engine), before);
      assert.equal(store.revision, revision);
      await store.close();
    });

    it('honours a smaller data limit set at open', async () => {
      const { store } = await factory.open({ maxDataBytes: 100 });
      await store.add({ ref, data: { small: true } });
      await assert.rejects(store.update({ ref, data: { big: 'x'.repeat(200) } }), fails('TOO_LARGE', 'data'));
      await store.close();
    });

    it('accepts refs with any well-formed text, slashes and percent signs included', async () => {
      const { store } = await factory.open();
      const odd = { group: 'ex.io', version: 'v1', kind: 'Thing', namespace: 'a/b', name: '%2F../😀 é' };
      await store.add({ ref: odd, data: { ok: true } });
      assert.deepEqual((await store.get(odd)).ref, odd);
      assert.deepEqual((await store.list({ namespace: 'a/b' })).items.map((r) => r.ref.name), ['%2F../😀 é']);
      assert.deepEqual((await store.list({ namespace: 'a' })).items, []);
      await store.close();
    });
  });
}
