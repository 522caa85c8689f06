/**
 * Numbers stored as values (the revision, counters): 8-byte big-endian IEEE 754 doubles; and the
 * 64-bit protobuf fields protobufjs decodes as Long objects, as numbers.
 */
import { StoreError } from './errors.js';

export function encodeNumber(n: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, n);
  return bytes;
}

/** The number stored in `bytes`; 0 when absent. CORRUPTED when the bytes are not a number. */
export function decodeNumber(bytes: Uint8Array | undefined, what: string): number {
  if (bytes === undefined) return 0;
  if (bytes.byteLength !== 8) throw new StoreError('CORRUPTED', `${what} is not an 8-byte number`);
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0);
}

/** A 64-bit protobuf field as a number (protobufjs hands out a Long when the `long` package is there). */
export function longToNumber(value: number | { toNumber(): number }): number {
  return typeof value === 'number' ? value : value.toNumber();
}
