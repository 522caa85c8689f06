import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type protobuf from 'protobufjs/minimal.js';
import { resourcestore } from '../../src/gen/schema.js';
import { encodeMessage } from '../../src/model/message-encoder.js';

const pb = resourcestore.v1;
const ref = (name: string) => ({ group: '', version: 'v1', kind: 'Pod', namespace: 'web', name });

describe('encodeMessage (one writer kept from encode to encode)', () => {
  it('encodes as protobufjs does, each result its own, whatever was encoded before or after it', () => {
    const big = { ref: ref('a'), uid: 'u', labels: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v'.repeat(i)])) };
    const small = { ref: ref('b'), uid: 'w' };
    const first = encodeMessage(pb.Resource, big);
    const second = encodeMessage(pb.Resource, small);
    const third = encodeMessage(pb.Resource, big, true);
    assert.deepEqual(first, pb.Resource.encode(big).finish());
    assert.deepEqual(second, pb.Resource.encode(small).finish());
    assert.deepEqual(third, first);
    assert.equal(pb.Resource.decode(first).labels.k199, 'v'.repeat(199), 'the first result is not overwritten by the later encodes');
  });

  it('gives owned bytes a buffer of their own, and others a slice of a shared one', () => {
    const message = { json: JSON.stringify({ spec: { image: 'registry.example.com/app:1' } }) };
    const owned = encodeMessage(pb.JsonObject, message, true);
    assert.equal(owned.buffer.byteLength, owned.byteLength);
    assert.equal(owned.byteOffset, 0);
    const shared = encodeMessage(pb.JsonObject, message);
    assert.ok(shared.buffer.byteLength > shared.byteLength, 'a short-lived encode is cut from a pool slab');
  });

  it('encodes correctly after an encode that threw half way through', () => {
    const failing = {
      encode(_: unknown, writer?: protobuf.Writer): protobuf.Writer {
        writer!.uint32(10).fork().string('half a message');
        throw new Error('boom');
      },
    };
    assert.throws(() => encodeMessage(failing, {}), /boom/);
    const message = { ref: ref('c'), uid: 'x' };
    assert.deepEqual(encodeMessage(pb.Resource, message), pb.Resource.encode(message).finish());
  });
});
