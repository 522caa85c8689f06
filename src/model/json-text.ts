/**
 * Reading JSON text without parsing it: how deeply it nests, and where the members of an object
 * are. For text `JSON.stringify` made (the store's data), so that a reader can copy what it does
 * not change instead of parsing it and serializing it again.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** True when JSON text nests objects and arrays more than `max` levels deep. Brackets in strings do not count. */
export function nestsDeeperThan(json: string, max: number): boolean {
  if (json.length <= 2 * max) return false; // each level takes two characters at least
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(json, i);
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

/** The index of the quote that closes the string opening at `open`: one not escaped by a backslash. */
function closingQuote(json: string, open: number): number {
  for (let end = json.indexOf('"', open + 1); ; end = json.indexOf('"', end + 1)) {
    if (end < 0) return json.length;
    let backslashes = 0;
    while (json.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
}

/** One member of an object's JSON text: `text.slice(start, end)` is `"key":value`, `text.slice(valueStart, end)` its value. */
export interface MemberSpan {
  readonly key: string;
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(json: string, at: number): number {
  while (isSpace(json.charCodeAt(at))) at++;
  return at;
}

/** Where the value starting at `at` ends (the index after it). */
function valueEnd(json: string, at: number): number {
  const first = json.charCodeAt(at);
  if (first === QUOTE) return closingQuote(json, at) + 1;
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    for (let i = at; i < json.length; i++) {
      const c = json.charCodeAt(i);
      if (c === QUOTE) i = closingQuote(json, i);
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --depth === 0) return i + 1;
    }
    return json.length;
  }
  // A number, true, false or null: up to the next delimiter.
  let i = at;
  while (i < json.length) {
    const c = json.charCodeAt(i);
    if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || isSpace(c)) break;
    i++;
  }
  return i;
}

/**
 * The members of the JSON object a text is, read one at a time and in order, for text known to
 * be valid JSON (this finds members; it does not check what is between them). A reader that has
 * what it wants stops, and copies the rest of the text from `end` of the last member it read.
 *
 * @example
 * const members = new MemberReader('{"a":1,"b":[2]}');
 * members.next()?.key // 'a'
 */
export class MemberReader {
  readonly #json: string;
  #at: number;

  /** @throws Error when the text is not an object. */
  constructor(json: string) {
    this.#json = json;
    const open = skipSpace(json, 0);
    if (json.charCodeAt(open) !== OPEN_OBJECT) throw new Error('the JSON text is not an object');
    this.#at = skipSpace(json, open + 1);
    if (json.charCodeAt(this.#at) === CLOSE_OBJECT) this.#at = -1;
  }

  /** The next member, or undefined after the last. */
  next(): MemberSpan | undefined {
    const json = this.#json;
    let at = this.#at;
    if (at < 0) return undefined;
    if (json.charCodeAt(at) !== QUOTE) throw new Error(`the JSON text has no member name at ${at}`);
    const start = at;
    const keyEnd = closingQuote(json, at);
    const raw = json.slice(at + 1, keyEnd);
    const key = raw.includes('\\') ? (JSON.parse(json.slice(at, keyEnd + 1)) as string) : raw;
    at = skipSpace(json, keyEnd + 1);
    if (json.charCodeAt(at) !== COLON) throw new Error(`the JSON text has no colon at ${at}`);
    const valueStart = skipSpace(json, at + 1);
    const end = valueEnd(json, valueStart);
    at = skipSpace(json, end);
    const after = json.charCodeAt(at);
    if (after === CLOSE_OBJECT) this.#at = -1;
    else if (after === COMMA) this.#at = skipSpace(json, at + 1);
    else throw new Error(`the JSON text has no comma at ${at}`);
    return { key, start, valueStart, end };
  }
}
