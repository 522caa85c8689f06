import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MemberReader, type MemberSpan } from '../../src/model/json-text.js';

function members(json: string): MemberSpan[] {
  const reader = new MemberReader(json);
  const all: MemberSpan[] = [];
  for (let member = reader.next(); member !== undefined; member = reader.next()) all.push(member);
  return all;
}

describe('the members of JSON text', () => {
  it('are each key with its value text, over strings holding brackets, quotes and escapes', () => {
    const json = ' { "a" : "x\\"}]" ,"b\\u0022c":[1,{"d":"\\\\"}],\n"e":-1.5e3 , "f":true,"g":null,"h":{} } ';
    const found = members(json).map((m) => [m.key, json.slice(m.valueStart, m.end)]);
    assert.deepEqual(found, [
      ['a', '"x\\"}]"'],
      ['b"c', '[1,{"d":"\\\\"}]'],
      ['e', '-1.5e3'],
      ['f', 'true'],
      ['g', 'null'],
      ['h', '{}'],
    ]);
    assert.equal(json.slice(members(json)[1]!.start, members(json)[1]!.end), '"b\\u0022c":[1,{"d":"\\\\"}]');
  });

  it('of an empty object are none, and text that is not an object is refused', () => {
    assert.deepEqual(members('{}'), []);
    assert.deepEqual(members(' { } '), []);
    for (const json of ['[]', '"a"', '1', '']) assert.throws(() => new MemberReader(json), /not an object/);
  });

  it('are the members JSON.parse finds, for any object JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })), (object) => {
        const json = JSON.stringify(object);
        const parsed = JSON.parse(json) as Record<string, unknown>;
        const found = members(json);
        assert.deepEqual(found.map((m) => m.key), Object.keys(parsed));
        for (const m of found) assert.deepEqual(JSON.parse(json.slice(m.valueStart, m.end)), parsed[m.key]);
        assert.equal(`{${found.map((m) => json.slice(m.start, m.end)).join(',')}}`, json);
      }),
      { numRuns: 500 },
    );
  });

  it('can stop after any member, the rest of the text following it', () => {
    const json = '{"a":1,"b":{"c":[2]},"d":"e"}';
    const reader = new MemberReader(json);
    reader.next();
    const b = reader.next()!;
    assert.equal(json.slice(b.end), ',"d":"e"}');
  });
});
