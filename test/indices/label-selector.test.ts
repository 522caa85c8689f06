import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSelector, matchesSelector, parseLabelSelector } from '../../src/indices/label-selector.js';
import { StoreError } from '../../src/storage/errors.js';

const matches = (selector: string, labels: Record<string, string>) => matchesSelector(parseLabelSelector(selector), labels);

describe('label selectors', () => {
  it('parses every operator Kubernetes allows', () => {
    assert.deepEqual(parseLabelSelector('app=web, tier==db,env!=prod,zone in (b, a),x notin (c),k,!legacy').requirements, [
      { key: 'app', op: 'in', values: ['web'] },
      { key: 'tier', op: 'in', values: ['db'] },
      { key: 'env', op: 'notin', values: ['prod'] },
      { key: 'zone', op: 'in', values: ['a', 'b'] },
      { key: 'x', op: 'notin', values: ['c'] },
      { key: 'k', op: 'exists' },
      { key: 'legacy', op: 'notexists' },
    ]);
  });

  it('accepts prefixed keys and the empty selector', () => {
    assert.deepEqual(parseLabelSelector('app.kubernetes.io/name=nginx').requirements, [
      { key: 'app.kubernetes.io/name', op: 'in', values: ['nginx'] },
    ]);
    assert.deepEqual(parseLabelSelector('  ').requirements, []);
    assert.equal(matches('', { any: 'thing' }), true);
  });

  it('matches as Kubernetes does, including notin on a missing key', () => {
    const labels = { app: 'web', env: 'a' };
    assert.equal(matches('app=web', labels), true);
    assert.equal(matches('app=db', labels), false);
    assert.equal(matches('app!=db', labels), true);
    assert.equal(matches('tier!=db', labels), true);
    assert.equal(matches('env in (a,b)', labels), true);
    assert.equal(matches('env notin (a,b)', labels), false);
    assert.equal(matches('missing notin (a)', labels), true);
    assert.equal(matches('app', labels), true);
    assert.equal(matches('!app', labels), false);
    assert.equal(matches('!legacy,app=web,env in (a)', labels), true);
    assert.equal(matches('constructor', labels), false);
  });

  it('rejects malformed selectors with INVALID_ARGUMENT naming the position', () => {
    const cases: Array<[string, number]> = [
      ['app=web,', 8],
      ['app in (a', 9],
      ['app in a', 7],
      ['=web', 0],
      ['app==web==x', 8],
      ['app=we b', 7],
      ['-bad=x', 0],
      ['app=-x', 4],
      ['Example.com/x=y', 0],
      ['app=' + 'v'.repeat(64), 4],
      ['app ~ web', 4],
      ['!', 1],
    ];
    for (const [selector, position] of cases) {
      assert.throws(
        () => parseLabelSelector(selector),
        (err: unknown) =>
          err instanceof StoreError &&
          err.code === 'INVALID_ARGUMENT' &&
          err.details.field === 'labelSelector' &&
          err.message.endsWith(`at position ${position}`),
        selector,
      );
    }
  });

  it('prints a canonical form that ignores order and duplicates', () => {
    assert.equal(formatSelector(parseLabelSelector('b=1,a in (y,x)')), formatSelector(parseLabelSelector('a in (x,y), b==1,b=1')));
  });
});
