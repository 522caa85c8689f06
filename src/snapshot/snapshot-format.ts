/**
 * The snapshot file format, version 1: newline-delimited JSON, readable and diffable.
 *
 *     {"format":"resource-store-snapshot","version":1,"revision":R,"createdAt":"…"}
 *     {"resource":{"ref":…,"uid":…,"data":…,"labels":…,"annotations":…,"createdAt":…,"updatedAt":…,"version":…,"revision":…}}
 *     {"relationship":{"subject":…,"predicate":{"typeUrl":…,"valueBase64":…},"object":…,"createdAt":…,"updatedAt":…}}
 *     {"end":true,"resources":N,"relationships":M,"sha256":"…"}
 *
 * One header line, then every resource, then every relationship, all as of revision R, then a
 * trailer whose `sha256` is the hex SHA-256 of every byte before the trailer line. Resource data
 * is the JSON object itself, or `{ "typeUrl", "valueBase64" }` under `dataAny` for a protobuf Any;
 * predicates are kept as their encoded Any, so a round trip is exact even for predicate types the
 * restoring process has not registered. A resource's `revision` (of its last change, at most R)
 * may be absent (snapshots written before it was kept): R stands for it. Resources come in the order of their keys, each once,
 * then relationships in the order of their subject-order keys, each once, as an export writes them
 * (the restore checks this order: it is what catches a repeated line). A reader takes the file a
 * line at a time (memory follows the longest line, at most 64 MiB) and refuses a file whose
 * checksum, counts, version or lines do not check out.
 */
import { createHash, type Hash } from 'node:crypto';
import { StoreError } from '../storage/errors.js';
import { splitLines } from './line-splitter.js';
import type { ResourceRef } from '../model/types.js';

export const SNAPSHOT_FORMAT = 'resource-store-snapshot';
export const SNAPSHOT_VERSION = 1;

/** A resource as a snapshot line holds it. */
export interface SnapshotResource {
  readonly ref: ResourceRef;
  readonly uid: string;
  readonly data?: Record<string, unknown>;
  readonly dataAny?: { readonly typeUrl: string; readonly valueBase64: string };
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
  /** The revision of the resource's last change; absent in snapshots of versions before it was kept (the snapshot's revision then stands for it). */
  readonly revision?: number;
}

/** A relationship as a snapshot line holds it. */
export interface SnapshotRelationship {
  readonly subject: ResourceRef;
  readonly predicate: { readonly typeUrl: string; readonly valueBase64: string };
  readonly object: ResourceRef;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The rule that derived it from its end's content; absent for a user's own relationship. */
  readonly derived?: string;
}

export type SnapshotEntry = { readonly resource: SnapshotResource } | { readonly relationship: SnapshotRelationship };

function corrupt(message: string): StoreError {
  return new StoreError('INVALID_ARGUMENT', `snapshot: ${message}`, { field: 'snapshot' });
}

/** Writes a snapshot as lines, hashing as it goes. */
export class SnapshotWriter {
  readonly #hash: Hash = createHash('sha256');
  readonly #write: (text: string) => Promise<void> | void;
  #resources = 0;
  #relationships = 0;

  constructor(write: (text: string) => Promise<void> | void) {
    this.#write = write;
  }

  async #line(value: unknown): Promise<void> {
    const text = `${JSON.stringify(value)}\n`;
    this.#hash.update(text);
    await this.#write(text);
  }

  header(revision: number): Promise<void> {
    return this.#line({ format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, revision, createdAt: new Date().toISOString() });
  }

  entry(entry: SnapshotEntry): Promise<void> {
    if ('resource' in entry) this.#resources++;
    else this.#relationships++;
    return this.#line(entry);
  }

  async end(): Promise<{ resources: number; relationships: number }> {
    const trailer = { end: true, resources: this.#resources, relationships: this.#relationships, sha256: this.#hash.digest('hex') };
    await this.#write(`${JSON.stringify(trailer)}\n`);
    return { resources: this.#resources, relationships: this.#relationships };
  }
}

/** What a checked snapshot holds: its revision and counts. */
export interface SnapshotSummary {
  readonly revision: number;
  readonly resources: number;
  readonly relationships: number;
}

/** The longest line a reader takes: room for a resource far over the default data limit, base64 and all. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

function parseObject(line: Buffer, index: number): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(line.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw corrupt(`line ${index} is not a JSON object (${(err as Error).message})`);
  }
}

/**
 * Reads and checks a snapshot from a stream of bytes, one line at a time: memory follows the
 * longest line, never the file. Each entry is handed to `onEntry` (with its line number) as soon
 * as it is read, so a caller that must not act on an unchecked file reads it once to check it
 * (the promise rejects on any fault, the checksum and counts last), then again to act.
 */
export async function readSnapshot(
  source: AsyncIterable<Uint8Array | string>,
  onEntry: (entry: SnapshotEntry, line: number, revision: number) => Promise<void> | void = () => undefined,
): Promise<SnapshotSummary> {
  const hash = createHash('sha256');
  let revision: number | undefined;
  let pending: Buffer | undefined;
  let index = 0;
  let resources = 0;
  let relationships = 0;
  for await (const line of splitLines(source, MAX_LINE_BYTES)) {
    index++;
    if (pending !== undefined) {
      hash.update(pending).update('\n');
      if (revision === undefined) revision = checkHeader(parseObject(pending, 1));
      else {
        const entry = parseObject(pending, index - 1);
        if (typeof entry.resource === 'object' && entry.resource !== null && !Array.isArray(entry.resource)) resources++;
        else if (typeof entry.relationship === 'object' && entry.relationship !== null && !Array.isArray(entry.relationship)) relationships++;
        else throw corrupt(`line ${index - 1} is neither a resource nor a relationship`);
        await onEntry(entry as SnapshotEntry, index - 1, revision);
      }
    }
    pending = line;
  }
  if (pending === undefined || revision === undefined) throw corrupt('too short: it needs a header and a trailer line');
  const trailer = parseObject(pending, index);
  if (trailer.end !== true) throw corrupt('the last line is not a trailer: the file is cut short');
  if (trailer.sha256 !== hash.digest('hex')) throw corrupt('the checksum does not match: the file was changed or damaged');
  if (trailer.resources !== resources || trailer.relationships !== relationships) {
    throw corrupt(`the trailer counts ${String(trailer.resources)} resources and ${String(trailer.relationships)} relationships, the file holds ${resources} and ${relationships}`);
  }
  return { revision, resources, relationships };
}

function checkHeader(header: Record<string, unknown>): number {
  if (header.format !== SNAPSHOT_FORMAT) throw corrupt('the first line is not a resource-store snapshot header');
  if (header.version !== SNAPSHOT_VERSION) throw corrupt(`version ${String(header.version)} is not supported (this store reads version ${SNAPSHOT_VERSION})`);
  const revision = header.revision;
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) throw corrupt('the header has no valid revision');
  return revision;
}
