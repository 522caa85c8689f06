import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { matchesSelector, parseLabelSelector } from '../../src/indices/label-selector.js';
import { StoreError } from '../../src/storage/errors.js';
import type { Resource, ResourceInput } from '../../src/model/types.js';
import type { ListQuery } from '../../src/store/types.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { factories, rawKeySpace } from '../helpers/stores.js';
import { deployment, pod } from '../helpers/fixtures.js';

const POD = { version: 'v1', kind: 'Pod' };
const names = (items: readonly Resource[]) => items.map((r) => `${r.ref.kind}/${r.ref.namespace}/${r.ref.name}`);
const invalid = (err: unknown) => err instanceof StoreError && err.code === 'INVALID_ARGUMENT';

/** Every item of a query, page by page, checking that pages never repeat an item. */
async function listAll(store: ResourceStore, query: ListQuery, limit: number): Promise<Resource[]> {
  const all: Resource[] = [];
  let token: string | undefined;
  do {
    const page = await store.list({ ...query, limit, ...(token ? { continue: token } : {}) });
    assert.ok(page.items.length <= limit);
    all.push(...page.items);
    token = page.continue;
  } while (token);
  return all;
}

for (const factory of factories) {
  describe(`list on ${factory.name}`, () => {
    it('lists by type, type + namespace, namespace across types, and everything', async () => {
      const { store } = await factory.open();
      await store.add(pod('b', {}, 'web'));
      await store.add(pod('a', {}, 'web'));
      await store.add(pod('c', {}, 'db'));
      await store.add(deployment('d', {}, 'web'));
      await store.add({ ref: { version: 'v1', kind: 'Node', name: 'n1' } });
      assert.deepEqual(names((await store.list({ type: POD })).items), ['Pod/db/c', 'Pod/web/a', 'Pod/web/b']);
      assert.deepEqual(names((await store.list({ type: POD, namespace: 'web' })).items), ['Pod/web/a', 'Pod/web/b']);
      assert.deepEqual(names((await store.list({ namespace: 'web' })).items), ['Pod/web/a', 'Pod/web/b', 'Deployment/web/d']);
      assert.deepEqual(names((await store.list({ namespace: '' })).items), ['Node//n1']);
      assert.equal((await store.list()).items.length, 5);
      await store.close();
    });

    it('never lets a namespace prefix match a longer namespace', async () => {
      const { store } = await factory.open();
      await store.add(pod('x', { app: 'web' }, 'a'));
      await store.add(pod('y', { app: 'web' }, 'ab'));
      assert.deepEqual(names((await store.list({ type: POD, namespace: 'a' })).items), ['Pod/a/x']);
      assert.deepEqual(names((await store.list({ namespace: 'a' })).items), ['Pod/a/x']);
      assert.deepEqual(names((await store.list({ namespace: 'a', labelSelector: 'app=web' })).items), ['Pod/a/x']);
      await store.close();
    });

    it('selects by every label-selector operator', async () => {
      const { store } = await factory.open();
      await store.add(pod('p1', { app: 'web', tier: 'front', env: 'a' }));
      await store.add(pod('p2', { app: 'web', tier: 'db', env: 'b' }));
      await store.add(pod('p3', { app: 'api', env: 'c', legacy: 'true' }));
      await store.add(deployment('d1', { app: 'web' }));
      const select = async (labelSelector: string, type = POD) => names((await store.list({ type, labelSelector })).items);
      assert.deepEqual(await select('app=web'), ['Pod/web/p1', 'Pod/web/p2']);
      assert.deepEqual(await select('app==web,tier!=db'), ['Pod/web/p1']);
      assert.deepEqual(await select('env in (a,c)'), ['Pod/web/p1', 'Pod/web/p3']);
      assert.deepEqual(await select('env notin (a,c)'), ['Pod/web/p2']);
      assert.deepEqual(await select('tier'), ['Pod/web/p1', 'Pod/web/p2']);
      assert.deepEqual(await select('!legacy'), ['Pod/web/p1', 'Pod/web/p2']);
      assert.deepEqual(await select('app=nothing'), []);
      assert.deepEqual(names((await store.list({ labelSelector: 'app=web' })).items), ['Pod/web/p1', 'Pod/web/p2', 'Deployment/web/d1']);
      assert.deepEqual(names((await store.list({ labelSelector: 'legacy' })).items), ['Pod/web/p3']);
      await store.close();
    });

    it('pages with limit and continue, each item once, and returns the revision', async () => {
      const { store } = await factory.open();
      for (let i = 0; i < 25; i++) await store.add(pod(`p${String(i).padStart(2, '0')}`, { app: i % 2 ? 'web' : 'db' }));
      const page = await store.list({ type: POD, limit: 10 });
      assert.equal(page.items.length, 10);
      assert.equal(page.revision, store.revision);
      assert.ok(page.continue);
      assert.equal((await listAll(store, { type: POD }, 10)).length, 25);
      assert.equal((await listAll(store, { type: POD }, 25)).length, 25);
      assert.equal((await listAll(store, { namespace: 'web', labelSelector: 'app in (web,db)' }, 7)).length, 25);
      const last = await store.list({ type: POD, limit: 30 });
      assert.equal(last.items.length, 25);
      assert.equal(last.continue, undefined);
      await store.close();
    });

    it('rejects a forged token, a token of another query and a token of another store', async () => {
      const { store } = await factory.open();
      const other = (await factory.open()).store;
      for (let i = 0; i < 5; i++) {
        await store.add(pod(`p${i}`));
        await other.add(pod(`p${i}`));
      }
      const token = (await store.list({ type: POD, limit: 2 })).continue!;
      const foreign = (await other.list({ type: POD, limit: 2 })).continue!;
      const [payload, mac] = token.split('.') as [string, string];
      const edited = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('"s":0', '"s":1')).toString('base64url');
      await assert.rejects(store.list({ type: POD, limit: 2, continue: `${edited}.${mac}` }), invalid);
      await assert.rejects(store.list({ type: POD, limit: 2, continue: 'garbage' }), invalid);
      await assert.rejects(store.list({ type: POD, limit: 2, continue: foreign }), invalid);
      await assert.rejects(store.list({ namespace: 'web', limit: 2, continue: token }), invalid);
      await assert.rejects(store.list({ type: POD, labelSelector: 'a=b', limit: 2, continue: token }), invalid);
      assert.equal((await store.list({ type: POD, limit: 2, continue: token })).items.length, 2);
      await store.close();
      await other.close();
    });

    it('rejects bad queries with INVALID_ARGUMENT naming the field', async () => {
      const { store } = await factory.open();
      for (const [query, field] of [
        [{ limit: 0 }, 'limit'],
        [{ limit: 1.5 }, 'limit'],
        [{ limit: 10_000_001 }, 'limit'],
        [{ limit: '5' }, 'limit'],
        [{ type: { kind: 'Pod' } }, 'type.version'],
        [{ namespace: 5 }, 'namespace'],
        [{ labelSelector: 'app in (' }, 'labelSelector'],
        [{ labelSelector: 'bad key=x' }, 'labelSelector'],
      ] as const) {
        await assert.rejects(store.list(query as never), (err: unknown) => invalid(err) && (err as StoreError).details.field === field);
      }
      await store.close();
    });

    it('moves label index entries when an update changes labels, in the same write', async () => {
      const { store, engine } = await factory.open();
      await store.add(pod('a', { app: 'web', keep: 'yes' }));
      await store.update(pod('a', { app: 'db', keep: 'yes', added: 'x' }));
      const keys = [...(await rawKeySpace(engine)).keys()].filter((k) => k.startsWith('/idx-label'));
      assert.deepEqual(keys, ['/idx-label/added/x//v1/Pod/web/a', '/idx-label/app/db//v1/Pod/web/a', '/idx-label/keep/yes//v1/Pod/web/a']);
      assert.deepEqual(names((await store.list({ labelSelector: 'app=web' })).items), []);
      assert.deepEqual(names((await store.list({ labelSelector: 'app=db' })).items), ['Pod/web/a']);
      await store.delete(pod('a').ref);
      assert.deepEqual([...(await rawKeySpace(engine)).keys()].filter((k) => k.startsWith('/idx') || k.startsWith('/res')), []);
      await store.close();
    });

    it('answers random queries exactly as a naive filter over all resources does', async () => {
      const label = fc.record({ app: fc.constantFrom('web', 'db', 'api'), env: fc.constantFrom('a', 'b') }, { requiredKeys: [] });
      const resource = fc.record({
        kind: fc.constantFrom('Pod', 'Service'),
        namespace: fc.constantFrom('', 'a', 'ab', 'web'),
        name: fc.constantFrom('x', 'y', 'z', 'x-1'),
        labels: label,
      });
      const selector = fc.constantFrom('', 'app=web', 'app!=web', 'env in (a,b)', 'env notin (a)', 'app', '!env', 'app in (db,api),env=b');
      const query = fc.record(
        { kind: fc.constantFrom('Pod', 'Service'), namespace: fc.constantFrom('', 'a', 'ab', 'web'), selector },
        { requiredKeys: ['selector'] },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(resource, { maxLength: 30 }), query, fc.integer({ min: 1, max: 8 }), async (resources, q, limit) => {
          const { store } = await factory.open();
          try {
            const stored = new Map<string, ResourceInput>();
            for (const r of resources) {
              const input = { ref: { version: 'v1', kind: r.kind, namespace: r.namespace, name: r.name }, labels: r.labels as Record<string, string> };
              await store.apply(input);
              stored.set(`${r.kind}/${r.namespace}/${r.name}`, input);
            }
            const listQuery: ListQuery = {
              ...(q.kind ? { type: { version: 'v1', kind: q.kind } } : {}),
              ...(q.namespace !== undefined ? { namespace: q.namespace } : {}),
              labelSelector: q.selector,
            };
            const parsed = parseLabelSelector(q.selector);
            const expected = [...stored.entries()]
              .filter(([, input]) => (q.kind === undefined || input.ref.kind === q.kind) && (q.namespace === undefined || input.ref.namespace === q.namespace))
              .filter(([, input]) => matchesSelector(parsed, input.labels ?? {}))
              .map(([key]) => key)
              .sort();
            const actual = (await listAll(store, listQuery, limit)).map((r) => `${r.ref.kind}/${r.ref.namespace}/${r.ref.name}`);
            assert.equal(new Set(actual).size, actual.length, 'no item twice');
            assert.deepEqual([...actual].sort(), expected);
          } finally {
            await store.close();
          }
        }),
        { numRuns: factory.name === 'memory-level' ? 150 : 40 },
      );
    });
  });
}
