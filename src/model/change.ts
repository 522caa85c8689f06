/**
 * Changes as a transaction records them, before they have revisions: what changed, its new (or
 * last) state, the state before, and the encoded bytes of both, which the change log stores. Once
 * the engine has given the transaction its revisions, each change becomes an event
 * (`events/change.ts`).
 */
import type { Relationship } from './relationship-types.js';
import type { Resource } from './types.js';

/** What a change did. */
export type ChangeType = 'add' | 'update' | 'delete';

export type Change =
  | {
      readonly kind: 'resource';
      readonly type: ChangeType;
      readonly object: Resource;
      readonly bytes: Uint8Array;
      readonly previous?: Resource;
      readonly previousBytes?: Uint8Array;
    }
  | {
      readonly kind: 'relationship';
      readonly type: ChangeType;
      readonly object: Relationship;
      readonly bytes: Uint8Array;
      readonly previous?: Relationship;
      readonly previousBytes?: Uint8Array;
    };
