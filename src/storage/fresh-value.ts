/**
 * Bytes that no earlier write put anywhere: this process's random tag and a count of the fresh
 * values it has made. A key whose writes a scanning transaction must see as changes (a range
 * guard, a resource's relationship count) carries them in its value, so the commit's compare of
 * the value it read never takes a key written back to an earlier value for one left alone (the
 * ABA of a compare-and-swap).
 */
const PROCESS_TAG = crypto.getRandomValues(new Uint8Array(12));
let made = 0;

/** How many bytes `putFresh` writes. */
export const FRESH_BYTES = 20;

/** Writes `FRESH_BYTES` fresh bytes into `into` at `offset`. */
export function putFresh(into: Uint8Array, offset: number): void {
  into.set(PROCESS_TAG, offset);
  new DataView(into.buffer, into.byteOffset).setFloat64(offset + PROCESS_TAG.byteLength, ++made);
}
