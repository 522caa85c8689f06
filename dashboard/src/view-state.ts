/**
 * What the page shows, kept in the URL's fragment so that the browser's history is the page's
 * history (back and forward go between resources opened) and a view can be bookmarked:
 * `#/r/{ref key}?direction=out&depth=3&predicates=A,B`. No token or data ever goes there.
 */
import { parseRefKey, refKey, type Ref } from './refs.js';

/** Which way the graph is walked. */
export type Direction = 'out' | 'in' | 'both';

/** A view of one resource. */
export interface ViewState {
  readonly ref: Ref;
  readonly direction: Direction;
  readonly depth: number;
  /** Only these predicate types; all when undefined. */
  readonly predicates: readonly string[] | undefined;
}

export const DEFAULT_DIRECTION: Direction = 'out';
export const DEFAULT_DEPTH = 3;
export const MAX_DEPTH = 6;

/** The fragment of a view. */
export function viewHash(state: ViewState): string {
  const params = new URLSearchParams({ direction: state.direction, depth: String(state.depth) });
  if (state.predicates !== undefined) params.set('predicates', state.predicates.join(','));
  return `#/r/${refKey(state.ref)}?${params.toString()}`;
}

/** The view a fragment names, or undefined (the start page). */
export function parseViewHash(hash: string): ViewState | undefined {
  if (!hash.startsWith('#/r/')) return undefined;
  const [key = '', search = ''] = hash.slice('#/r/'.length).split('?', 2);
  const ref = parseRefKey(key);
  if (ref === undefined) return undefined;
  const params = new URLSearchParams(search);
  const direction = params.get('direction');
  const depth = Number(params.get('depth') ?? DEFAULT_DEPTH);
  const predicates = params.get('predicates');
  return {
    ref,
    direction: direction === 'in' || direction === 'both' ? direction : 'out',
    depth: Number.isInteger(depth) && depth >= 1 && depth <= MAX_DEPTH ? depth : DEFAULT_DEPTH,
    predicates: predicates === null ? undefined : predicates.split(',').filter((type) => type !== ''),
  };
}
