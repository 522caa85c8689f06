import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES, StoreError, isStoreError } from '../../src/storage/errors.js';

describe('the error catalogue', () => {
  it('lists the same codes in src/storage/errors.ts and docs/errors.md', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual([...documented].sort(), Object.keys(ERROR_CODES).sort());
  });

  it('documents each code with the meaning the catalogue gives it', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const [code, meaning] of Object.entries(ERROR_CODES)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`))!;
      assert.equal(row.split(' | ')[1], meaning, code);
    }
  });

  it('carries code, details and cause', () => {
    const cause = new Error('disk');
    const err = new StoreError('INTERNAL', 'write failed', { cause, field: 'x' });
    assert.equal(err.code, 'INTERNAL');
    assert.equal(err.cause, cause);
    assert.equal(err.details.field, 'x');
    assert.equal(err.name, 'StoreError');
    assert.ok(isStoreError(err, 'INTERNAL'));
    assert.ok(!isStoreError(err, 'CLOSED'));
    assert.ok(!isStoreError(new Error('x')));
  });
});
