/**
 * The kinds the server's Kubernetes paths serve, kept current with the store: a `KindResolver`
 * (src/kube/kind-resolver.ts) fed with the CustomResourceDefinitions stored in the store and the
 * types it holds.
 *
 * CRDs (`apiextensions.k8s.io` CustomResourceDefinition, v1 and v1beta1) are listed once, then
 * followed by a subscription from the list's revision, so one written or deleted by any door (a
 * POST, a batch, an import) is served or forgotten as its write commits. Stored types come from
 * `store.types()` (the per-type counters, no scan): read again for every discovery document and
 * whenever a path names a resource the resolver does not know, so a kind written in by another
 * door becomes reachable at its plural. Whether a stored kind that neither the built-in table nor
 * a CRD names is namespaced is read from one of its objects, once per type.
 */
import type { Subscription } from 'rxjs';
import { KindResolver, type ResourceType, type StoredType } from '../kube/kind-resolver.js';
import { toManifest } from '../kube/manifest.js';
import { isStoreError } from '../storage/errors.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { JsonObject, Resource } from '../model/types.js';

const CRD_GROUP = 'apiextensions.k8s.io';
const CRD_KIND = 'CustomResourceDefinition';
const CRD_VERSIONS = ['v1', 'v1beta1'];

const typeKey = (group: string, version: string, kind: string): string => JSON.stringify([group, version, kind]);
const manifestOf = (resource: Resource): JsonObject => toManifest(resource, resource.revision);

/** The resolver of the Kubernetes paths over one store. */
export class ServedKinds {
  readonly #store: ResourceStore;
  readonly #resolver = new KindResolver();
  /** The CRD manifests registered, by ref key, so a fresh follow can forget them all. */
  readonly #crds = new Map<string, JsonObject>();
  /** Whether each stored type the table and the CRDs do not name is namespaced, by type key. */
  readonly #namespaced = new Map<string, boolean>();
  #following: Promise<void> | undefined;
  #subscription: Subscription | undefined;
  #refreshing: Promise<void> | undefined;
  #closed = false;

  constructor(store: ResourceStore) {
    this.#store = store;
  }

  /** The resource a path names, or undefined when the server serves no such resource. */
  async resource(group: string, version: string, plural: string): Promise<ResourceType | undefined> {
    await this.#follow();
    const known = this.#resolver.byResource(group, version, plural);
    if (known) return known;
    await this.refresh();
    return this.#resolver.byResource(group, version, plural);
  }

  /** The resolver, with the stored types read again: for discovery documents. */
  async current(): Promise<KindResolver> {
    await this.#follow();
    await this.refresh();
    return this.#resolver;
  }

  /** Reads the stored types again (concurrent calls share one read). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#readStoredTypes().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /** Stops following the CRDs. */
  close(): void {
    this.#closed = true;
    this.#subscription?.unsubscribe();
  }

  async #readStoredTypes(): Promise<void> {
    const types: StoredType[] = [];
    for (const { group, version, kind } of this.#store.types()) {
      const names = this.#resolver.namesOf(group, kind);
      const namespaced = names.source === 'stored' ? await this.#namespacedOf(group, version, kind) : names.namespaced;
      types.push({ group, version, kind, namespaced });
    }
    this.#resolver.setStoredTypes(types);
  }

  /** Whether the stored objects of a type nobody names have namespaces (as its first one does). */
  async #namespacedOf(group: string, version: string, kind: string): Promise<boolean> {
    const key = typeKey(group, version, kind);
    const known = this.#namespaced.get(key);
    if (known !== undefined) return known;
    const { items } = await this.#store.list({ type: { group, version, kind }, limit: 1 });
    if (items.length === 0) return true; // deleted meanwhile: decided when one is written again
    const namespaced = items[0]!.ref.namespace !== '';
    this.#namespaced.set(key, namespaced);
    return namespaced;
  }

  /** Lists the CRDs and follows their changes, once (again after a failed attempt). */
  #follow(): Promise<void> {
    this.#following ??= this.#start().catch((err: unknown) => {
      this.#following = undefined;
      throw err;
    });
    return this.#following;
  }

  async #start(): Promise<void> {
    const pages = await Promise.all(CRD_VERSIONS.map((version) => this.#store.list({ type: { group: CRD_GROUP, version, kind: CRD_KIND } })));
    if (this.#closed) return;
    for (const manifest of this.#crds.values()) this.#resolver.removeCrd(manifest);
    this.#crds.clear();
    for (const page of pages) for (const crd of page.items) this.#register(crd);
    // From the earliest list's revision: a change the other list already shows is applied again, in order.
    const fromRevision = Math.min(...pages.map((page) => page.revision));
    this.#subscription = this.#store.subscribe({ type: { group: CRD_GROUP, kind: CRD_KIND } }, { fromRevision }).subscribe({
      next: (event) => {
        if (event.kind !== 'resource') return;
        if (event.previous) this.#forget(event.previous);
        if (event.type === 'delete') this.#forget(event.resource);
        else this.#register(event.resource);
      },
      // Fell behind, or the log was compacted under it: list again. A closed store ends it.
      error: (err: unknown) => {
        if (!this.#closed && !isStoreError(err, 'CLOSED')) this.#following = undefined;
      },
    });
  }

  #register(crd: Resource): void {
    const manifest = manifestOf(crd);
    if (this.#resolver.registerCrd(manifest)) this.#crds.set(typeKey(crd.ref.group, crd.ref.version, crd.ref.name), manifest);
  }

  #forget(crd: Resource): void {
    const key = typeKey(crd.ref.group, crd.ref.version, crd.ref.name);
    const manifest = this.#crds.get(key);
    if (manifest === undefined) return;
    this.#resolver.removeCrd(manifest);
    this.#crds.delete(key);
  }
}
