/**
 * Lines of a byte stream, for readers that must not hold a whole file: each line is yielded as
 * its bytes (without the newline) as soon as its newline arrives, so memory follows the longest
 * line, never the stream. A line longer than the bound is refused before it is gathered, and a
 * last line without a newline is yielded too.
 */
import { StoreError } from '../storage/errors.js';

/**
 * Splits `source` at each `\n`. Strings are taken as UTF-8.
 *
 * @example for await (const line of splitLines(createReadStream(file), 1 << 20)) handle(line.toString('utf8'));
 */
export async function* splitLines(source: AsyncIterable<Uint8Array | string>, maxLineBytes: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    let start = 0;
    for (let cut = chunk.indexOf(10); cut >= 0; cut = chunk.indexOf(10, start)) {
      const tail = chunk.subarray(start, cut);
      if (partBytes + tail.byteLength > maxLineBytes) throw tooLong(maxLineBytes);
      yield parts.length === 0 ? Buffer.from(tail) : Buffer.concat([...parts, tail]);
      parts = [];
      partBytes = 0;
      start = cut + 1;
    }
    if (start < chunk.byteLength) {
      partBytes += chunk.byteLength - start;
      if (partBytes > maxLineBytes) throw tooLong(maxLineBytes);
      parts.push(Buffer.from(chunk.subarray(start)));
    }
  }
  if (parts.length > 0) yield Buffer.concat(parts);
}

function tooLong(maxLineBytes: number): StoreError {
  return new StoreError('TOO_LARGE', `a line is longer than ${maxLineBytes} bytes`);
}
