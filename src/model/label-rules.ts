/**
 * Kubernetes' rules for label keys, label values and annotation keys, as the API server applies
 * them (apimachinery `validation.IsQualifiedName`, `IsValidLabelValue`, and the 256 KiB limit on
 * all annotations together). Both the store's writes and the label-selector parser use them, so
 * a selector can never name a label that could not have been stored.
 */

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The most bytes all annotations of one resource may hold, keys and values together (as Kubernetes). */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** Why `key` is not a valid label or annotation key, or undefined when it is. */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0) return 'prefix part must not be empty';
    if (prefix.length > 253) return 'prefix part must be no more than 253 characters';
    if (!DNS_SUBDOMAIN.test(prefix)) return 'prefix part must be a lowercase DNS subdomain (e.g. example.com)';
  }
  if (name.length === 0) return 'name part must not be empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!NAME_PART.test(name)) {
    return "name part must be alphanumeric, '-', '_' or '.', and start and end with an alphanumeric character";
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!LABEL_VALUE.test(value)) {
    return "must be empty or alphanumeric, '-', '_' or '.', and start and end with an alphanumeric character";
  }
  return undefined;
}
