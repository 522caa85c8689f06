/**
 * The Kubernetes discovery documents, built from a `KindResolver`: `/version` (version.Info),
 * `/api` (APIVersions), `/apis` (APIGroupList), `/apis/{group}` (APIGroup), and `/api/v1` and
 * `/apis/{group}/{version}` (APIResourceList). These are the unaggregated documents every client
 * from kubectl 1.20 on reads; clients that ask for aggregated discovery
 * (`Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,...,application/json`,
 * kubectl 1.26 and later) take a plain `application/json` answer and fall back to reading these,
 * so the server answers them as JSON whatever the Accept header asks for. A group-version listed
 * in `/apis` always has its resource list: kubectl reports discovery as failed when one is missing.
 */
import { compareVersions, type KindResolver, type ResourceType } from './kind-resolver.js';

/** The verbs the server serves on every resource by default (all of Kubernetes' but `deletecollection`). */
export const SERVED_VERBS: readonly string[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** A Kubernetes `version.Info`, as `/version` answers. */
export interface VersionInfo {
  readonly major: string;
  readonly minor: string;
  readonly gitVersion: string;
  readonly gitCommit: string;
  readonly gitTreeState: string;
  readonly buildDate: string;
  readonly goVersion: string;
  readonly compiler: string;
  readonly platform: string;
}

/**
 * The Kubernetes version the server reports. 1.32 is the release whose API (policy/v1,
 * autoscaling/v2, flowcontrol v1, no removed beta APIs) the built-in table serves; the build
 * metadata says what the server really is. kubectl only warns on skew in `kubectl version`.
 */
export const KUBERNETES_VERSION = 'v1.32.0+resource-store';

/**
 * The `/version` document.
 *
 * @param gitVersion a semantic version `vMAJOR.MINOR.PATCH[-pre][+build]`; `KUBERNETES_VERSION` by default.
 * @example versionInfo().minor // '32'
 */
export function versionInfo(gitVersion: string = KUBERNETES_VERSION): VersionInfo {
  const match = /^v(\d+)\.(\d+)\./.exec(gitVersion);
  if (!match) throw new TypeError(`gitVersion must look like v1.32.0, got ${JSON.stringify(gitVersion)}`);
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return {
    major: match[1]!,
    minor: match[2]!,
    gitVersion,
    gitCommit: '',
    gitTreeState: '',
    buildDate: '',
    goVersion: '',
    compiler: 'node',
    platform: `${process.platform}/${arch}`,
  };
}

/**
 * The `/api` document: the core group's versions (`v1`, and any other a stored core kind has),
 * and where clients reach the server.
 *
 * @param serverAddress `host:port` as clients reach the server (the request's Host header will do).
 */
export function apiVersions(
  resolver: KindResolver,
  serverAddress: string,
): { kind: 'APIVersions'; versions: string[]; serverAddressByClientCIDRs: { clientCIDR: string; serverAddress: string }[] } {
  const versions = [...new Set(resolver.served().filter((type) => type.group === '').map((type) => type.version))].sort(compareVersions);
  return { kind: 'APIVersions', versions, serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

/** One group of `/apis`. */
export interface ApiGroup {
  readonly name: string;
  readonly versions: readonly { readonly groupVersion: string; readonly version: string }[];
  readonly preferredVersion: { readonly groupVersion: string; readonly version: string };
}

/** The versions of each named group, highest priority first; built-in groups first, in table order. */
function groupVersions(resolver: KindResolver): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const type of resolver.served()) {
    if (type.group === '') continue;
    const versions = groups.get(type.group) ?? [];
    if (!versions.includes(type.version)) versions.push(type.version);
    groups.set(type.group, versions);
  }
  for (const versions of groups.values()) versions.sort(compareVersions);
  return groups;
}

function group(name: string, versions: readonly string[]): ApiGroup {
  const of = (version: string) => ({ groupVersion: `${name}/${version}`, version });
  return { name, versions: versions.map(of), preferredVersion: of(versions[0]!) };
}

/** The `/apis` document: every named group with its versions and the preferred one. */
export function apiGroupList(resolver: KindResolver): { kind: 'APIGroupList'; apiVersion: 'v1'; groups: ApiGroup[] } {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groupVersions(resolver)].map(([name, versions]) => group(name, versions)) };
}

/** The `/apis/{group}` document, or undefined when no version of the group is served (a 404). */
export function apiGroup(resolver: KindResolver, name: string): ({ kind: 'APIGroup'; apiVersion: 'v1' } & ApiGroup) | undefined {
  const versions = groupVersions(resolver).get(name);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...group(name, versions) } : undefined;
}

/** One resource of an APIResourceList. */
export interface ApiResource {
  readonly name: string;
  readonly singularName: string;
  readonly namespaced: boolean;
  readonly kind: string;
  readonly verbs: readonly string[];
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
}

function apiResource(type: ResourceType, verbs: readonly string[]): ApiResource {
  return {
    name: type.plural,
    singularName: type.singular,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: type.verbs.filter((verb) => verbs.includes(verb)),
    ...(type.shortNames.length > 0 ? { shortNames: type.shortNames } : {}),
    ...(type.categories.length > 0 ? { categories: type.categories } : {}),
  };
}

/**
 * The `/api/v1` (group "") or `/apis/{group}/{version}` document, or undefined when the
 * group-version serves nothing (a 404). Subresources (`pods/status`, `deployments/scale`) are not
 * listed: the server serves none, and kubectl needs none for get, apply, replace, patch, label,
 * delete or watch.
 *
 * @param verbs the verbs the server serves; a resource lists those of its Kubernetes verbs among them.
 */
export function apiResourceList(
  resolver: KindResolver,
  groupName: string,
  version: string,
  verbs: readonly string[] = SERVED_VERBS,
): { kind: 'APIResourceList'; apiVersion: 'v1'; groupVersion: string; resources: ApiResource[] } | undefined {
  const types = resolver.served().filter((type) => type.group === groupName && type.version === version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupName === '' ? version : `${groupName}/${version}`,
    resources: types.map((type) => apiResource(type, verbs)),
  };
}
