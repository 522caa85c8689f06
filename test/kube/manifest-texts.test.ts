/**
 * Manifest texts made once per state: what reads, list items and watch events of one resource
 * state share, and never the text of another state.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manifestText, watchLine } from '../../src/kube/manifest.js';
import { ManifestTexts } from '../../src/kube/manifest-texts.js';
import { kubeWatch } from '../../src/kube/kube-watch.js';
import { openStore } from '../../src/store/open-store.js';
import { pod, podRef } from '../helpers/fixtures.js';

describe('manifest texts', () => {
  it('are made once per state and revision, and made again for a new state or another revision', async () => {
    const store = await openStore();
    const texts = new ManifestTexts();
    const added = await store.add(pod('a', { app: 'web' }));
    const first = texts.of(added, added.revision);
    assert.equal(first, manifestText(added, added.revision));
    // Held by state: the same state read again is answered with the text made of it (a look-alike proves it was not made again).
    const lookAlike = { ...(await store.get(podRef('a'))), labels: { app: 'not-this' } };
    assert.equal(texts.of(lookAlike, added.revision), first);

    const updated = await store.update({ ...pod('a', { app: 'api' }) });
    assert.equal(texts.of(updated, updated.revision), manifestText(updated, updated.revision));
    assert.match(texts.of(updated, updated.revision), /"app":"api"/);
    const deleted = await store.delete(podRef('a'));
    assert.equal(texts.of(deleted, store.revision), manifestText(deleted, store.revision), "a DELETED event's: the deletion's revision");
    assert.equal(texts.of(deleted, deleted.revision), manifestText(deleted, deleted.revision));
    await store.close();
  });

  it('keep nothing with a bound of 0', async () => {
    const store = await openStore();
    const texts = new ManifestTexts(0);
    const added = await store.add(pod('a'));
    assert.equal(texts.of(added, added.revision), manifestText(added, added.revision));
    const lookAlike = { ...added, labels: { app: 'other' } };
    assert.equal(texts.of(lookAlike, added.revision), manifestText(lookAlike, added.revision));
    await store.close();
  });

  it('give every watcher of a kind the line a manifest object makes, its object made only if read', async () => {
    const store = await openStore();
    const texts = new ManifestTexts();
    const options = { group: '', version: 'v1', kind: 'Pod', namespace: 'web', resourceVersion: '0' };
    await store.add(pod('a', { app: 'web' }));
    const watches = [kubeWatch(store, options, texts), kubeWatch(store, options, texts), kubeWatch(store, { ...options, fieldSelector: 'metadata.name=a' }, texts)];
    const firsts = await Promise.all(watches.map((w) => w.next()));
    await store.update(pod('a', { app: 'api' }));
    const seconds = await Promise.all(watches.map((w) => w.next()));
    for (const [event, type] of [...firsts, ...seconds].map((r, i) => [r.value, i < 3 ? 'ADDED' : 'MODIFIED'] as const)) {
      assert.equal(event.type, type);
      assert.equal(watchLine(event.type, event.object, event.json), watchLine(event.type, JSON.parse(JSON.stringify(event.object))));
    }
    assert.equal(firsts[2]!.value.json, undefined, 'a watch with a field selector tests the object, and sends it');
    assert.ok(firsts[0]!.value.json !== undefined && firsts[0]!.value.json === firsts[1]!.value.json);
    for (const w of watches) await w.return!();
    await store.close();
  });
});
