/** Query-string values as numbers, with INVALID_ARGUMENT naming the parameter when one is not. */
import { invalidArgument } from '../store/errors.js';

/** An integer query parameter, or undefined when absent. */
export function optionalInt(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n)) throw invalidArgument(field, `must be an integer, got ${JSON.stringify(value.slice(0, 40))}`);
  return n;
}
