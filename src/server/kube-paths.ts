/**
 * What a Kubernetes API path names, as kube-apiserver reads it:
 *
 * - `/api/{version}` and `/apis/{group}/{version}`: the group-version's resource list (discovery);
 * - then `/{plural}`: a collection (a cluster-scoped kind, or a namespaced kind in every namespace);
 * - `/{plural}/{name}`: an object of a cluster-scoped kind (`/api/v1/namespaces/web` is the Namespace "web");
 * - `/namespaces/{namespace}/{plural}` and `/namespaces/{namespace}/{plural}/{name}`: a namespaced
 *   collection and object.
 *
 * Segments are percent-decoded one by one, so an encoded `/` stays inside its segment. Anything
 * else (a subresource such as `/pods/web/status`, an empty segment) names nothing the server serves.
 */

/** A path of the Kubernetes API below `/api` or `/apis`. */
export type KubePath =
  | { readonly kind: 'group-version'; readonly group: string; readonly version: string }
  | {
      readonly kind: 'collection' | 'object';
      readonly group: string;
      readonly version: string;
      readonly plural: string;
      /** Absent for the cluster-scoped (or every-namespace) form. */
      readonly namespace?: string;
      /** Set for an object. */
      readonly name?: string;
    };

/**
 * The meaning of a request URL under `/api/` or `/apis/{group}/`, or undefined when it names
 * nothing the server serves (or is not valid percent-encoding).
 *
 * @example parseKubePath('/api/v1/namespaces/web/pods/a') // { kind: 'object', group: '', version: 'v1', plural: 'pods', namespace: 'web', name: 'a' }
 */
export function parseKubePath(url: string): KubePath | undefined {
  let segments: string[];
  try {
    segments = url.split('?')[0]!.split('/').slice(1).map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
  if (segments.at(-1) === '' && segments.length > 1) segments.pop(); // a trailing slash
  if (segments.some((segment) => segment === '')) return undefined;
  let group: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 2) [group, rest] = ['', segments.slice(1)];
  else if (segments[0] === 'apis' && segments.length >= 3) [group, rest] = [segments[1]!, segments.slice(2)];
  else return undefined;
  const [version, ...tail] = rest as [string, ...string[]];
  switch (tail.length) {
    case 0:
      return { kind: 'group-version', group, version };
    case 1:
      return { kind: 'collection', group, version, plural: tail[0]! };
    case 2:
      return { kind: 'object', group, version, plural: tail[0]!, name: tail[1]! };
    case 3:
      return tail[0] === 'namespaces' ? { kind: 'collection', group, version, namespace: tail[1]!, plural: tail[2]! } : undefined;
    case 4:
      return tail[0] === 'namespaces' ? { kind: 'object', group, version, namespace: tail[1]!, plural: tail[2]!, name: tail[3]! } : undefined;
    default:
      return undefined;
  }
}
