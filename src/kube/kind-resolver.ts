/**
 * Which resources the Kubernetes dialect serves, and what each path segment means: the mapping
 * between (group, version, kind) and (group, version, plural resource), both ways.
 *
 * Three sources, in this order of precedence: the built-in table (`kinds.ts`), the
 * CustomResourceDefinitions registered from their manifests (`spec.group`, `spec.names`,
 * `spec.scope`, the served `spec.versions`), and the types found in the store (any kind written
 * in), named by the CRD or table entry of their group-kind when there is one and by `guessNames`
 * otherwise. So every stored kind is reachable at a plural, and `kubectl get widgets` works for a
 * kind nobody declared. Invariant: within one group-version a plural names one kind. When two
 * kinds would share a plural (`Foo` and `FOO` both guess `foos`), the one from the earlier source
 * keeps it (built-in, then CRD, then stored types in the order given) and the other is not served
 * under that plural: `byKind` still names it, `byResource` never returns it.
 */
import { BUILT_IN_KINDS, STANDARD_VERBS, guessNames, type KindNames } from './kinds.js';

/** A served resource: one group-version-kind and its names. */
export interface ResourceType extends Omit<KindNames, 'versions'> {
  readonly version: string;
  /** Where the names came from. */
  readonly source: 'built-in' | 'crd' | 'stored';
}

/** A type the store holds resources of. */
export interface StoredType {
  /** Defaults to "" (the core group). */
  readonly group?: string;
  readonly version: string;
  readonly kind: string;
  /** Whether its resources have namespaces; used when neither the table nor a CRD says. */
  readonly namespaced: boolean;
}

interface CrdEntry {
  readonly names: KindNames;
}

const key = (...parts: string[]): string => parts.map((part) => encodeURIComponent(part)).join('/');
const KUBE_VERSION = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/**
 * Orders versions as Kubernetes does in discovery: GA before beta before alpha, higher numbers
 * first within each, and versions of other shapes last, alphabetically. Negative when `a` comes first.
 *
 * @example ['v1beta1', 'v2', 'v1', 'v1alpha1', 'foo'].sort(compareVersions) // ['v2', 'v1', 'v1beta1', 'v1alpha1', 'foo']
 */
export function compareVersions(a: string, b: string): number {
  const ma = KUBE_VERSION.exec(a);
  const mb = KUBE_VERSION.exec(b);
  if (!ma || !mb) return ma ? -1 : mb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  const stability = (m: RegExpExecArray): number => (m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0);
  return stability(mb) - stability(ma) || Number(mb[1]) - Number(ma[1]) || Number(mb[3] ?? 0) - Number(ma[3] ?? 0);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item !== '') : [];
}

