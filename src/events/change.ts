/**
 * Changes as a transaction records them, before they have revisions: what changed, its new (or
 * last) state, the state before, and the encoded bytes of both, which the change log stores. Once
 * the engine has given the transaction its revisions, each change becomes a StoreEvent.
 */
import type { Relationship } from '../relations/types.js';
import type { Resource } from '../store/types.js';
import type { EventType, StoreEvent } from './types.js';

export type Change =
  | {
      readonly kind: 'resource';
      readonly type: EventType;
      readonly object: Resource;
      readonly bytes: Uint8Array;
      readonly previous?: Resource;
      readonly previousBytes?: Uint8Array;
    }
  | {
      readonly kind: 'relationship';
      readonly type: EventType;
      readonly object: Relationship;
      readonly bytes: Uint8Array;
      readonly previous?: Relationship;
      readonly previousBytes?: Uint8Array;
    };

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
