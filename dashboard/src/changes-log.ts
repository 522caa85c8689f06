/**
 * The list of changes as the live feed applied them, newest first, each with its revision: what
 * changed where, at a glance, and proof that each change arrived once (a resumed feed repeats
 * nothing). It keeps the last hundred.
 */
import { refLabel, shortPredicate, type StoreEvent } from './refs.js';

const KEEP = 100;

/** Adds `event` to the top of the list. */
export function logChange(event: StoreEvent): void {
  const list = document.getElementById('changes')!;
  const item = document.createElement('li');
  item.dataset.revision = String(event.revision);
  item.dataset.kind = event.kind;
  item.dataset.type = event.type;
  const what =
    event.kind === 'resource'
      ? refLabel(event.resource.ref)
      : `${refLabel(event.relationship.subject)} —${shortPredicate(event.relationship.predicate.type)}→ ${refLabel(event.relationship.object)}`;
  item.textContent = `${event.revision} ${event.type} ${what}`;
  list.prepend(item);
  while (list.childElementCount > KEEP) list.lastElementChild!.remove();
}
