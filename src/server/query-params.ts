/**
 * Query strings: each parameter once, as a string, and integer parameters as numbers. A bad
 * parameter is INVALID_ARGUMENT naming it, never a 5xx.
 */
import { invalidArgument } from '../storage/errors.js';

/**
 * Checks a parsed query string before any route reads it: a parameter given more than once
 * (`?limit=1&limit=2`, which the parser makes an array) is refused, so every route sees one string
 * per parameter.
 */
export function checkQuery(query: unknown): void {
  if (typeof query !== 'object' || query === null) return;
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string') throw invalidArgument(name, 'is a query parameter given more than once');
  }
}

/** An integer query parameter, or undefined when absent. */
export function optionalInt(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n)) throw invalidArgument(field, `must be an integer, got ${JSON.stringify(value.slice(0, 40))}`);
  return n;
}
