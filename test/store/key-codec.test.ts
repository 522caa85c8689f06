import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeKey, encodeFields, encodeKey, formatKey, keyOf, leadingFields, prefixRange } from '../../src/storage/key-codec.js';

// Strings that favour the characters a codec gets wrong: separators, escapes, NUL, astral ones.
const tricky = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('\x00', '\x01', '\x02', '/', '%', 'a', 'b', '-', '.', '\uffff', '😀', '\ue000'), maxLength: 8 }),
);
const tuple = fc.array(tricky, { minLength: 1, maxLength: 5 });

const bytes = (key: string): Buffer => Buffer.from(key, 'utf8');

/** Tuples ordered field by field, each field by code point (the order LevelDB's bytes give UTF-8). */
function compareTuples(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = Buffer.compare(bytes(a[i]!), bytes(b[i]!));
    if (c !== 0) return c;
  }
  return Math.sign(a.length - b.length);
}

describe('key codec', () => {
  it('decodes every key back to its section and fields', () => {
    fc.assert(
      fc.property(tuple, (fields) => {
        assert.deepEqual(decodeKey(encodeKey('res', ...fields)), { section: 'res', fields });
      }),
      { numRuns: 2000 },
    );
  });

  it('is injective: different tuples give different keys', () => {
    fc.assert(
      fc.property(tuple, tuple, (a, b) => {
        fc.pre(compareTuples(a, b) !== 0);
        assert.notEqual(encodeKey('res', ...a), encodeKey('res', ...b));
      }),
      { numRuns: 2000 },
    );
  });

  it('preserves order: UTF-8 keys sort as their tuples do', () => {
    fc.assert(
      fc.property(tuple, tuple, (a, b) => {
        const byKey = Math.sign(Buffer.compare(bytes(encodeKey('res', ...a)), bytes(encodeKey('res', ...b))));
        assert.equal(byKey, compareTuples(a, b));
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps prefix scans exact: namespace a never matches namespace ab', () => {
    const scanOf = (namespace: string) => prefixRange(encodeKey('res', 'apps', 'v1', 'Pod', namespace));
    const inRange = (key: string, range: { gte: string; lt: string }) =>
      Buffer.compare(bytes(key), bytes(range.gte)) >= 0 && Buffer.compare(bytes(key), bytes(range.lt)) < 0;
    assert.equal(inRange(encodeKey('res', 'apps', 'v1', 'Pod', 'ab', 'x'), scanOf('a')), false);
    assert.equal(inRange(encodeKey('res', 'apps', 'v1', 'Pod', 'a', 'x'), scanOf('a')), true);
    fc.assert(
      fc.property(tricky, tricky, tricky, (scanned, namespace, name) => {
        const key = encodeKey('res', 'apps', 'v1', 'Pod', namespace, name);
        assert.equal(inRange(key, scanOf(scanned)), scanned === namespace);
      }),
      { numRuns: 5000 },
    );
  });

  it('builds the same key from parts made once as from its fields, and cuts the parts back out', () => {
    fc.assert(
      fc.property(tuple, tuple, tricky, (a, b, section) => {
        fc.pre(!section.includes('\x00'));
        assert.equal(keyOf(section, encodeFields(a), encodeFields(b)), encodeKey(section, ...a, ...b));
        assert.equal(keyOf(section, encodeFields(a)), encodeKey(section, ...a));
        assert.equal(leadingFields(encodeKey(section, ...a, ...b), a.length), encodeFields(a));
      }),
      { numRuns: 2000 },
    );
    assert.throws(() => leadingFields(encodeKey('s', 'a'), 2), /fewer than 2 fields/);
    assert.throws(() => leadingFields('no section', 1), /fewer than 1 fields/);
  });

  it('formats keys for people with / between parts', () => {
    assert.equal(formatKey(encodeKey('res', '', 'v1', 'Pod', 'web', 'a/b')), '/res//v1/Pod/web/a%2fb');
  });

  it('rejects keys it could not have made', () => {
    assert.throws(() => decodeKey('res\x00abc'));
    assert.throws(() => decodeKey('res\x00a\x01\x03\x00'));
    assert.throws(() => decodeKey('no-section'));
  });
});
