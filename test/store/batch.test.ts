import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '../../src/storage/errors.js';
import type { Resource } from '../../src/model/types.js';
import { factories, rawKeySpace } from '../helpers/stores.js';
import { pod, podRef } from '../helpers/fixtures.js';

for (const factory of factories) {
  describe(`batch on ${factory.name}`, () => {
    it('applies every operation at consecutive revisions and returns each result', async () => {
      const { store } = await factory.open();
      await store.add(pod('old', { app: 'x' }));
      await store.add(pod('gone'));
      const start = store.revision;
      const results = await store.batch([
        { op: 'add', resource: pod('a') },
        { op: 'update', resource: { ...pod('old', { app: 'y' }), version: 1 } },
        { op: 'apply', resource: pod('b') },
        { op: 'delete', ref: podRef('gone') },
      ]);
      assert.deepEqual((results as Resource[]).map((r) => [r.ref.name, r.version]), [['a', 1], ['old', 2], ['b', 1], ['gone', 1]]);
      assert.equal(store.revision, start + 4);
      assert.deepEqual((await store.list({ namespace: 'web' })).items.map((r) => r.ref.name), ['a', 'b', 'old']);
      await store.close();
    });

    it('is all or nothing: a failing operation fails the batch, names its index, and writes nothing', async () => {
      const { store, engine } = await factory.open();
      await store.add(pod('exists'));
      const before = await rawKeySpace(engine);
      const revision = store.revision;
      for (const [operations, expected] of [
        [[{ op: 'add', resource: pod('new') }, { op: 'update', resource: pod('absent') }], 'NOT_FOUND'],
        [[{ op: 'add', resource: pod('new') }, { op: 'add', resource: pod('exists') }], 'ALREADY_EXISTS'],
        [[{ op: 'add', resource: pod('new') }, { op: 'delete', ref: podRef('exists'), version: 7 }], 'CONFLICT'],
        [[{ op: 'add', resource: pod('new') }, { op: 'add', resource: { ref: { version: 'v1', kind: 'Pod', name: '' } } }], 'INVALID_ARGUMENT'],
      ] as const) {
        await assert.rejects(store.batch(operations as never), (err: unknown) =>
          err instanceof StoreError && err.code === expected && err.details.index === 1 && err.message.startsWith('operations[1]'));
      }
      assert.deepEqual(await rawKeySpace(engine), before);
      assert.equal(store.revision, revision);
      await store.close();
    });

    it('applies operations in order, so one ref may appear twice', async () => {
      const { store, engine } = await factory.open();
      const before = await rawKeySpace(engine);
      const results = (await store.batch([
        { op: 'add', resource: pod('a', { app: 'web' }) },
        { op: 'update', resource: { ...pod('a', { app: 'db' }), version: 1 } },
        { op: 'delete', ref: podRef('a'), version: 2 },
      ])) as Resource[];
      assert.deepEqual(results.map((r) => r.version), [1, 2, 2]);
      const after = await rawKeySpace(engine);
      // Meta keys, the change log and range guards (one per label pair a range ever held; see selector-index.ts) stay.
      for (const key of after.keys()) assert.ok(before.has(key) || /^\/(meta|log|guard-[a-z]+)\//.test(key), `${key} left behind`);
      await store.close();
    });

    it('refuses an unknown op and a non-array', async () => {
      const { store } = await factory.open();
      await assert.rejects(store.batch([{ op: 'add', resource: pod('a') }, { op: 'upsert' } as never]), (err: unknown) =>
        err instanceof StoreError && err.code === 'INVALID_ARGUMENT' && err.details.index === 1);
      await assert.rejects(store.batch('nope' as never), (err: unknown) => err instanceof StoreError && err.code === 'INVALID_ARGUMENT');
      await store.close();
    });

    it('moves a resource to another namespace atomically as delete + add', async () => {
      const { store, engine } = await factory.open();
      await store.add(pod('a', { app: 'web' }, 'old'));
      await store.batch([{ op: 'delete', ref: podRef('a', 'old') }, { op: 'add', resource: pod('a', { app: 'web' }, 'new') }]);
      assert.deepEqual((await store.list({ namespace: 'old' })).items, []);
      assert.deepEqual((await store.list({ labelSelector: 'app=web' })).items.map((r) => r.ref.namespace), ['new']);
      const keys = [...(await rawKeySpace(engine)).keys()].filter((k) => k.startsWith('/idx'));
      assert.deepEqual(keys, ['/idx-label/app/web//v1/Pod/new/a', '/idx-ns/new//v1/Pod/a']);
      await store.close();
    });

    it('writes nothing for a batch of applies that change nothing', async () => {
      const { store } = await factory.open();
      await store.add(pod('a'));
      const revision = store.revision;
      const [same] = await store.batch([{ op: 'apply', resource: pod('a') }]);
      assert.equal((same as Resource).version, 1);
      assert.equal(store.revision, revision);
      await store.close();
    });
  });
}
