/** The event a change recorded by a transaction becomes once it has its revision. */
import type { Change } from '../model/change.js';
import type { StoreEvent } from './types.js';

/** The event a committed change becomes at `revision`. */
export function toEvent(change: Change, revision: number): StoreEvent {
  if (change.kind === 'resource') {
    return Object.freeze({
      kind: 'resource',
      type: change.type,
      revision,
      resource: change.object,
      ...(change.previous ? { previous: change.previous } : {}),
    });
  }
  return Object.freeze({
    kind: 'relationship',
    type: change.type,
    revision,
    relationship: change.object,
    ...(change.previous ? { previous: change.previous } : {}),
  });
}
