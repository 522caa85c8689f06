/**
 * Write input, validated and prepared: what `add`, `update`, `apply` and `delete` (alone or in a
 * batch) are given, turned into the PreparedWrite a transaction runs, with every check done
 * before anything is read; and the batch index an operation's error names.
 */
import { StoreError, invalidArgument } from '../storage/errors.js';
import { packData } from '../model/resource-codec.js';
import { resourceKey } from '../model/resource-keys.js';
import type { PreparedWrite } from './resource-writes.js';
import type { RefInput, ResourceInput } from '../model/types.js';
import type { DeleteOptions } from './types.js';
import { isObject, normalizeAnnotations, normalizeLabels, normalizeRef, normalizeUid, normalizeVersion } from '../model/validate.js';
import type { MaybePromise } from '../txn/maybe-promise.js';

/** Validates what add, update or apply was given. */
export function prepareWrite(op: 'add' | 'update' | 'apply', input: ResourceInput, maxDataBytes: number): PreparedWrite {
  if (!isObject(input)) throw invalidArgument('resource', 'must be an object with a ref');
  const ref = normalizeRef(input.ref);
  const uid = normalizeUid(input.uid);
  const version = normalizeVersion(input.version);
  if (op === 'add' && version !== undefined) throw invalidArgument('version', 'must not be given to add');
  return {
    op,
    ref,
    key: resourceKey(ref),
    ...(uid === undefined ? {} : { uid }),
    ...(version === undefined ? {} : { version }),
    content: {
      data: packData(input.data, maxDataBytes),
      labels: normalizeLabels(input.labels),
      annotations: normalizeAnnotations(input.annotations),
    },
  };
}

/** Validates what delete was given. */
export function prepareDelete(input: RefInput, options: DeleteOptions): PreparedWrite {
  if (!isObject(options)) throw invalidArgument('options', 'must be an object');
  const ref = normalizeRef(input);
  const uid = normalizeUid(options.uid);
  const version = normalizeVersion(options.version);
  return {
    op: 'delete',
    ref,
    key: resourceKey(ref),
    ...(uid === undefined ? {} : { uid }),
    ...(version === undefined ? {} : { version }),
  };
}

/** Rethrows a StoreError with the batch index it concerns. */
function withIndex(index: number, err: unknown): never {
  if (!(err instanceof StoreError)) throw err;
  const field = err.details.field === undefined ? `operations[${index}]` : `operations[${index}].${err.details.field}`;
  throw new StoreError(err.code, `operations[${index}]: ${err.message}`, { ...err.details, field, index, cause: err });
}

/** Runs `fn`; a StoreError it throws names batch operation `index`. */
export function atIndex<T>(index: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    return withIndex(index, err);
  }
}

/** As atIndex, for work that may finish by a promise: a StoreError it throws or rejects with names operation `index`. */
export function atIndexMaybe<T>(index: number, fn: () => MaybePromise<T>): MaybePromise<T> {
  const done = atIndex(index, fn);
  return done instanceof Promise ? done.catch((err: unknown) => withIndex(index, err)) : done;
}