function withSource({ versions: _versions, ...names }: KindNames, source: ResourceType['source']): Omit<ResourceType, 'version'> {
  return { ...names, source };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The names a CustomResourceDefinition manifest declares, or undefined when it is not a
 * well-formed one (no group, kind or plural, or no served version). Reads `apiextensions.k8s.io`
 * v1 (`spec.versions[].served`) and v1beta1 (`spec.version`) manifests alike.
 */
export function crdNames(manifest: unknown): KindNames | undefined {
  if (!isRecord(manifest) || manifest.kind !== 'CustomResourceDefinition' || !isRecord(manifest.spec)) return undefined;
  const { group, names, scope } = manifest.spec;
  if (typeof group !== 'string' || group === '' || !isRecord(names)) return undefined;
  const { kind, plural } = names;
  if (typeof kind !== 'string' || kind === '' || typeof plural !== 'string' || plural === '') return undefined;
  const versions = Array.isArray(manifest.spec.versions)
    ? manifest.spec.versions.filter((v): v is { name: string } => isRecord(v) && typeof v.name === 'string' && v.name !== '' && v.served !== false).map((v) => v.name)
    : typeof manifest.spec.version === 'string' && manifest.spec.version !== '' ? [manifest.spec.version] : [];
  if (versions.length === 0) return undefined;
  return {
    group,
    kind,
    plural,
    singular: typeof names.singular === 'string' && names.singular !== '' ? names.singular : kind.toLowerCase(),
    shortNames: stringList(names.shortNames),
    categories: stringList(names.categories),
    namespaced: scope !== 'Cluster',
    verbs: STANDARD_VERBS,
    versions: [...versions].sort(compareVersions),
  };
}

/**
 * Maps kinds to resources and back for the Kubernetes paths and discovery.
 *
 * @example
 * const kinds = new KindResolver();
 * kinds.setStoredTypes([{ group: 'example.com', version: 'v1', kind: 'Widget', namespaced: true }]);
 * kinds.byResource('example.com', 'v1', 'widgets')?.kind; // 'Widget'
 * kinds.byKind('', 'v1', 'Pod').plural;                   // 'pods'
 */
export class KindResolver {
  readonly #builtIn = new Map<string, KindNames>();
  readonly #crds = new Map<string, CrdEntry>();
  #stored: readonly StoredType[] = [];
  #served: { readonly byResource: Map<string, ResourceType>; readonly list: readonly ResourceType[] } | undefined;

  /** @param builtIn the table of built-in kinds; `BUILT_IN_KINDS` by default. */
  constructor(builtIn: readonly KindNames[] = BUILT_IN_KINDS) {
    for (const names of builtIn) this.#builtIn.set(key(names.group, names.kind), names);
  }

  /**
   * Takes the names a CRD manifest declares (replacing those of a CRD of the same
   * `metadata.name`). Returns false, and changes nothing, when the manifest is not a well-formed
   * CRD; the names of a built-in group-kind are never replaced.
   */
  registerCrd(manifest: unknown): boolean {
    const names = crdNames(manifest);
    if (!names) return false;
    this.#crds.set(this.#crdKey(manifest, names), { names });
    this.#served = undefined;
    return true;
  }

  /** Forgets the names of a CRD (given its manifest, as stored before its deletion). */
  removeCrd(manifest: unknown): void {
    const names = crdNames(manifest);
    if (names && this.#crds.delete(this.#crdKey(manifest, names))) this.#served = undefined;
  }

  /** Replaces the set of types the store holds; earlier ones win a plural two would share. */
  setStoredTypes(types: Iterable<StoredType>): void {
    this.#stored = [...types];
    this.#served = undefined;
  }

  /** The names of a group-kind, from the table, a CRD, or the guessing rule (scope from the stored type, else namespaced). */
  namesOf(group: string, kind: string): Omit<ResourceType, 'version'> {
    const builtIn = this.#builtIn.get(key(group, kind));
    if (builtIn) return withSource(builtIn, 'built-in');
    for (const { names } of this.#crds.values()) {
      if (names.group === group && names.kind === kind) return withSource(names, 'crd');
    }
    const stored = this.#stored.find((type) => (type.group ?? '') === group && type.kind === kind);
    return { group, kind, ...guessNames(kind), shortNames: [], categories: [], namespaced: stored?.namespaced ?? true, verbs: STANDARD_VERBS, source: 'stored' };
  }

  /** The resource a kind is served as (its names even when nothing of it is stored yet). */
  byKind(group: string, version: string, kind: string): ResourceType {
    return { ...this.namesOf(group, kind), version };
  }

  /** The kind a path's resource segment names, or undefined when the server serves no such resource. */
  byResource(group: string, version: string, resource: string): ResourceType | undefined {
    return this.#index().byResource.get(key(group, version, resource));
  }

  /** Every served resource: the built-in kinds at their versions, the CRDs' served versions and the stored types. */
  served(): readonly ResourceType[] {
    return this.#index().list;
  }

  #crdKey(manifest: unknown, names: KindNames): string {
    const metadata = isRecord(manifest) && isRecord(manifest.metadata) ? manifest.metadata : {};
    return typeof metadata.name === 'string' && metadata.name !== '' ? metadata.name : `${names.plural}.${names.group}`;
  }

  #index(): { byResource: Map<string, ResourceType>; list: readonly ResourceType[] } {
    if (this.#served) return this.#served;
    const byResource = new Map<string, ResourceType>();
    const taken = new Set<string>();
    const add = (type: ResourceType): void => {
      const gvr = key(type.group, type.version, type.plural);
      const gvk = key(type.group, type.version, type.kind);
      if (byResource.has(gvr) || taken.has(gvk)) return;
      byResource.set(gvr, type);
      taken.add(gvk);
    };
    for (const names of this.#builtIn.values()) {
      for (const version of names.versions) add({ ...withSource(names, 'built-in'), version });
    }
    for (const { names } of this.#crds.values()) {
      if (this.#builtIn.has(key(names.group, names.kind))) continue;
      for (const version of names.versions) add({ ...withSource(names, 'crd'), version });
    }
    for (const type of this.#stored) add(this.byKind(type.group ?? '', type.version, type.kind));
    this.#served = { byResource, list: [...byResource.values()] };
    return this.#served;
  }
}
