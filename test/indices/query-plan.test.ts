import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLabelSelector } from '../../src/indices/label-selector.js';
import { planQuery } from '../../src/indices/query-planner.js';
import type { Resource } from '../../src/model/types.js';
import { factories } from '../helpers/stores.js';
import { pod } from '../helpers/fixtures.js';

const POD = { group: '', version: 'v1', kind: 'Pod' };

describe('query plans', () => {
  it('plans one scan for equal selectors, whatever order their requirements are written in', () => {
    const spellings = [
      ['b=y,a=x', 'a=x,b=y', 'a=x,b=y,a=x'],
      ['b in (y,w),a in (z,x)', 'a in (x,z),b in (w,y)'],
      ['zone,app,!legacy', '!legacy,app,zone'],
    ];
    for (const group of spellings) {
      for (const query of [{}, { type: POD }, { namespace: 'web' }, { type: POD, namespace: 'web' }]) {
        const plans = group.map((selector) => planQuery({ ...query, selector: parseLabelSelector(selector) }));
        for (const plan of plans.slice(1)) {
          assert.deepEqual(plan.scans.map((scan) => scan.prefix), plans[0]!.scans.map((scan) => scan.prefix), group.join(' | '));
          assert.deepEqual(plan.fingerprint, plans[0]!.fingerprint);
        }
      }
    }
  });

  it('binds a continue token to the scans of its plan, not only to the query', () => {
    const plan = planQuery({ type: POD, selector: parseLabelSelector('a=x') });
    assert.deepEqual(plan.fingerprint.at(-1), plan.scans.map((scan) => scan.prefix));
  });
});

for (const factory of factories) {
  describe(`continue tokens on ${factory.name}`, () => {
    it('continues a query spelled in another order exactly where it stopped: every item once', async () => {
      const { store } = await factory.open();
      for (let i = 0; i < 10; i++) await store.add(pod(`both-${i}`, { a: 'x', b: 'y' }));
      for (let i = 0; i < 10; i++) await store.add(pod(`only-a-${i}`, { a: 'x' }));
      for (let i = 0; i < 10; i++) await store.add(pod(`only-b-${i}`, { b: 'y' }));
      for (const [first, second] of [
        ['b=y,a=x', 'a=x,b=y'],
        ['a=x,b=y', 'b=y,a=x'],
        ['b in (y,w),a in (x,z)', 'a in (x,z),b in (y,w)'],
      ] as const) {
        for (const type of [undefined, POD]) {
          const seen: Resource[] = [];
          let token: string | undefined;
          let turn = 0;
          do {
            const labelSelector = turn++ % 2 === 0 ? first : second;
            const page = await store.list({ labelSelector, limit: 3, ...(type ? { type } : {}), ...(token ? { continue: token } : {}) });
            seen.push(...page.items);
            token = page.continue;
          } while (token !== undefined);
          const names = seen.map((r) => r.ref.name);
          assert.deepEqual(names.toSorted(), Array.from({ length: 10 }, (_, i) => `both-${i}`).sort(), `${first} then ${second}`);
        }
      }
      await store.close();
    });
  });
}
