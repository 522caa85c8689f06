/**
 * Kubernetes field selectors (`?fieldSelector=`): parsing as apimachinery's `fields.ParseSelector`
 * does, the fields each kind lets clients select on (its field label conversion in
 * kube-apiserver), and matching a manifest.
 *
 * Grammar: terms joined by unescaped `,`; each term is `field=value`, `field==value` or
 * `field!=value`, split at the first operator; in a value `\,`, `\=` and `\\` stand for `,`, `=` and
 * `\`, and an unescaped `,` or `=` is an error. Every kind selects on `metadata.name` and
 * `metadata.namespace` (Node and Namespace on `metadata.name` only), a few built-in kinds on more
 * (Pod `spec.nodeName`, Secret `type`, Event `involvedObject.*`, ...). A malformed selector or a
 * field the kind does not select on is an INVALID_ARGUMENT (a 400 BadRequest, as kube-apiserver
 * answers `field label not supported: ...`). Equality on `metadata.name` or `metadata.namespace`
 * narrows the scan: `narrowing` says which one name or namespace can match, or that none can.
 */
import { StoreError, brief, invalidArgument } from '../storage/errors.js';
import type { JsonObject } from '../model/types.js';

/** One term: the field's value equals (`=`) or differs from (`!=`) `value`. */
export interface FieldRequirement {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

/** A parsed field selector: every requirement must hold; none selects everything. */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  /** What equality terms on the name and namespace imply: scan only them, or nothing (`empty`). */
  readonly narrowing: { readonly name?: string; readonly namespace?: string; readonly empty?: true };
  /** Whether a manifest of the kind satisfies every requirement. */
  matches(manifest: JsonObject): boolean;
}

type Read = (manifest: JsonObject) => string;

function at(manifest: JsonObject, path: string): unknown {
  let value: unknown = manifest;
  for (const part of path.split('.')) {
    value = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject)[part] : undefined;
  }
  return value;
}

/** A string field ("" when absent). */
const text = (path: string): Read => (m) => { const v = at(m, path); return typeof v === 'string' ? v : ''; };
/** A boolean field as Go formats it ("false" when absent). */
const flag = (path: string): Read => (m) => String(at(m, path) === true);
/** An integer field as Go formats it ("0" when absent). */
const count = (path: string): Read => (m) => { const v = at(m, path); return typeof v === 'number' ? String(v) : '0'; };
const podIP: Read = (m) => { const ips = at(m, 'status.podIPs'); const first = Array.isArray(ips) ? (ips[0] as { ip?: unknown } | undefined)?.ip : undefined; return typeof first === 'string' ? first : text('status.podIP')(m); };

const META: Readonly<Record<string, Read>> = { 'metadata.name': text('metadata.name'), 'metadata.namespace': text('metadata.namespace') };

