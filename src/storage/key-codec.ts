/**
 * The key codec: turns a section name and a tuple of string fields into one storage key, and back.
 *
 * A key is `section NUL field1' NUL field2' NUL ...`, where each field' is the field with NUL
 * written as `\x01\x01` and `\x01` as `\x01\x02`. Every field is followed by its NUL terminator,
 * so the codec is:
 * - injective: the escaping is reversible and the terminators mark where each field ends;
 * - order-preserving: in the UTF-8 byte order LevelDB sorts by, keys sort as their tuples do
 *   (field by field, each by code point), because the terminator sorts before every character a
 *   field can hold and the escapes keep their characters' order;
 * - prefix-safe: the prefix of namespace `a` ends in `a NUL`, so it can never match namespace `ab`.
 * Fields stay readable text; `formatKey` prints a key with `/` between its parts for people.
 * Strings must be well-formed UTF-16 (the store validates that before keys are made): a lone
 * surrogate has no UTF-8 form, so it could not be stored faithfully.
 */

const TERMINATOR = '\x00';
const ESCAPE = '\x01';
const NEEDS_ESCAPE = /[\x00\x01]/;

function escapeField(field: string): string {
  if (!NEEDS_ESCAPE.test(field)) return field;
  return field.replace(/[\x00\x01]/g, (c) => (c === TERMINATOR ? '\x01\x01' : '\x01\x02'));
}

/**
 * Encodes `section` and `fields` as one key. Each part is terminated, so the result is also a
 * prefix. Joined in one step: adding the parts one by one made a string per part and per
 * terminator (a relationship's three keys hold eleven fields each).
 */
export function encodeKey(section: string, ...fields: readonly string[]): string {
  const parts = [section];
  for (const field of fields) parts.push(escapeField(field));
  parts.push('');
  return parts.join(TERMINATOR);
}

/**
 * `fields` as they stand in a key, each escaped and terminated: `encodeKey(section, ...a, ...b)`
 * is `keyOf(section, encodeFields(a), encodeFields(b))`, so the keys that share fields (a
 * relationship's three orders and its ends' counts) can be built from parts made once.
 */
export function encodeFields(fields: readonly string[]): string {
  let part = '';
  for (const field of fields) part += escapeField(field) + TERMINATOR;
  return part;
}

/** The key of `section` whose fields are `parts`, each made by `encodeFields`. */
export function keyOf(section: string, ...parts: readonly string[]): string {
  return section + TERMINATOR + parts.join('');
}

/**
 * The first `count` fields of `key` as they stand in it, each escaped and terminated, as
 * `encodeFields` makes them: a key that shares those fields is built from the cut (`keyOf`)
 * without decoding the key. Throws when the key has fewer fields.
 */
export function leadingFields(key: string, count: number): string {
  const start = key.indexOf(TERMINATOR) + 1;
  let end = start;
  for (let i = 0; i < count; i++) {
    end = key.indexOf(TERMINATOR, end) + 1;
    if (start === 0 || end === 0) throw new Error(`key has fewer than ${count} fields`);
  }
  return key.slice(start, end);
}

/**
 * The range of every key that starts with `prefix` (itself made by `encodeKey`): from the prefix
 * up to, not including, the prefix with its last terminator raised by one.
 */
export function prefixRange(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: prefix.slice(0, -1) + ESCAPE };
}

/**
 * Decodes a key into its section and fields. Throws on a key the codec could not have made. Each
 * field is cut out whole between terminators (an escaped NUL holds none), and only a field that
 * holds an escape is rebuilt character by character.
 */
export function decodeKey(key: string): { section: string; fields: string[] } {
  const sectionEnd = key.indexOf(TERMINATOR);
  if (sectionEnd < 0) throw new Error('key has no section terminator');
  const fields: string[] = [];
  for (let start = sectionEnd + 1; start < key.length; ) {
    const end = key.indexOf(TERMINATOR, start);
    if (end < 0) throw new Error('key does not end with a terminator');
    const field = key.slice(start, end);
    fields.push(field.includes(ESCAPE) ? unescapeField(field, start) : field);
    start = end + 1;
  }
  return { section: key.slice(0, sectionEnd), fields };
}

/** A field with its escapes undone; `offset` is where it starts in its key, for the error. */
function unescapeField(field: string, offset: number): string {
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i];
    if (c !== ESCAPE) {
      out += c;
      continue;
    }
    const next = field[++i];
    if (next === '\x01') out += TERMINATOR;
    else if (next === '\x02') out += ESCAPE;
    else throw new Error(`bad escape at ${offset + i} in key`);
  }
  return out;
}

/** A key as people read it: `/section/field1/field2`, with `/`, `%` and control characters as `%NN`. */
export function formatKey(key: string): string {
  const { section, fields } = decodeKey(key);
  const show = (s: string): string =>
    s.replace(/[\x00-\x1f\x7f%/]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return '/' + [section, ...fields].map(show).join('/');
}
