/**
 * Refs as the page uses them: the shapes the server answers (resources, relationships, graph
 * nodes, events), a ref's key (`group/version/kind/namespace/name`, each part percent-encoded, so
 * one string names one ref and is what the server's `?ref=`, `?from=`, `?subject=` take), its
 * type key as `/stats` counts it (`apps/v1/Deployment`, `v1/Pod`), and its label for people.
 */

/** A resource's identity. */
export interface Ref {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** A resource in the store's shape (`/resource`, `/resources`, graph nodes, events). */
export interface StoredResource {
  readonly ref: Ref;
  readonly uid: string;
  readonly data: unknown;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly version: number;
  readonly revision?: number;
}

/** A relationship: subject, predicate, object; `derived` names the rule that derived it. */
export interface Relationship {
  readonly subject: Ref;
  readonly predicate: { readonly type: string; readonly value?: unknown };
  readonly object: Ref;
  readonly derived?: string;
}

/** One event of `/watch`. */
export type StoreEvent =
  | { readonly kind: 'resource'; readonly type: 'add' | 'update' | 'delete'; readonly revision: number; readonly resource: StoredResource }
  | { readonly kind: 'relationship'; readonly type: 'add' | 'update' | 'delete'; readonly revision: number; readonly relationship: Relationship };

/** What `/graph` answers. */
export interface Graph {
  readonly nodes: ReadonlyArray<{ readonly ref: Ref; readonly depth: number; readonly resource?: StoredResource }>;
  readonly edges: readonly Relationship[];
  readonly revision: number;
  readonly truncated: boolean;
}

/** The key of a ref: its five parts, each percent-encoded, joined by `/`. */
export function refKey(ref: Ref): string {
  return [ref.group, ref.version, ref.kind, ref.namespace, ref.name].map(encodeURIComponent).join('/');
}

/** The ref of a key, or undefined when it is not one. */
export function parseRefKey(key: string): Ref | undefined {
  const parts = key.split('/');
  if (parts.length !== 5) return undefined;
  try {
    const [group, version, kind, namespace, name] = parts.map(decodeURIComponent) as [string, string, string, string, string];
    return kind === '' || name === '' ? undefined : { group, version, kind, namespace, name };
  } catch {
    return undefined;
  }
}

/** The type of a ref as `/stats` counts it: `apps/v1/Deployment`, `v1/Pod`. */
export function typeKey(ref: Pick<Ref, 'group' | 'version' | 'kind'>): string {
  return `${ref.group === '' ? '' : `${ref.group}/`}${ref.version}/${ref.kind}`;
}

/** A type key split back into its parts. */
export function parseTypeKey(key: string): { group: string; version: string; kind: string } {
  const parts = key.split('/');
  return parts.length === 3 ? { group: parts[0]!, version: parts[1]!, kind: parts[2]! } : { group: '', version: parts[0] ?? '', kind: parts[1] ?? '' };
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped). */
export function refLabel(ref: Ref): string {
  return `${ref.kind} ${ref.namespace === '' ? '' : `${ref.namespace}/`}${ref.name}`;
}

/** A predicate type without its package (`resourcestore.v1.OwnerReference` → `OwnerReference`). */
export function shortPredicate(type: string): string {
  return type.slice(type.lastIndexOf('.') + 1);
}
