/**
 * Reading Kubernetes objects as `kubectl get -o json|yaml` and `kubectl cluster-info dump` write
 * them: a JSON `List`, a typed list (`PodList`, whose items may carry no `kind` or `apiVersion`),
 * a bare JSON array, a single object, or multi-document YAML mixing all of these. Each object
 * comes with where it was found (document and item index), and each document that cannot be read
 * becomes a rejection with its reason, so one bad document never loses the good ones. A YAML
 * stream is cut into its documents at their `---` and `...` markers (which YAML forbids inside
 * content at the start of a line) and each is parsed alone, so a document the parser cannot take
 * (one nested deeper than its stack) is rejected alone; a file is read one document at a time.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { splitLines } from '../snapshot/line-splitter.js';

/** Where an object was found in a file. */
export interface Origin {
  readonly file: string;
  /** The document's index in the file (0 for a JSON file). */
  readonly document: number;
  /** The item's index in its list, when it came from one. */
  readonly item?: number;
}

/** A Kubernetes object read from a file. */
export interface KubernetesObject {
  readonly origin: Origin;
  readonly object: Record<string, unknown>;
}

/** A document or item that could not be read, and why. */
export interface Rejection {
  readonly origin: Origin;
  readonly reason: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Flattens one parsed document into objects, filling in the kind and apiVersion of typed-list items. */
function flatten(value: unknown, origin: Origin, objects: KubernetesObject[], rejections: Rejection[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => flattenItem(item, { ...origin, item: i }, undefined, objects, rejections));
    return;
  }
  if (!isObject(value)) {
    if (value !== null && value !== undefined) rejections.push({ origin, reason: 'the document is not an object' });
    return;
  }
  const kind = value.kind;
  if (Array.isArray(value.items) && (kind === undefined || (typeof kind === 'string' && kind.endsWith('List')))) {
    const itemKind = typeof kind === 'string' && kind !== 'List' ? kind.slice(0, -'List'.length) : undefined;
    const defaults = { kind: itemKind, apiVersion: typeof value.apiVersion === 'string' ? value.apiVersion : undefined };
    value.items.forEach((item, i) => flattenItem(item, { ...origin, item: i }, defaults, objects, rejections));
    return;
  }
  flattenItem(value, origin, undefined, objects, rejections);
}

function flattenItem(
  item: unknown,
  origin: Origin,
  defaults: { kind: string | undefined; apiVersion: string | undefined } | undefined,
  objects: KubernetesObject[],
  rejections: Rejection[],
): void {
  if (!isObject(item)) {
    rejections.push({ origin, reason: 'the item is not an object' });
    return;
  }
  if (defaults && (item.kind === undefined || item.apiVersion === undefined)) {
    item = {
      ...(item.apiVersion === undefined && defaults.apiVersion !== undefined ? { apiVersion: defaults.apiVersion } : {}),
      ...(item.kind === undefined && defaults.kind !== undefined ? { kind: defaults.kind } : {}),
      ...item,
    };
  }
  objects.push({ origin, object: item as Record<string, unknown> });
}

/** What one document (or a whole JSON file) holds. */
export interface ReadObjects {
  readonly objects: KubernetesObject[];
  readonly rejections: Rejection[];
}

const DOCUMENT_START = /^---(?:\s|$)/;
const DOCUMENT_END = /^\.\.\.(?:\s|$)/;

/** Gathers a YAML stream's lines into the text of one document at a time. */
class YamlDocuments {
  #lines: string[] = [];

  /** Takes the next line; returns the text of the document it ends, if it ends one. */
  push(line: string): string | undefined {
    if (DOCUMENT_START.test(line)) {
      const done = this.#take();
      this.#lines.push(line);
      return done;
    }
    this.#lines.push(line);
    return DOCUMENT_END.test(line) ? this.#take() : undefined;
  }

  /** The text of the last document, if any. */
  end(): string | undefined {
    return this.#take();
  }

  #take(): string | undefined {
    const text = this.#lines.join('\n');
    this.#lines = [];
    return text.trim() === '' ? undefined : text;
  }
}

/** Parses one document's text; `first` is its index in the file. Returns what it held and how many documents it was. */
function readYamlDocument(file: string, text: string, first: number): ReadObjects & { documents: number } {
  const objects: KubernetesObject[] = [];
  const rejections: Rejection[] = [];
  let documents;
  try {
    documents = parseAllDocuments(text);
  } catch (err) {
    rejections.push({ origin: { file, document: first }, reason: `cannot be read: ${(err as Error).message}` });
    return { objects, rejections, documents: 1 };
  }
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((doc, i) => {
    const origin = { file, document: first + i };
    if (doc.errors.length > 0) {
      rejections.push({ origin, reason: `not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}` });
      return;
    }
    try {
      flatten(doc.toJS({ maxAliasCount: 1000 }), origin, objects, rejections);
    } catch (err) {
      rejections.push({ origin, reason: `cannot be read: ${(err as Error).message}` });
    }
  });
  return { objects, rejections, documents: list.length };
}

/** The objects of one JSON document, or undefined when the text is not one JSON value. */
function readJson(file: string, text: string): ReadObjects | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // not one JSON value: it may be a YAML stream whose first document is JSON text
  }
  const objects: KubernetesObject[] = [];
  const rejections: Rejection[] = [];
  try {
    flatten(value, { file, document: 0 }, objects, rejections);
  } catch (err) {
    rejections.push({ origin: { file, document: 0 }, reason: `cannot be read: ${(err as Error).message}` });
  }
  return { objects, rejections };
}

/** Reads the objects of one file's text. JSON is tried first; anything else is read as YAML. */
export function readKubernetesObjects(file: string, text: string): ReadObjects {
  const json = readJson(file, text);
  if (json) return json;
  const result: ReadObjects = { objects: [], rejections: [] };
  const splitter = new YamlDocuments();
  let next = 0;
  const take = (doc: string | undefined): void => {
    if (doc === undefined) return;
    const read = readYamlDocument(file, doc, next);
    next += read.documents;
    result.objects.push(...read.objects);
    result.rejections.push(...read.rejections);
  };
  for (const line of text.split('\n')) take(splitter.push(line));
  take(splitter.end());
  return result;
}

/**
 * Reads the objects of the file at `path`, one document at a time: a JSON file is one document
 * (read whole), a YAML stream is read line by line and yields each document's objects as soon as
 * the document ends, so memory follows the largest document, never the file.
 */
export async function* readKubernetesFile(path: string, file = path): AsyncGenerator<ReadObjects> {
  if (await startsLikeJson(path)) {
    const text = await readFile(path, 'utf8');
    const json = readJson(file, text);
    if (json) {
      yield json;
      return;
    }
    yield readKubernetesObjects(file, text);
    return;
  }
  const splitter = new YamlDocuments();
  let next = 0;
  for await (const line of splitLines(createReadStream(path), Number.MAX_SAFE_INTEGER)) {
    const doc = splitter.push(line.toString('utf8').replace(/\r$/, ''));
    if (doc === undefined) continue;
    const read = readYamlDocument(file, doc, next);
    next += read.documents;
    yield read;
  }
  const last = splitter.end();
  if (last !== undefined) yield readYamlDocument(file, last, next);
}

/** True when the file's first character that is not white space opens a JSON object or array. */
async function startsLikeJson(path: string): Promise<boolean> {
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 4096 })) {
    const text = (chunk as string).trimStart();
    if (text !== '') return text.startsWith('{') || text.startsWith('[');
  }
  return false;
}
