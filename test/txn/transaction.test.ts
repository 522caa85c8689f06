/**
 * The transaction's view of the key space: reads see its own writes, and a prefix scan returns the
 * committed keys of the prefix plus the keys it put, less those it deleted, however puts, deletes
 * and scans interleave (a batch of 1,000 resources writes some 20,000 keys and scans between
 * them, so the buffered keys are sorted in at each scan), values made as the write commits and
 * numbers moved in place (encoded once, as the write commits) among them; and its engine write
 * puts and deletes exactly what it wrote. Checked against a model: a map. A range whose guard it
 * read as absent is not scanned: its committed part is empty.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeKey } from '../../src/storage/key-codec.js';
import { Transaction, type NumberCodec } from '../../src/txn/transaction.js';

// Fields that share prefixes and hold the codec's own separators, so escaped keys sort among the rest.
const field = fc.constantFrom('', 'a', 'ab', 'b', '\x00', '\x01', 'a\x00', '😀');
const key = fc.tuple(field, field).map(([a, b]) => encodeKey('sec', a, b));
const prefix = fc.oneof(fc.constant(encodeKey('sec')), field.map((a) => encodeKey('sec', a)), key);
const step = fc.oneof(
  fc.record({ op: fc.constant('put' as const), key }),
  fc.record({ op: fc.constant('del' as const), key }),
  fc.record({ op: fc.constant('late' as const), key }),
  fc.record({ op: fc.constant('scan' as const), prefix }),
  fc.record({ op: fc.constant('get' as const), key }),
  fc.record({ op: fc.constant('move' as const), key, delta: fc.integer({ min: -2, max: 2 }) }),
);

/** Numbers as `n:{decimal}`; any other value (a put's, a committed one) reads as 0. */
const NUMBERS: NumberCodec = {
  decode: (bytes) => (bytes !== undefined && Buffer.from(bytes).toString().startsWith('n:') ? Number(Buffer.from(bytes).toString().slice(2)) : 0),
  encode: (n) => Buffer.from(`n:${n}`),
};

/** In the model: a key whose value the transaction makes as it commits (`changeAt`). */
const LATE = Buffer.from('made at commit');

describe('Transaction', () => {
  it('scans and reads what is committed, plus its own puts, less its own deletes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(key), fc.array(step, { maxLength: 60 }), fc.boolean(), async (committedKeys, steps, readsAtOnce) => {
        const committed = new Map(committedKeys.map((k) => [k, Buffer.from(`committed ${k}`)]));
        const txn = new Transaction(
          // An engine that reads synchronously (LevelDB), or by a promise (PostgreSQL).
          readsAtOnce ? (k) => committed.get(k) : async (k) => committed.get(k),
          async function* (range) {
            const inRange = [...committed.keys()].filter((k) => k >= range.gte && k < range.lt).sort();
            for (let i = 0; i < inRange.length; i += 3) yield inRange.slice(i, i + 3); // in chunks, as engines give them
          },
        );
        const model = new Map(committed);
        for (const [i, s] of steps.entries()) {
          if (s.op === 'put') {
            const value = Buffer.from(`put ${i}`);
            txn.put(s.key, value);
            model.set(s.key, value);
          } else if (s.op === 'del') {
            txn.del(s.key);
            model.delete(s.key);
          } else if (s.op === 'late') {
            // A value made as the write commits: the key is written, and cannot be read before.
            txn.changeAt(() => assert.fail('runs only as the write commits'), s.key);
            model.set(s.key, LATE);
          } else if (s.op === 'move') {
            if (model.get(s.key) === LATE) {
              await assert.rejects(async () => txn.move(s.key, s.delta, NUMBERS), { code: 'INTERNAL' });
              continue;
            }
            const n = NUMBERS.decode(model.get(s.key), s.key) + s.delta;
            await txn.move(s.key, s.delta, NUMBERS);
            if (n === 0) model.delete(s.key);
            else model.set(s.key, Buffer.from(NUMBERS.encode(n)));
          } else if (s.op === 'get') {
            if (model.get(s.key) === LATE) assert.throws(() => txn.read(s.key), { code: 'INTERNAL' });
            else {
              const read = txn.read(s.key);
              // At once whenever the value is at hand: always with a synchronous engine, and for a key already read or written.
              if (readsAtOnce) assert.ok(!(read instanceof Promise));
              assert.deepEqual(await read, model.get(s.key));
            }
          } else {
            const expected = [...model.keys()].filter((k) => k.startsWith(s.prefix)).sort();
            assert.deepEqual((await txn.keysWithPrefix(s.prefix)).sort(), expected);
          }
        }
        const write = txn.toEngineWrite({ logEntries: () => [], committed: () => undefined }, 0);
        const written = new Map<string, Uint8Array | undefined>([...write.puts, ...write.dels.map((k): [string, undefined] => [k, undefined])]);
        for (const [k, value] of written) assert.deepEqual(value === undefined ? undefined : Buffer.from(value), model.get(k), k);
        for (const k of new Set([...committed.keys(), ...model.keys()])) {
          const changed = model.get(k) !== LATE && !(model.has(k) && committed.has(k) && Buffer.compare(model.get(k)!, committed.get(k)!) === 0);
          if (changed) assert.ok(written.has(k), `${k} changed and is not written`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('lists only its own keys, with no scan, in a range whose guard it read as absent', async () => {
    const [guardA, guardB, rangeA, rangeB] = [encodeKey('g', 'a'), encodeKey('g', 'b'), encodeKey('r', 'a'), encodeKey('r', 'b')];
    const [entryA, entryB] = [encodeKey('r', 'a', '1'), encodeKey('r', 'b', '1')];
    const committed = new Map([
      [guardB, Buffer.from('guard')],
      [entryB, Buffer.from('entry')],
    ]);
    const scanned: string[] = [];
    const txn = new Transaction(
      (k) => committed.get(k),
      async function* (range) {
        scanned.push(range.gte);
        yield [...committed.keys()].filter((k) => k >= range.gte && k < range.lt);
      },
    );
    assert.equal(txn.guard(guardA), false);
    txn.put(guardA, Buffer.from('guard'));
    txn.put(entryA, Buffer.from('own'));
    assert.deepEqual(await txn.keysWithPrefix(rangeA, guardA), [entryA]);
    assert.deepEqual(scanned, [], 'the committed range is empty: its guard is absent');
    assert.equal(txn.guard(guardB), true);
    assert.deepEqual(await txn.keysWithPrefix(rangeB, guardB), [entryB]);
    assert.deepEqual(await txn.keysWithPrefix(rangeA, encodeKey('g', 'never read')), [entryA]);
    assert.deepEqual(scanned, [rangeB, rangeA], 'a present guard, or one not read, leaves the range to scan');
    const { checks } = txn.toEngineWrite({ logEntries: () => [], committed: () => undefined }, 0);
    assert.ok(
      checks.some((check) => check.key === guardA && check.value === undefined),
      "the guard's absence is a precondition: a writer into the range since fails the commit",
    );
  });
});
