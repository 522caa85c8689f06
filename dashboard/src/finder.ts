/**
 * Finding a resource: by kind, namespace and name (the names of the chosen kind complete as one
 * types, listed through the Kubernetes API: discovery names the kind's plural and scope), or by a
 * label selector (`/resources?labelSelector=`). Each match is a button that opens it.
 */
import { getJson, query } from './api.js';
import { parseTypeKey, refLabel, type Ref, type StoredResource } from './refs.js';

interface DiscoveryList {
  readonly resources: ReadonlyArray<{ readonly name: string; readonly kind: string; readonly namespaced: boolean }>;
}

interface KubeList {
  readonly items: ReadonlyArray<{ readonly metadata: { readonly name: string; readonly namespace?: string } }>;
}

const NAME_LIMIT = 500;
const SELECTOR_LIMIT = 200;

/** The find form. */
export class Finder {
  readonly #open: (ref: Ref) => void;
  readonly #discovery = new Map<string, Promise<DiscoveryList>>();
  #names: Ref[] = [];
  #listing = 0;

  constructor(open: (ref: Ref) => void) {
    this.#open = open;
    const form = element<HTMLFormElement>('find-form');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#openTyped();
    });
    element<HTMLSelectElement>('find-kind').addEventListener('change', () => void this.#listNames());
    element<HTMLSelectElement>('find-namespace').addEventListener('change', () => void this.#listNames());
    element<HTMLFormElement>('selector-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#findBySelector();
    });
  }

  /** Offers the kinds and namespaces the store holds, keeping what is chosen. */
  setChoices(types: readonly string[], namespaces: readonly string[]): void {
    fillSelect(element<HTMLSelectElement>('find-kind'), types, 'kind…');
    fillSelect(element<HTMLSelectElement>('find-namespace'), namespaces, 'any namespace');
    fillSelect(element<HTMLSelectElement>('selector-namespace'), namespaces, 'any namespace');
  }

  async #scope(typeKey: string): Promise<{ plural: string; namespaced: boolean; base: string } | undefined> {
    const type = parseTypeKey(typeKey);
    const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
    let list = this.#discovery.get(base);
    if (list === undefined) {
      list = getJson<DiscoveryList>(base);
      this.#discovery.set(base, list);
      list.catch(() => this.#discovery.delete(base));
    }
    const found = (await list).resources.find((resource) => resource.kind === type.kind && !resource.name.includes('/'));
    return found === undefined ? undefined : { plural: found.name, namespaced: found.namespaced, base };
  }

  /** Lists the names of the chosen kind (in the chosen namespace) for completion. */
  async #listNames(): Promise<void> {
    const typeKey = element<HTMLSelectElement>('find-kind').value;
    const namespace = element<HTMLSelectElement>('find-namespace').value;
    const listing = ++this.#listing;
    const options = element<HTMLDataListElement>('find-names');
    this.#names = [];
    options.replaceChildren();
    if (typeKey === '') return;
    const type = parseTypeKey(typeKey);
    try {
      const scope = await this.#scope(typeKey);
      if (scope === undefined) return;
      const path = scope.namespaced && namespace !== '' ? `${scope.base}/namespaces/${encodeURIComponent(namespace)}/${scope.plural}` : `${scope.base}/${scope.plural}`;
      const list = await getJson<KubeList>(path + query({ limit: NAME_LIMIT }));
      if (listing !== this.#listing) return;
      this.#names = list.items.map((item) => ({ ...type, namespace: item.metadata.namespace ?? '', name: item.metadata.name }));
      options.replaceChildren(
        ...this.#names.map((ref) => {
          const option = document.createElement('option');
          option.value = ref.namespace === '' || namespace !== '' ? ref.name : `${ref.namespace}/${ref.name}`;
          return option;
        }),
      );
      status(`${this.#names.length}${list.items.length === NAME_LIMIT ? '+' : ''} ${type.kind} found`);
    } catch (err) {
      status((err as Error).message);
    }
  }

  #openTyped(): void {
    const typeKey = element<HTMLSelectElement>('find-kind').value;
    const chosenNamespace = element<HTMLSelectElement>('find-namespace').value;
    const typed = element<HTMLInputElement>('find-name').value.trim();
    if (typeKey === '' || typed === '') {
      status('choose a kind and type a name');
      return;
    }
    const slash = typed.indexOf('/');
    const [namespace, name] = slash < 0 ? [chosenNamespace, typed] : [typed.slice(0, slash), typed.slice(slash + 1)];
    const known = this.#names.find((ref) => ref.name === name && (namespace === '' || ref.namespace === namespace || ref.namespace === ''));
    this.#open(known ?? { ...parseTypeKey(typeKey), namespace, name });
  }

  async #findBySelector(): Promise<void> {
    const selector = element<HTMLInputElement>('selector').value.trim();
    const namespace = element<HTMLSelectElement>('selector-namespace').value;
    const results = element<HTMLUListElement>('find-results');
    if (selector === '') return;
    try {
      const page = await getJson<{ items: StoredResource[]; continue?: string }>(`/resources${query({ labelSelector: selector, namespace, limit: SELECTOR_LIMIT })}`);
      results.replaceChildren(
        ...page.items.map((resource) => {
          const item = document.createElement('li');
          const button = document.createElement('button');
          button.type = 'button';
          button.className = 'link';
          button.textContent = refLabel(resource.ref);
          button.addEventListener('click', () => this.#open(resource.ref));
          item.append(button);
          return item;
        }),
      );
      status(`${page.items.length}${page.continue === undefined ? '' : '+'} match ${selector}`);
    } catch (err) {
      status((err as Error).message);
    }
  }
}

function element<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function status(message: string): void {
  element<HTMLElement>('find-status').textContent = message;
}

function fillSelect(select: HTMLSelectElement, values: readonly string[], placeholder: string): void {
  const chosen = select.value;
  const empty = document.createElement('option');
  empty.value = '';
  empty.textContent = placeholder;
  select.replaceChildren(
    empty,
    ...values.map((value) => {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = value;
      return option;
    }),
  );
  select.value = values.includes(chosen) ? chosen : '';
}
