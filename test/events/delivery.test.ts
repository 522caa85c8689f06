import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom, take, toArray } from 'rxjs';
import type { ResourceEvent, StoreEvent } from '../../src/events/types.js';
import { StoreError } from '../../src/storage/errors.js';
import { pull } from '../helpers/events.js';
import { factories, openWrapped } from '../helpers/stores.js';
import { deployment, pod, podRef } from '../helpers/fixtures.js';

const POD = { version: 'v1', kind: 'Pod' };
const summary = (events: readonly StoreEvent[]) =>
  events.map((e) => (e.kind === 'resource' ? `${e.revision} ${e.type} ${e.resource.ref.kind}/${e.resource.ref.name}` : `${e.revision} ${e.type} rel ${e.relationship.subject.name}>${e.relationship.object.name}`));


for (const factory of factories) {
  describe(`event delivery on ${factory.name}`, () => {
    it('delivers add, update with previous, and delete with last state, after commit, in order', async () => {
      const { store } = await factory.open();
      const seen = firstValueFrom(store.subscribe().pipe(take(3), toArray()));
      const added = await store.add(pod('a', { app: 'web' }));
      const updated = await store.update({ ...pod('a', { app: 'db' }), version: 1 });
      await store.delete(podRef('a'));
      const [add, update, del] = (await seen) as ResourceEvent[];
      assert.deepEqual([add!.type, update!.type, del!.type], ['add', 'update', 'delete']);
      assert.deepEqual([add!.revision, update!.revision, del!.revision], [1, 2, 3]);
      assert.deepEqual(add!.resource, added);
      assert.deepEqual(update!.previous, added);
      assert.deepEqual(update!.resource, updated);
      assert.deepEqual(del!.resource, updated, 'a delete carries the last state');
      assert.equal(add!.previous, undefined);
      await store.close();
    });

    it('gives each subscriber every event once, in revision order, however writes interleave', async () => {
      const { store } = await factory.open();
      const observed = firstValueFrom(store.subscribe().pipe(take(600), toArray()));
      const watcher = store.watch();
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          await store.add(pod(`p${i}`));
          await store.update(pod(`p${i}`, { n: String(i) }));
          await store.delete(podRef(`p${i}`));
        }),
      );
      for (const events of [await observed, await pull(watcher, 600)]) {
        assert.deepEqual(events.map((e) => e.revision), Array.from({ length: 600 }, (_, i) => i + 1));
        const byName = new Map<string, string[]>();
        for (const e of events as ResourceEvent[]) byName.set(e.resource.ref.name, [...(byName.get(e.resource.ref.name) ?? []), e.type]);
        for (const types of byName.values()) assert.deepEqual(types, ['add', 'update', 'delete']);
      }
      await watcher.return!();
      await store.close();
    });

    it('filters by type with wildcards, namespace and label selector, as Kubernetes watches do', async () => {
      const { store } = await factory.open();
      const pods = firstValueFrom(store.subscribe({ type: POD, namespace: 'web' }).pipe(take(2), toArray()));
      const anyApps = firstValueFrom(store.subscribe({ type: { group: 'apps', kind: '*' } }).pipe(take(1), toArray()));
      const anyGroup = firstValueFrom(store.subscribe({ type: { group: '*', kind: 'Deployment' } }).pipe(take(1), toArray()));
      const selected = firstValueFrom(store.subscribe({ type: POD, labelSelector: 'app=web' }).pipe(take(4), toArray()));
      await store.add(pod('other-ns', {}, 'db'));
      await store.add(deployment('d'));
      await store.add(pod('a', { app: 'web' }));
      await store.update(pod('a', { app: 'db' }));
      await store.update(pod('a', { app: 'web' }));
      await store.update(pod('a', { app: 'web', v: '2' }));
      await store.add(pod('b', { app: 'web' }));
      assert.deepEqual(summary(await pods), ['3 add Pod/a', '4 update Pod/a']);
      assert.deepEqual(summary(await anyApps), ['2 add Deployment/d']);
      assert.deepEqual(summary(await anyGroup), ['2 add Deployment/d']);
      assert.deepEqual(summary(await selected), ['3 add Pod/a', '4 delete Pod/a', '5 add Pod/a', '6 update Pod/a']);
      await store.close();
    });

    it('does give a selector-transition delete the last state that matched, live and replayed alike', async () => {
      const { store } = await factory.open();
      const filter = { type: POD, labelSelector: 'app=web' };
      const live = firstValueFrom(store.subscribe(filter).pipe(take(3), toArray()));
      const matched = await store.add(pod('a', { app: 'web' }));
      await store.update(pod('a', { app: 'db' }));
      const back = await store.update(pod('a', { app: 'web' }));
      const expected = [
        { kind: 'resource', type: 'add', revision: 1, resource: matched },
        { kind: 'resource', type: 'delete', revision: 2, resource: matched },
        { kind: 'resource', type: 'add', revision: 3, resource: back },
      ];
      assert.deepEqual(await live, expected);
      const replay = store.watch(filter, { fromRevision: 0 });
      assert.deepEqual(await pull(replay, 3), expected);
      await replay.return!();
      await store.close();
    });

    it('delivers relationship events, cascaded deletes included, only to subscribers that ask', async () => {
      const { store } = await factory.open();
      const rels = firstValueFrom(store.subscribe({ resources: false, relationships: { predicate: 'OwnerReference' } }).pipe(take(3), toArray()));
      const byObject = firstValueFrom(store.subscribe({ resources: false, relationships: { object: { version: 'v1', kind: 'Pod' } } }).pipe(take(2), toArray()));
      const resourcesOnly = firstValueFrom(store.subscribe().pipe(take(2), toArray()));
      const owner = deployment('d').ref;
      await store.add(pod('p'));
      const rel = { subject: owner, predicate: { type: 'OwnerReference', value: { name: 'd' } }, object: podRef('p') };
      await store.addRelationships(rel);
      await store.addRelationships({ ...rel, predicate: { type: 'OwnerReference', value: { name: 'd', uid: 'x' } } });
      await store.delete(podRef('p'));
      assert.deepEqual(summary(await rels), ['2 add rel d>p', '3 update rel d>p', '5 delete rel d>p']);
      const [, update] = await rels;
      assert.equal((update as { previous?: { predicate: { value: { uid: string } } } }).previous?.predicate.value.uid, '');
      assert.deepEqual(summary(await byObject), ['2 add rel d>p', '3 update rel d>p']);
      assert.deepEqual(summary(await resourcesOnly), ['1 add Pod/p', '4 delete Pod/p']);
      await store.close();
    });

    it('emits nothing for a failed write, a rejected one, or an apply that changes nothing', async () => {
      const { store } = await factory.open();
      const events = firstValueFrom(store.subscribe().pipe(take(2), toArray()));
      await store.add(pod('a'));
      await assert.rejects(store.add(pod('a')));
      await assert.rejects(store.update({ ...pod('a'), version: 9 }));
      await assert.rejects(store.add({ ref: { version: 'v1', kind: 'Pod', name: '' } }));
      await assert.rejects(store.batch([{ op: 'add', resource: pod('b') }, { op: 'delete', ref: podRef('zzz') }]));
      await store.apply(pod('a'));
      await store.add(pod('c'));
      assert.deepEqual(summary(await events), ['1 add Pod/a', '2 add Pod/c']);
      await store.close();
    });

    it('refuses bad filters and options at once with INVALID_ARGUMENT', async () => {
      const { store, engine } = await factory.open();
      await store.add(pod('a'));
      const invalid = (field: string) => (err: unknown) => err instanceof StoreError && err.code === 'INVALID_ARGUMENT' && err.details.field === field;
      assert.throws(() => store.subscribe({ labelSelector: 'a in (' }), invalid('labelSelector'));
      assert.throws(() => store.subscribe({ relationships: { predicate: 'Nope' } }), invalid('relationships.predicate'));
      assert.throws(() => store.watch({}, { bufferSize: 0 }), invalid('bufferSize'));
      assert.throws(() => store.watch({}, { fromRevision: -1 }), invalid('fromRevision'));
      assert.throws(() => store.watch({ type: 'Pod' as never }), invalid('type'));
      if (engine.shared) {
        // Another process may have committed a revision this one has not learnt of yet: a watch from it waits for it.
        const ahead = store.watch({}, { fromRevision: 3 });
        for (const name of ['b', 'c', 'd']) await store.add(pod(name));
        assert.equal(((await ahead.next()).value as StoreEvent).revision, 4);
        await ahead.return?.();
      } else {
        assert.throws(() => store.watch({}, { fromRevision: 99 }), invalid('fromRevision'));
        await assert.rejects(firstValueFrom(store.subscribe({}, { fromRevision: 99 })), invalid('fromRevision'));
      }
      await store.close();
    });
  });
}

for (const factory of factories) {
  describe(`events and durability on ${factory.name}`, () => {
    it('publishes nothing from a batch the engine failed to write', async () => {
      const { store, wrapped } = await openWrapped(factory);
      const events = firstValueFrom(store.subscribe().pipe(take(1), toArray()));
      wrapped.failCommits = 1;
      await assert.rejects(store.add(pod('lost')), (err: unknown) => err instanceof StoreError && err.code === 'INTERNAL');
      await store.add(pod('kept'));
      assert.deepEqual(summary(await events), ['1 add Pod/kept']);
      await assert.rejects(store.get(podRef('lost')), (err: unknown) => err instanceof StoreError && err.code === 'NOT_FOUND');
      await store.close();
    });
  });
}
