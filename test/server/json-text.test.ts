import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StoreEvent } from '../../src/events/types.js';
import { storedJsonText } from '../../src/model/resource-codec.js';
import type { Resource } from '../../src/model/types.js';
import { eventText, pageText, resourceJson, resourceText } from '../../src/server/json.js';
import { openStore } from '../../src/store/open-store.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { pull } from '../helpers/events.js';
import { podRef, realPod } from '../helpers/fixtures.js';

/** An event as the routes sent it before they spliced texts. */
function eventJson(event: StoreEvent): unknown {
  if (event.kind !== 'resource') return event;
  return { ...event, resource: resourceJson(event.resource), ...(event.previous ? { previous: resourceJson(event.previous) } : {}) };
}

describe('resources and events as JSON text', () => {
  let store: ResourceStore;
  before(async () => {
    store = await openStore();
  });
  after(() => store.close());

  it('is the text JSON.stringify makes of them, the data copied from its stored text', async () => {
    const events = store.watch({ relationships: true });
    await store.add({ ref: podRef('real'), labels: { app: 'web' }, annotations: { note: 'c"\\d\u2028' }, data: realPod() });
    await store.add({ ref: { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'web', name: 'rs' }, data: { spec: {} } });
    await store.apply({ ref: podRef('real'), labels: { app: 'web', v: '2' }, data: { ...realPod(), spec: { nodeName: 'n1' } } });
    await store.addRelationships({ subject: podRef('real'), predicate: { type: 'PodNodeBinding', value: { nodeName: 'n1' } }, object: { version: 'v1', kind: 'Node', name: 'n1' } });
    await store.delete(podRef('real'));
    await store.add({ ref: podRef('bytes'), data: { typeUrl: 'type.googleapis.com/x.Y', value: new Uint8Array([0, 255]) } });
    const seen: StoreEvent[] = [];
    const last = (): StoreEvent | undefined => seen.at(-1);
    for (let e = last(); e?.kind !== 'resource' || e.resource.ref.name !== 'bytes'; e = last()) seen.push(...(await pull(events, 1)));
    await events.return?.();
    const kinds = new Set(seen.map((e) => `${e.kind} ${e.type}`));
    for (const kind of ['resource add', 'resource update', 'resource delete', 'relationship add']) assert.ok(kinds.has(kind), kind);
    const update = seen.find((e) => e.kind === 'resource' && e.type === 'update');
    assert.ok(update?.kind === 'resource' && update.previous !== undefined && storedJsonText(update.resource) !== undefined);
    for (const event of seen) assert.equal(eventText(event), JSON.stringify(eventJson(event)));

    const page = await store.list({ limit: 1 });
    assert.ok(page.continue !== undefined);
    const all = await store.list({});
    for (const p of [page, all, { items: [] as Resource[], revision: 3 }]) assert.equal(pageText(p), JSON.stringify({ ...p, items: p.items.map(resourceJson) }));
    for (const resource of all.items) assert.equal(resourceText(resource), JSON.stringify(resourceJson(resource)));
    const cached = await store.get(podRef('bytes'));
    assert.equal(resourceText(cached), JSON.stringify(resourceJson(cached)));
  });
});
