import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '../../src/storage/errors.js';
import { JSON_TYPE_URL } from '../../src/model/resource-codec.js';
import { factories } from '../helpers/stores.js';
import { deployment, pod, podRef, realPod } from '../helpers/fixtures.js';

const code = (expected: string) => (err: unknown) => err instanceof StoreError && err.code === expected;

for (const factory of factories) {
  describe(`CRUD on ${factory.name}`, () => {
    it('adds a resource and gets it back equal, with version 1, a uid and timestamps', async () => {
      const { store } = await factory.open();
      const added = await store.add(pod('a', { app: 'web' }));
      assert.equal(added.version, 1);
      assert.match(added.uid, /^[0-9a-f-]{36}$/);
      assert.equal(added.createdAt, added.updatedAt);
      assert.ok(Date.parse(added.createdAt) <= Date.now());
      assert.deepEqual(added.ref, { group: '', version: 'v1', kind: 'Pod', namespace: 'web', name: 'a' });
      const got = await store.get(podRef('a'));
      assert.deepEqual(got, added);
      assert.deepEqual(got.data, pod('a').data);
      assert.deepEqual(got.labels, { app: 'web' });
      await store.close();
    });

    it('keeps a uid given on add', async () => {
      const { store } = await factory.open();
      const added = await store.add({ ...pod('a'), uid: 'my-uid' });
      assert.equal(added.uid, 'my-uid');
      await store.close();
    });

    it('stores a real Kubernetes manifest as plain JSON and returns it equal', async () => {
      const { store } = await factory.open();
      const manifest = realPod();
      const metadata = manifest.metadata as { name: string; namespace: string; labels: Record<string, string> };
      await store.add({ ref: podRef(metadata.name, metadata.namespace), data: manifest, labels: metadata.labels });
      const got = await store.get(podRef(metadata.name, metadata.namespace));
      assert.deepEqual(got.data, manifest);
      assert.deepEqual(got.labels, metadata.labels);
      await store.close();
    });

    it('stores a protobuf Any as its type URL and bytes', async () => {
      const { store } = await factory.open();
      const value = new Uint8Array([8, 150, 1]);
      await store.add({ ref: podRef('any'), data: { typeUrl: 'type.googleapis.com/test.Msg', value } });
      const got = await store.get(podRef('any'));
      assert.deepEqual(got.data, { typeUrl: 'type.googleapis.com/test.Msg', value: new Uint8Array([8, 150, 1]) });
      assert.notEqual(JSON_TYPE_URL, 'type.googleapis.com/test.Msg');
      await store.close();
    });

    it('is strict: add of an existing ref, update/delete/get of an absent one fail with their codes', async () => {
      const { store } = await factory.open();
      await store.add(pod('a'));
      await assert.rejects(store.add(pod('a')), code('ALREADY_EXISTS'));
      await assert.rejects(store.update(pod('b')), code('NOT_FOUND'));
      await assert.rejects(store.delete(podRef('b')), code('NOT_FOUND'));
      await assert.rejects(store.get(podRef('b')), code('NOT_FOUND'));
      const empty = await store.list({ type: { version: 'v1', kind: 'Service' } });
      assert.deepEqual(empty.items, []);
      await store.close();
    });

    it('names the ref in NOT_FOUND and CONFLICT messages', async () => {
      const { store } = await factory.open();
      await assert.rejects(store.get(deployment('nginx').ref), (err: unknown) =>
        err instanceof StoreError && err.message.includes('apps/v1 Deployment "web/nginx"'));
      await store.close();
    });

    it('updates: version +1, uid and createdAt kept, content replaced', async () => {
      const { store } = await factory.open();
      const added = await store.add(pod('a', { app: 'web' }));
      const updated = await store.update({ ref: podRef('a'), labels: { app: 'db' }, data: { v: 2 }, version: 1 });
      assert.equal(updated.version, 2);
      assert.equal(updated.uid, added.uid);
      assert.equal(updated.createdAt, added.createdAt);
      assert.ok(updated.updatedAt >= added.updatedAt);
      assert.deepEqual(updated.data, { v: 2 });
      assert.deepEqual(updated.annotations, {});
      assert.deepEqual(await store.get(podRef('a')), updated);
      const unconditional = await store.update({ ref: podRef('a'), data: { v: 3 } });
      assert.equal(unconditional.version, 3);
      await store.close();
    });

    it('fails with CONFLICT on a stale version or another uid, and changes nothing', async () => {
      const { store } = await factory.open();
      await store.add(pod('a'));
      const current = await store.update({ ...pod('a'), data: { v: 2 } });
      const revision = store.revision;
      await assert.rejects(store.update({ ...pod('a'), data: { v: 3 }, version: 1 }), code('CONFLICT'));
      await assert.rejects(store.update({ ...pod('a'), data: { v: 3 }, uid: 'other' }), code('CONFLICT'));
      await assert.rejects(store.delete(podRef('a'), { version: 1 }), code('CONFLICT'));
      await assert.rejects(store.delete(podRef('a'), { uid: 'other' }), code('CONFLICT'));
      assert.deepEqual(await store.get(podRef('a')), current);
      assert.equal(store.revision, revision);
      await store.close();
    });

    it('deletes, returning the last state; the resource is gone from get and list', async () => {
      const { store } = await factory.open();
      await store.add(pod('a', { app: 'web' }));
      const last = await store.update({ ...pod('a', { app: 'web' }), data: { final: true } });
      const deleted = await store.delete(podRef('a'), { version: 2, uid: last.uid });
      assert.deepEqual(deleted, last);
      await assert.rejects(store.get(podRef('a')), code('NOT_FOUND'));
      assert.equal((await store.list({ labelSelector: 'app=web' })).items.length, 0);
      assert.equal((await store.list({ namespace: 'web' })).items.length, 0);
      const again = await store.add(pod('a'));
      assert.equal(again.version, 1);
      assert.notEqual(again.uid, last.uid);
      await store.close();
    });

    it('applies: creates when absent, replaces when different, writes nothing when identical', async () => {
      const { store } = await factory.open();
      const created = await store.apply(pod('a', { app: 'web' }));
      assert.equal(created.version, 1);
      const revision = store.revision;
      const same = await store.apply(pod('a', { app: 'web' }));
      assert.deepEqual(same, created);
      assert.equal(store.revision, revision);
      const changed = await store.apply(pod('a', { app: 'db' }));
      assert.equal(changed.version, 2);
      assert.equal(changed.uid, created.uid);
      assert.equal(store.revision, revision + 1);
      await assert.rejects(store.apply({ ...pod('a', { app: 'x' }), version: 1 }), code('CONFLICT'));
      await assert.rejects(store.apply({ ...pod('new'), version: 1 }), code('CONFLICT'));
      const withVersion = await store.apply({ ...pod('a', { app: 'x' }), version: 2 });
      assert.equal(withVersion.version, 3);
      await store.close();
    });

    it('applies equal content as unchanged whatever the order of keys in labels, annotations and data', async () => {
      const { store } = await factory.open();
      const ref = podRef('a');
      const created = await store.apply({
        ref,
        labels: { app: 'web', tier: 'front' },
        annotations: { 'example.com/a': '1', 'example.com/b': '2' },
        data: { spec: { replicas: 2, containers: [{ name: 'c', image: 'i' }] }, kind: 'Pod' },
      });
      const revision = store.revision;
      const same = await store.apply({
        ref,
        labels: { tier: 'front', app: 'web' },
        annotations: { 'example.com/b': '2', 'example.com/a': '1' },
        data: { kind: 'Pod', spec: { containers: [{ image: 'i', name: 'c' }], replicas: 2 } },
      });
      assert.equal(store.revision, revision);
      assert.equal(same.version, created.version);
      const reordered = { ref, labels: { app: 'web', tier: 'front' }, annotations: { 'example.com/a': '1', 'example.com/b': '2' } };
      const swapped = await store.apply({ ...reordered, data: { spec: { replicas: 2, containers: [{ name: 'i', image: 'c' }] }, kind: 'Pod' } });
      assert.equal(swapped.version, created.version + 1, 'values that trade places are a change');
      const arrays = await store.apply({ ...reordered, data: { spec: { replicas: 2, containers: [{ name: 'i', image: 'c' }, 1] }, kind: 'Pod' } });
      const reversed = await store.apply({ ...reordered, data: { spec: { replicas: 2, containers: [1, { name: 'i', image: 'c' }] }, kind: 'Pod' } });
      assert.equal(reversed.version, arrays.version + 1, 'array order is content');
      await store.close();
    });

    it('gives every change the next store-wide revision', async () => {
      const { store } = await factory.open();
      const start = store.revision;
      await store.add(pod('a'));
      await store.add(deployment('d'));
      await store.update(pod('a', { x: 'y' }));
      await store.delete(podRef('a'));
      assert.equal(store.revision, start + 4);
      await assert.rejects(store.delete(podRef('a')));
      assert.equal(store.revision, start + 4);
      await store.close();
    });

    it('fails every call after close with CLOSED', async () => {
      const { store } = await factory.open();
      await store.add(pod('a'));
      await store.close();
      await store.close();
      for (const call of [
        () => store.add(pod('b')),
        () => store.get(podRef('a')),
        () => store.update(pod('a')),
        () => store.apply(pod('a')),
        () => store.delete(podRef('a')),
        () => store.list(),
        () => store.batch([{ op: 'add', resource: pod('c') }]),
      ]) {
        await assert.rejects(call(), code('CLOSED'));
      }
    });

    it('lands writes acknowledged before close', async () => {
      const { store, engine } = await factory.open();
      const writes = Array.from({ length: 50 }, (_, i) => store.add(pod(`p${i}`)));
      const closing = store.close();
      await Promise.all(writes);
      await closing;
      assert.equal(engine.revision, 50);
    });
  });
}
