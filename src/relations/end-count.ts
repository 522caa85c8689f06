/**
 * The stored value of a resource's relationship count (`endCountKey`): the count, as numbers are
 * stored (8 bytes), then fresh bytes (storage/fresh-value.ts). The count guards the scans of the
 * relationships that name the resource (relation-writes.ts), so every write of it must look like
 * a change to a transaction that read it: a delete and an add that leave the count where it was
 * still leave another value. Layout 2 stored the count alone; its value still reads, and the
 * next write of the count makes it fresh.
 */
import { StoreError } from '../storage/errors.js';
import { FRESH_BYTES, putFresh } from '../storage/fresh-value.js';
import type { NumberCodec } from '../txn/transaction.js';

const COUNT_BYTES = 8;

export function encodeEndCount(count: number): Uint8Array {
  const bytes = new Uint8Array(COUNT_BYTES + FRESH_BYTES);
  new DataView(bytes.buffer).setFloat64(0, count);
  putFresh(bytes, COUNT_BYTES);
  return bytes;
}

/** The count stored in `bytes` at `key`; 0 when absent. CORRUPTED when the bytes are no count. */
export function decodeEndCount(bytes: Uint8Array | undefined, key: string): number {
  if (bytes === undefined) return 0;
  if (bytes.byteLength !== COUNT_BYTES + FRESH_BYTES && bytes.byteLength !== COUNT_BYTES) {
    throw new StoreError('CORRUPTED', `relationship count ${JSON.stringify(key)} is ${bytes.byteLength} bytes, not ${COUNT_BYTES + FRESH_BYTES} (or ${COUNT_BYTES}, as layout 2 stored it)`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset, COUNT_BYTES).getFloat64(0);
}

/** As a transaction moves it (`Transaction.move`). */
export const END_COUNT: NumberCodec = { decode: decodeEndCount, encode: encodeEndCount };
