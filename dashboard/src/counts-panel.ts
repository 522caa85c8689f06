/**
 * The store at a glance: counts by kind and by namespace (from `/stats`, then kept exact by the
 * feed's events: a resource added counts one more, one deleted one less), the revision of the last
 * change applied, and the event rate (events a second over the last ten seconds).
 */
import type { StoreEvent } from './refs.js';
import { typeKey } from './refs.js';

/** What `/stats` answers (the fields the page uses). */
export interface Stats {
  readonly revision: number;
  readonly resources: number;
  readonly byType: Record<string, number>;
  readonly byNamespace: Record<string, number>;
  readonly relationships: number;
}

const RATE_WINDOW_MS = 10_000;

/** The counts panel and the header's revision and rate. */
export class CountsPanel {
  #byType = new Map<string, number>();
  #byNamespace = new Map<string, number>();
  #resources = 0;
  #relationships = 0;
  #revision = 0;
  #times: number[] = [];
  #dirty = false;
  readonly #onTypes: (types: readonly string[], namespaces: readonly string[]) => void;

  /** `onTypes` hears the kinds and namespaces the store holds whenever that set changes. */
  constructor(onTypes: (types: readonly string[], namespaces: readonly string[]) => void) {
    this.#onTypes = onTypes;
    setInterval(() => this.#renderRate(), 1000);
  }

  /** Starts over from `/stats`. */
  reset(stats: Stats): void {
    this.#byType = new Map(Object.entries(stats.byType));
    this.#byNamespace = new Map(Object.entries(stats.byNamespace));
    this.#resources = stats.resources;
    this.#relationships = stats.relationships;
    this.#revision = stats.revision;
    this.#render(true);
  }

  /** The revision of the last change counted. */
  get revision(): number {
    return this.#revision;
  }

  /** Counts one event. */
  apply(event: StoreEvent): void {
    this.#revision = event.revision;
    this.#times.push(performance.now());
    if (event.kind === 'relationship') {
      if (event.type !== 'update') this.#relationships += event.type === 'add' ? 1 : -1;
    } else if (event.type !== 'update') {
      const step = event.type === 'add' ? 1 : -1;
      const before = this.#byType.size + this.#byNamespace.size;
      bump(this.#byType, typeKey(event.resource.ref), step);
      bump(this.#byNamespace, event.resource.ref.namespace, step);
      this.#resources += step;
      if (this.#byType.size + this.#byNamespace.size !== before) this.#dirty = true;
    }
    this.#render(false);
  }

  #render(typesChanged: boolean): void {
    text('revision', String(this.#revision));
    text('resource-count', String(this.#resources));
    text('relationship-count', String(this.#relationships));
    fillTable('counts-by-kind', this.#byType, (key) => key);
    fillTable('counts-by-namespace', this.#byNamespace, (key) => (key === '' ? '(cluster)' : key));
    if (typesChanged || this.#dirty) {
      this.#dirty = false;
      this.#onTypes([...this.#byType.keys()].sort(), [...this.#byNamespace.keys()].filter((ns) => ns !== '').sort());
    }
    this.#renderRate();
  }

  #renderRate(): void {
    const since = performance.now() - RATE_WINDOW_MS;
    while (this.#times.length > 0 && this.#times[0]! < since) this.#times.shift();
    text('event-rate', (this.#times.length / (RATE_WINDOW_MS / 1000)).toFixed(1));
  }
}

function bump(counts: Map<string, number>, key: string, step: number): void {
  const next = (counts.get(key) ?? 0) + step;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}

function text(id: string, value: string): void {
  const element = document.getElementById(id);
  if (element !== null && element.textContent !== value) element.textContent = value;
}

function fillTable(id: string, counts: ReadonlyMap<string, number>, label: (key: string) => string): void {
  const body = document.getElementById(id);
  if (body === null) return;
  const rows = [...counts].sort(([a], [b]) => a.localeCompare(b));
  body.replaceChildren(
    ...rows.map(([key, count]) => {
      const row = document.createElement('tr');
      const name = document.createElement('td');
      name.textContent = label(key);
      const value = document.createElement('td');
      value.textContent = String(count);
      value.className = 'num';
      row.append(name, value);
      return row;
    }),
  );
}
