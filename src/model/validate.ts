/**
 * Input validation for the resource store: refs, type descriptors, labels, annotations, data and
 * the numeric options callers pass. Every check throws a StoreError (INVALID_ARGUMENT or
 * TOO_LARGE) naming the field, before anything is read or written.
 *
 * Ref fields may hold any well-formed text (the key codec is injective for every string) except
 * control characters, which Kubernetes never allows in names and which would make keys and logs
 * unreadable; lengths follow Kubernetes (names and groups 253, the others 63).
 */
import { StoreError, brief, invalidArgument } from '../storage/errors.js';
import { MAX_ANNOTATIONS_BYTES, labelValueProblem, qualifiedNameProblem } from './label-rules.js';
import { Ref } from './refs.js';
import type { ResourceRef, TypeDescriptor } from './types.js';

const REF_LIMITS = { group: 253, version: 63, kind: 63, namespace: 63, name: 253 } as const;
const CONTROL = /[\x00-\x1f\x7f]/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks one text field of a ref: a string, within its length, well-formed, no control characters. */
export function checkRefField(field: string, value: unknown, max: number, required: boolean): string {
  const problem = refFieldProblem(value, max, required);
  if (problem !== undefined) throw invalidArgument(field, problem);
  return value === undefined ? '' : (value as string);
}

/** What is wrong with a ref field's value, if anything. */
function refFieldProblem(value: unknown, max: number, required: boolean): string | undefined {
  if (value === undefined) return required ? 'must be a string, got undefined' : undefined;
  if (typeof value !== 'string') return `must be a string, got ${value === null ? 'null' : typeof value}`;
  if (required && value.length === 0) return 'must not be empty';
  if (value.length > max) return `must be no more than ${max} characters, got ${value.length}`;
  if (!value.isWellFormed()) return 'is not well-formed text (it holds a lone surrogate)';
  const control = CONTROL.exec(value);
  if (control) return `holds a control character at position ${control.index}`;
  return undefined;
}

/** One field of a ref: `field.part` is named only when the value is refused (every read validates a ref). */
function refPart(field: string, part: keyof typeof REF_LIMITS, value: unknown, required: boolean): string {
  const problem = refFieldProblem(value, REF_LIMITS[part], required);
  if (problem !== undefined) throw invalidArgument(`${field}.${part}`, problem);
  return value === undefined ? '' : (value as string);
}

/** Validates a ref and fills in the defaults (group and namespace ""). */
export function normalizeRef(input: unknown, field = 'ref'): ResourceRef {
  if (!isRecord(input)) throw invalidArgument(field, 'must be an object with version, kind and name');
  const { namespace, name } = input;
  // As Kubernetes' path-segment rule: these two would mean other paths over HTTP.
  if (namespace === '.' || namespace === '..') throw invalidArgument(`${field}.namespace`, `may not be ${JSON.stringify(namespace)}`);
  if (name === '.' || name === '..') throw invalidArgument(`${field}.name`, `may not be ${JSON.stringify(name)}`);
  return new Ref(
    refPart(field, 'group', input.group, false),
    refPart(field, 'version', input.version, true),
    refPart(field, 'kind', input.kind, true),
    refPart(field, 'namespace', namespace, false),
    refPart(field, 'name', name, true),
  );
}

/** Validates a type descriptor and fills in the default group "". */
export function normalizeType(input: unknown, field = 'type'): Required<TypeDescriptor> {
  if (!isRecord(input)) throw invalidArgument(field, 'must be an object with version and kind');
  return {
    group: checkRefField(`${field}.group`, input.group, REF_LIMITS.group, false),
    version: checkRefField(`${field}.version`, input.version, REF_LIMITS.version, true),
    kind: checkRefField(`${field}.kind`, input.kind, REF_LIMITS.kind, true),
  };
}

/** Validates a namespace used as a query (it may be "", the cluster scope). */
export function normalizeNamespace(input: unknown, field = 'namespace'): string {
  return checkRefField(field, input, REF_LIMITS.namespace, false);
}

/** Validates labels as Kubernetes does; returns a fresh plain copy. */
export function normalizeLabels(input: unknown, field = 'labels'): Record<string, string> {
  if (input === undefined) return {};
  if (!isRecord(input)) throw invalidArgument(field, 'must be an object of string keys and values');
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(input)) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) throw invalidArgument(`${field}[${brief(key)}]`, `invalid key: ${keyProblem}`);
    if (typeof value !== 'string') throw invalidArgument(`${field}[${brief(key)}]`, 'value must be a string');
    const valueProblem = labelValueProblem(value);
    if (valueProblem) throw invalidArgument(`${field}[${brief(key)}]`, `invalid value: ${valueProblem}`);
    labels[key] = value;
  }
  return labels;
}

/** Validates annotations as Kubernetes does (qualified keys, 256 KiB in all); returns a fresh copy. */
export function normalizeAnnotations(input: unknown, field = 'annotations'): Record<string, string> {
  if (input === undefined) return {};
  if (!isRecord(input)) throw invalidArgument(field, 'must be an object of string keys and values');
  const annotations: Record<string, string> = {};
  let bytes = 0;
  for (const [key, value] of Object.entries(input)) {
    const keyProblem = qualifiedNameProblem(key.toLowerCase());
    if (keyProblem) throw invalidArgument(`${field}[${brief(key)}]`, `invalid key: ${keyProblem}`);
    if (typeof value !== 'string') throw invalidArgument(`${field}[${brief(key)}]`, 'value must be a string');
    if (!value.isWellFormed()) throw invalidArgument(`${field}[${brief(key)}]`, 'value is not well-formed text');
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    annotations[key] = value;
  }
  if (bytes > MAX_ANNOTATIONS_BYTES) {
    throw new StoreError('TOO_LARGE', `${field}: ${bytes} bytes in all, over the limit of ${MAX_ANNOTATIONS_BYTES}`, { field });
  }
  return annotations;
}

/** Validates an expected version (a positive safe integer) when given. */
export function normalizeVersion(input: unknown, field = 'version'): number | undefined {
  if (input === undefined) return undefined;
  if (typeof input !== 'number' || !Number.isSafeInteger(input) || input < 1) {
    throw invalidArgument(field, `must be a positive integer, got ${JSON.stringify(input) ?? typeof input}`);
  }
  return input;
}

/** Validates a uid precondition or a uid to assign when given. */
export function normalizeUid(input: unknown, field = 'uid'): string | undefined {
  if (input === undefined) return undefined;
  return checkRefField(field, input, 128, true);
}

/** Validates a positive integer option within [1, max]. */
export function normalizeCount(input: unknown, field: string, max: number): number | undefined {
  if (input === undefined) return undefined;
  if (typeof input !== 'number' || !Number.isSafeInteger(input) || input < 1 || input > max) {
    throw invalidArgument(field, `must be an integer from 1 to ${max}, got ${JSON.stringify(input) ?? typeof input}`);
  }
  return input;
}

/** True for a non-null, non-array object (without narrowing the caller's declared type). */
export function isObject(value: unknown): boolean {
  return isRecord(value);
}

export { isRecord };
