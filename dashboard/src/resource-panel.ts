/**
 * The side panel of the resource opened: its name, its labels and annotations, its relationships
 * (each a button that follows it to the other end, derived ones marked so) and its manifest as
 * YAML. A ref no stored resource answers is shown as missing, with the relationships that still
 * name it.
 */
import { stringify } from 'yaml';
import { ApiError, getJson } from './api.js';
import { refKey, refLabel, shortPredicate, type Ref, type Relationship, type StoredResource } from './refs.js';

const RELATIONSHIP_LIMIT = 500;

/** The panel. */
export class ResourcePanel {
  readonly #open: (ref: Ref) => void;
  #shown = 0;

  constructor(open: (ref: Ref) => void) {
    this.#open = open;
  }

  /** Reads and shows `ref`. */
  async show(ref: Ref): Promise<void> {
    const shown = ++this.#shown;
    const key = encodeURIComponent(refKey(ref));
    const [resource, outgoing, incoming] = await Promise.all([
      getJson<StoredResource>(`/resource?ref=${key}`).catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 'NOT_FOUND') return undefined;
        throw err;
      }),
      getJson<{ items: Relationship[] }>(`/relationships?subject=${key}&limit=${RELATIONSHIP_LIMIT}`),
      getJson<{ items: Relationship[] }>(`/relationships?object=${key}&limit=${RELATIONSHIP_LIMIT}`),
    ]);
    if (shown !== this.#shown) return;
    byId('panel-title').textContent = refLabel(ref);
    const panel = byId('resource-panel');
    panel.dataset.ref = refKey(ref);
    panel.dataset.missing = String(resource === undefined);
    byId('panel-meta').textContent =
      resource === undefined ? 'missing: no resource with this name is stored (something refers to it)' : `${ref.group === '' ? '' : `${ref.group}/`}${ref.version} · uid ${resource.uid} · version ${resource.version}${resource.revision === undefined ? '' : ` · revision ${resource.revision}`}`;
    fillPairs(byId('panel-labels'), resource?.labels ?? {});
    fillPairs(byId('panel-annotations'), resource?.annotations ?? {});
    byId('panel-annotation-count').textContent = String(Object.keys(resource?.annotations ?? {}).length);
    const relationships = byId('panel-relationships');
    relationships.replaceChildren(
      ...outgoing.items.map((relationship) => this.#relationship(relationship, 'out')),
      ...incoming.items.map((relationship) => this.#relationship(relationship, 'in')),
    );
    if (outgoing.items.length + incoming.items.length === 0) relationships.replaceChildren(note('none'));
    byId('panel-manifest').textContent = resource === undefined ? '' : stringify(manifestOf(resource), { lineWidth: 0 });
  }

  #relationship(relationship: Relationship, direction: 'out' | 'in'): HTMLLIElement {
    const other = direction === 'out' ? relationship.object : relationship.subject;
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.dataset.ref = refKey(other);
    const predicate = shortPredicate(relationship.predicate.type);
    button.textContent = direction === 'out' ? `—${predicate}→ ${refLabel(other)}` : `←${predicate}— ${refLabel(other)}`;
    button.addEventListener('click', () => this.#open(other));
    const kind = document.createElement('span');
    kind.className = relationship.derived === undefined ? 'tag user' : 'tag derived';
    kind.textContent = relationship.derived === undefined ? 'user' : 'derived';
    item.append(button, ' ', kind);
    return item;
  }
}

function byId(id: string): HTMLElement {
  return document.getElementById(id)!;
}

function note(text: string): HTMLElement {
  const item = document.createElement('li');
  item.className = 'muted';
  item.textContent = text;
  return item;
}

function fillPairs(list: HTMLElement, pairs: Record<string, string>): void {
  const entries = Object.entries(pairs).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) {
    const none = document.createElement('dd');
    none.className = 'muted';
    none.textContent = 'none';
    list.replaceChildren(none);
    return;
  }
  list.replaceChildren(
    ...entries.flatMap(([name, value]) => {
      const term = document.createElement('dt');
      term.textContent = name;
      const detail = document.createElement('dd');
      detail.textContent = value;
      return [term, detail];
    }),
  );
}

/**
 * The manifest as the Kubernetes API serves it: the data as written, with the metadata the server
 * owns (uid, resourceVersion: the revision of its last change, generation) in place of what the
 * data may still say (an imported dump keeps its cluster's resourceVersion).
 */
function manifestOf(resource: StoredResource): unknown {
  const data = resource.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const written = (data as { metadata?: unknown }).metadata;
  const metadata = typeof written === 'object' && written !== null && !Array.isArray(written) ? written : {};
  const owned = { uid: resource.uid, generation: resource.version, ...(resource.revision === undefined ? {} : { resourceVersion: String(resource.revision) }) };
  return { ...data, metadata: { ...metadata, ...owned } };
}
