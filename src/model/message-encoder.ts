/**
 * Protobuf messages encoded through one writer kept from encode to encode. protobufjs 8's writer
 * starts each message in a buffer of 128 bytes that it doubles as the message grows (an
 * allocation and a copy each time), then copies the message out: a resource record of 1 KiB cost
 * six allocations. The kept writer has grown once, so an encode costs the copy out alone.
 * Encoding is synchronous and calls no code of anyone else's, so one writer serves every encode
 * in turn; an encode that throws leaves it half written, and it is replaced.
 *
 * The copy out is, by default, a slice of Node's shared pool of 8 KiB slabs: cheap, and right
 * for bytes that live briefly (a log entry, a relationship on its way to the engine). Bytes that
 * may be kept (`owned`: a stored resource record, which the read cache keeps; a resource's packed
 * data, which the resource a write returns and its event hold) get a buffer of their own instead,
 * so that holding them does not hold the slab they were cut from, and the rest of it with them.
 */
import protobuf from 'protobufjs/minimal.js';

/** A generated message type's static encoder. */
export interface MessageType<T> {
  encode(message: T, writer?: protobuf.Writer): protobuf.Writer;
}

/** A writer whose buffer grew past this is let go after its encode, not kept for the next. */
const MAX_KEPT_BYTES = 256 * 1024;

let writer = protobuf.Writer.create();

/** `message` encoded as `type`; `owned`: in a buffer of its own, not a slice of a shared slab (see above). */
export function encodeMessage<T>(type: MessageType<T>, message: T, owned = false): Uint8Array {
  const kept = writer;
  kept.pos = 0;
  try {
    type.encode(message, kept);
  } catch (err) {
    writer = protobuf.Writer.create();
    throw err;
  }
  const length = kept.pos;
  const bytes = owned ? Buffer.allocUnsafeSlow(length) : Buffer.allocUnsafe(length);
  bytes.set(kept.buf.subarray(0, length));
  if (kept.buf.byteLength > MAX_KEPT_BYTES) writer = protobuf.Writer.create();
  return bytes;
}