/** The fields each built-in kind selects on beyond the metadata ones (keyed `group/kind`), and how each reads a manifest. */
const KIND_FIELDS: Readonly<Record<string, Readonly<Record<string, Read>>>> = {
  '/Pod': {
    ...META,
    'spec.nodeName': text('spec.nodeName'),
    'spec.restartPolicy': text('spec.restartPolicy'),
    'spec.schedulerName': text('spec.schedulerName'),
    'spec.serviceAccountName': text('spec.serviceAccountName'),
    'spec.hostNetwork': flag('spec.hostNetwork'),
    'status.phase': text('status.phase'),
    'status.podIP': podIP,
    'status.nominatedNodeName': text('status.nominatedNodeName'),
  },
  '/Node': { 'metadata.name': text('metadata.name'), 'spec.unschedulable': flag('spec.unschedulable') },
  '/Namespace': { 'metadata.name': text('metadata.name'), 'status.phase': text('status.phase') },
  '/ReplicationController': { ...META, 'status.replicas': count('status.replicas') },
  '/Secret': { ...META, type: text('type') },
  '/Service': { ...META, 'spec.clusterIP': text('spec.clusterIP'), 'spec.type': text('spec.type') },
  '/Event': {
    ...META,
    ...Object.fromEntries(['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => [`involvedObject.${f}`, text(`involvedObject.${f}`)])),
    reason: text('reason'),
    reportingComponent: text('reportingComponent'),
    source: text('source.component'),
    type: text('type'),
  },
  'apps/ReplicaSet': { ...META, 'status.replicas': count('status.replicas') },
  'batch/Job': { ...META, 'status.successful': count('status.succeeded') },
  'certificates.k8s.io/CertificateSigningRequest': { ...META, 'spec.signerName': text('spec.signerName') },
};

/** Old names kube-apiserver still accepts for a field. */
const ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = { '/Pod': { 'spec.host': 'spec.nodeName' } };

function fieldsOf(group: string, kind: string): Readonly<Record<string, Read>> {
  return KIND_FIELDS[`${group}/${kind}`] ?? META;
}

/** The fields a kind selects on. @example selectableFields('', 'Secret') // ['metadata.name', 'metadata.namespace', 'type'] */
export function selectableFields(group: string, kind: string): string[] {
  return Object.keys(fieldsOf(group, kind));
}

/** Splits at commas not escaped by a backslash, keeping the escapes. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

function unescape(value: string, selector: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') {
      const next = value[i + 1];
      if (next !== '\\' && next !== ',' && next !== '=') throw invalidArgument('fieldSelector', `invalid escape sequence in ${brief(selector)}`);
      out += next;
      i++;
    } else if (c === ',' || c === '=') {
      throw invalidArgument('fieldSelector', `unescaped ${JSON.stringify(c)} in a value of ${brief(selector)}`);
    } else out += c;
  }
  return out;
}

/**
 * Parses a field selector for a kind; an empty string selects everything.
 *
 * @throws StoreError INVALID_ARGUMENT for a malformed selector, or a field the kind does not select on.
 * @example
 * const selector = parseFieldSelector('metadata.name=web,status.phase!=Failed', '', 'Pod');
 * selector.narrowing;     // { name: 'web' }
 * selector.matches(pod);  // true for a running Pod named web
 */
export function parseFieldSelector(selector: string, group: string, kind: string): FieldSelector {
  const fields = fieldsOf(group, kind);
  const requirements: FieldRequirement[] = [];
  for (const term of selector === '' ? [] : splitTerms(selector)) {
    if (term === '') continue;
    const match = /!=|==|=/.exec(term);
    if (!match) throw invalidArgument('fieldSelector', `invalid selector: ${brief(selector)}; can't understand ${brief(term)}`);
    const written = term.slice(0, match.index);
    const field = ALIASES[`${group}/${kind}`]?.[written] ?? written;
    if (!Object.hasOwn(fields, field)) {
      throw new StoreError('INVALID_ARGUMENT', `fieldSelector: field label not supported: ${brief(written)}`, { field: 'fieldSelector' });
    }
    requirements.push({ field, op: match[0] === '!=' ? '!=' : '=', value: unescape(term.slice(match.index + match[0].length), selector) });
  }
  return {
    requirements,
    narrowing: narrowing(requirements),
    matches: (manifest) => requirements.every((r) => (fields[r.field]!(manifest) === r.value) === (r.op === '=')),
  };
}

function narrowing(requirements: readonly FieldRequirement[]): FieldSelector['narrowing'] {
  const equal = (field: string): string[] => [...new Set(requirements.filter((r) => r.field === field && r.op === '=').map((r) => r.value))];
  const names = equal('metadata.name');
  const namespaces = equal('metadata.namespace');
  if (names.length > 1 || namespaces.length > 1) return { empty: true };
  return { ...(names[0] === undefined ? {} : { name: names[0] }), ...(namespaces[0] === undefined ? {} : { namespace: namespaces[0] }) };
}
